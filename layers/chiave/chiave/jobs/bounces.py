"""bounces: SES publishes each bounce and complaint of the configuration set
to an SNS topic; a permanent bounce or a complaint marks the address
undeliverable for every person of the school (the mail's `school` tag)
that has it. From then on Chiave never mails it: every flow sees no e-mail
on file (chiave.store.people), so in `explicit` disclosure a parent hears
the seeds' "comunicare l'indirizzo alla segreteria" (`email_missing`) and
in `private` the usual answer, until the school or the holder gives a new
address. A transient bounce (a full mailbox) marks nothing. A delivered
invitation is recorded on the person, for the school report's funnel."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chiave.policy import DEFAULT_AUDIT_RETENTION_DAYS
from chiave.runtime import masking
from chiave.runtime.observability import count_outcome, logger
from chiave.store import people, schools


@dataclass(frozen=True)
class MailEvent:
    kind: str  # "bounce", "complaint" or "delivery" (of an invitation)
    school_id: str | None
    addresses: list[str]


def parse(message: dict[str, Any]) -> MailEvent | None:
    """What a SES event says, or None when it marks nothing (a transient
    bounce, the delivery of anything but an invitation, another event)."""
    event_type = str(message.get("eventType") or message.get("notificationType") or "")
    tags = message.get("mail", {}).get("tags", {})
    school = (tags.get("school") or [None])[0]
    if event_type == "Delivery":
        if (tags.get("template") or [None])[0] != "invitation":
            return None
        addresses = [str(address) for address in message.get("delivery", {}).get("recipients", [])]
        return MailEvent("delivery", school, addresses)
    if event_type == "Bounce":
        bounce = message.get("bounce", {})
        if bounce.get("bounceType") != "Permanent":
            return None
        recipients = bounce.get("bouncedRecipients", [])
        kind = "bounce"
    elif event_type == "Complaint":
        recipients = message.get("complaint", {}).get("complainedRecipients", [])
        kind = "complaint"
    else:
        return None
    return MailEvent(kind, school, [str(recipient["emailAddress"]) for recipient in recipients])


def handle(records: list[dict[str, Any]], now: float) -> dict[str, int]:
    marked = ignored = 0
    for record in records:
        event = parse(json.loads(record["Sns"]["Message"]))
        if event is None or event.school_id is None:
            ignored += 1
            count_outcome("bounces", "ignored")
            continue
        if event.kind == "delivery":
            for address in event.addresses:
                marked += people.mark_delivered(event.school_id, address, now)
            count_outcome("bounces", "invitation_delivered")
            continue
        school = schools.get_school(event.school_id)
        retention = school.policy.audit_retention_days if school else DEFAULT_AUDIT_RETENTION_DAYS
        for address in event.addresses:
            people_marked = people.mark_undeliverable(event.school_id, address, event.kind, retention, now)
            marked += len(people_marked)
            logger.info(
                "address undeliverable",
                extra={
                    "kind": event.kind,
                    "school": event.school_id,
                    "to": masking.mask_email(address),
                    "people": len(people_marked),
                },
            )
            count_outcome("bounces", f"{event.kind}_marked")
    return {"marked": marked, "ignored": ignored}
