"""The invitation orders the invite action queued (chiave.jobs.invite): each
person of an order still to invite gets an activation link, in a
transaction of their own, only if they are still without credentials, at
the same address, and not invited while the last invitation's link can
still be used; their e-mails go on the bulk outbox, paced
(chiave.notify.pacing), so a parent's reset mail never waits behind them."""

from __future__ import annotations

from chiave.domain import Purpose, School
from chiave.jobs.invite import InvitationOrder, live_since, skip_reason
from chiave.notify import outbox
from chiave.runtime.observability import count_by, count_outcome
from chiave.steps.links import Link, open_link
from chiave.store import audit, flows, people, schools
from chiave.store.people import Enrolled


def invitation_link(school: School, someone: Enrolled, now: float) -> Link:
    """An activation link, carried by the invitation's e-mail."""
    link = open_link(school, someone.person, Purpose.ACTIVATION, now)
    return Link(link.flow, link.notice.model_copy(update={"template": "invitation"}))


def send_invitations(order: InvitationOrder, now: float) -> dict[str, int]:
    """One order from the queue: each person still to invite gets a link,
    in a transaction of their own. Run twice, it invites nobody twice."""
    school = schools.get_school(order.school_id)
    if school is None:  # the school was removed since: nobody to invite
        count_outcome("invitations", "school_gone")
        return {"invited": 0, "skipped": len(order.codici_fiscali)}
    due = [s for s in people.enrolled(school.id, order.codici_fiscali) if skip_reason(school, s, now) is None]
    links = [invitation_link(school, someone, now) for someone in due]
    messages = outbox.queue_each([link.notice for link in links])
    invited = 0
    for someone, link, message in zip(due, links, messages, strict=True):
        person = someone.person
        record = audit.entry(
            school.id,
            person.codice_fiscale,
            "invited",
            order.operator,
            "done",
            school.policy.audit_retention_days,
            now,
            reason=order.reason,
            request_id=order.request_id,
        )
        if not flows.open_invitation(
            person, live_since(school, now), link.flow, record, message.commit_id, now
        ):
            continue  # invited, activated or given a new address meanwhile: notify drops the mail
        invited += 1
    count_by("invitations.sent", invited, school=school.id)
    return {"invited": invited, "skipped": len(order.codici_fiscali) - invited}
