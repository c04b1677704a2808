"""Bulk invitation (Spaggiari's "invio credenziali"), the console action: every person of a
school with a role (and, if given, a class) who has no account yet gets an
activation link by e-mail, from the console (the invite function).

The console action reads the school's people (one partition, never a
Scan), sets aside those it must not invite, each with its reason, and
queues the rest as orders of ORDER_SIZE people on the invitation queue;
it answers at once. The invitations function takes each order: it reads
those people again, opens a link for each still to invite and queues its
e-mail on the bulk outbox, whose notify is paced (chiave.notify.pacing), so
a parent's reset mail, on the usual outbox, never waits behind them.

Each person is invited in a transaction of their own, only if they are
still without credentials, at the same address, and not invited while the
last invitation's link can still be used: running the action twice, or an
order handed out twice, mails each person once."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from chiave.domain import AccountStatus, Role, School
from chiave.flows.register import too_young
from chiave.runtime.aws import send_all
from chiave.runtime.observability import count_by, logger
from chiave.runtime.settings import settings
from chiave.steps.links import lacks_mobile_for_activation
from chiave.steps.reading import school_served
from chiave.store import people, schools
from chiave.store.people import Enrolled

# People per order on the invitation queue: one order is a few seconds' work.
ORDER_SIZE = 25

# Why a person matching the action is not invited (the answer's `skipped`).
SKIP_REASONS = (
    "already_active",
    "disabled",
    "no_email",
    "no_mobile",
    "undeliverable",
    "too_young",
    "already_invited",
)


@dataclass(frozen=True)
class InvitationRequest:
    operator: str
    school_id: str
    role: Role
    classe: str | None
    reason: str
    request_id: str
    action: str = "invite"


class InvitationOrder(BaseModel):
    """One message of the invitation queue: whom to invite, on whose behalf."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    school_id: str
    codici_fiscali: list[str]
    operator: str
    reason: str
    request_id: str


def skip_reason(school: School, someone: Enrolled, now: float) -> str | None:
    """Why this person is not to be invited now; None: invite them."""
    person = someone.person
    if person.status is AccountStatus.DISABLED:
        return "disabled"
    if person.has_credentials:
        return "already_active"
    if someone.undeliverable:
        return "undeliverable"
    if not person.email:
        return "no_email"
    if too_young(school, person, now):
        return "too_young"
    if lacks_mobile_for_activation(school, person):
        return "no_mobile"
    if someone.invited_at is not None and someone.invited_at > live_since(school, now):
        return "already_invited"
    return None


def live_since(school: School, now: float) -> int:
    """Invitations sent after this moment still have a usable link."""
    return int(now) - school.policy.activation_link_lifetime_s


def _matches(someone: Enrolled, role: Role, classe: str | None) -> bool:
    person = someone.person
    if person.role is not role:
        return False
    return classe is None or (person.classe or "").casefold() == classe.casefold()


def invite(request: InvitationRequest, now: float) -> dict[str, object]:
    """The console action: who is invited, who is not and why."""
    school = school_served(schools.get_school(request.school_id))
    matched, chosen, skipped = 0, [], Counter[str]()
    for someone in people.roster(school.id):
        if not _matches(someone, request.role, request.classe):
            continue
        matched += 1
        reason = skip_reason(school, someone, now)
        if reason is None:
            chosen.append(someone.person.codice_fiscale)
        else:
            skipped[reason] += 1
    orders = [
        InvitationOrder(
            school_id=school.id,
            codici_fiscali=chosen[start : start + ORDER_SIZE],
            operator=request.operator,
            reason=request.reason,
            request_id=request.request_id,
        ).model_dump_json()
        for start in range(0, len(chosen), ORDER_SIZE)
    ]
    send_all(settings().invitation_queue_url, orders)
    for reason, count in skipped.items():
        count_by("invitations.skipped", count, reason=reason, school=school.id)
    count_by("invitations.queued", len(chosen), school=school.id)
    answer: dict[str, object] = {
        "role": request.role.value,
        "classe": request.classe,
        "matched": matched,
        "invited": len(chosen),
        "skipped": sum(skipped.values()),
        "skipped_by_reason": {reason: skipped[reason] for reason in SKIP_REASONS if skipped[reason]},
    }
    logger.info("invitation queued", extra={"school": school.id, "operator": request.operator, **answer})
    return answer
