"""factor changes: a contact or a factor changed by an account that has no
second factor, only its e-mail (SPEC §6). The password alone asked for it
(chiave.steps.step_up), and a link went to the current address.

- `confirm` (that link): the holder says it was them. The change is
  scheduled: it waits the school's cool-off (`factor_change_cool_off_s`),
  and a notice to every current contact carries the one link that completes
  it afterwards or cancels it at any time. The first link is used up.
- `cancel` (either link): the change is dropped, at any moment before it
  is completed; the holder is told to change the password.
- `complete` (the notice's link, after the cool-off): the change goes on as
  it would for an account that proved a factor: a link to the new address,
  an SMS code to the new number, or the new app's secret to scan.

A new credential since the change was asked (a reset, a password change)
kills it, as it kills every other open link."""

from __future__ import annotations

from dataclasses import dataclass

from chiave.domain import CHANGE_BY_EMAIL, AccountStatus, Change, Flow, Person, Purpose, School
from chiave.errors import AccountUnavailable, ChangeCoolingOff, TokenInvalid, TokenSuperseded, TokenUsed
from chiave.flows import contacts, totp
from chiave.notify import outbox
from chiave.runtime import masking
from chiave.runtime.observability import count_outcome, logger
from chiave.steps.links import fresh_link
from chiave.steps.reading import check_open, load_flow
from chiave.steps.step_up import change_params
from chiave.store import accounts, audit, flows, people
from chiave.store.table import Part, Refused, commit, counted, numbered, refuse_if_over

# How long a confirmed change may still be completed once its cool-off ends.
COMPLETION_WINDOW_S = 7 * 24 * 3600


@dataclass(frozen=True)
class Scheduled:
    change: str
    hint: str
    usable_from: int


@dataclass(frozen=True)
class Completed:
    """What the completed change's next step is: `email` (a link went to the
    new address), `mobile` (an SMS code to the new number: `mobile`), or
    `app` (the secret to scan: `enrolment`)."""

    change: str
    hint: str
    mobile: contacts.MobileChallenge | None = None
    enrolment: totp.Enrolment | None = None


def confirm(token: str, now: float) -> Scheduled:
    flow = _open_flow(token, Purpose.CHANGE_CONFIRMATION, now)
    school, _ = _account(flow)
    assert flow.cool_off_s is not None
    usable_from = int(now) + flow.cool_off_s
    params = {
        **change_params(_change_of(flow)),
        "portal_url": school.portal_url,
        "usable_from": str(usable_from),
    }
    link = fresh_link(
        school,
        flow,
        "scheduled_change",
        params,
        purpose=Purpose.SCHEDULED_CHANGE,
        created_at=int(now),
        usable_from=usable_from,
        expires_at=usable_from + COMPLETION_WINDOW_S,
    )
    record = _audit(flow, "change_scheduled", now)
    message = outbox.queue([link.notice])
    parts = {
        "link": flows.consume(flow, int(now)),
        "scheduled": flows.put(link.flow),
        "account": accounts.still_as_opened(flow),
        "audit": record,
    }
    _commit(parts, message.commit_id, now)
    _log("change scheduled", flow)
    count_outcome("factor_changes", "scheduled")
    return Scheduled(change=_kind(flow), hint=params["hint"], usable_from=usable_from)


def cancel(token: str, now: float) -> str:
    """Drop the change at either step; returns what it would have changed."""
    flow = load_flow(token)
    if flow.purpose not in CHANGE_BY_EMAIL:
        raise TokenInvalid()
    check_open(flow, now)
    notice = outbox.to_flow_holder(flow, "change_cancelled", **change_params(_change_of(flow)))
    commit_id = outbox.queue([notice]).commit_id if notice else outbox.new_id()
    parts = {"link": flows.consume(flow, int(now)), "audit": _audit(flow, "change_cancelled", now)}
    try:
        commit(parts, commit_id, now)
    except Refused as refused:
        if "link" in refused:
            raise TokenUsed() from None
        raise
    _log("change cancelled", flow)
    count_outcome("factor_changes", "cancelled")
    return _kind(flow)


def complete(token: str, now: float) -> Completed:
    flow = _open_flow(token, Purpose.SCHEDULED_CHANGE, now)
    assert flow.usable_from is not None
    if now < flow.usable_from:
        count_outcome("factor_changes", "cooling_off")
        raise ChangeCoolingOff(usable_from=flow.usable_from, retry_after=flow.usable_from - int(now))
    school, person = _account(flow)
    hint = change_params(_change_of(flow))["hint"]
    mobile, enrolment = None, None
    if flow.change_kind == "email":
        assert flow.change_to is not None
        started = contacts.start_email_change(school, person, flow.change_to, now)
    elif flow.change_kind == "mobile":
        assert flow.change_to is not None
        contacts.check_mobile(school, flow.change_to)
        # The SMS and the change count against the same caps as when asked with a factor.
        mobile, started = contacts.start_mobile_change(school, person, flow.change_to, now)
    else:
        enrolment, enrolment_flow = totp.start_enrolment(school, person, now)
        started = contacts.Started([flows.put(enrolment_flow)], [], outbox.new_id())
    parts = {
        "link": flows.consume(flow, int(now)),
        "account": accounts.still_as_opened(flow),
        "audit": _audit(flow, "change_completed", now),
        **numbered("next", started.parts),
        **counted(started.counters),
    }
    try:
        _commit(parts, started.commit_id, now)
    except Refused as refused:
        refuse_if_over(started.counters, refused, now)
        raise
    _log("change completed", flow)
    count_outcome("factor_changes", f"{_kind(flow)}_started")
    return Completed(change=_kind(flow), hint=hint, mobile=mobile, enrolment=enrolment)


def _open_flow(token: str, purpose: Purpose, now: float) -> Flow:
    flow = load_flow(token)
    if flow.purpose is not purpose:
        raise TokenInvalid()
    check_open(flow, now)
    return flow


def _account(flow: Flow) -> tuple[School, Person]:
    """The school and the account as they are now; a credential set since
    the change was asked killed it."""
    school, person = people.get_school_and_person(flow.school_id, flow.codice_fiscale)
    if school is None or person is None:
        raise TokenUsed()
    if person.credential_epoch != flow.credential_epoch:
        raise TokenSuperseded()
    if person.status is not AccountStatus.ACTIVE:
        raise AccountUnavailable()
    return school, person


def _commit(parts: dict[str, Part], commit_id: str, now: float) -> None:
    try:
        commit(parts, commit_id, now)
    except Refused as refused:
        if "link" in refused:
            raise TokenUsed() from None
        if "account" in refused:
            raise TokenSuperseded() from None
        raise


def _change_of(flow: Flow) -> Change:
    assert flow.change_kind is not None
    return Change(flow.change_kind, flow.change_to)


def _kind(flow: Flow) -> str:
    return flow.change_kind or ""


def _audit(flow: Flow, action: str, now: float) -> Part:
    return audit.entry(
        flow.school_id,
        flow.codice_fiscale,
        action,
        "self",
        "done",
        flow.audit_retention_days,
        now,
        change=_kind(flow),
    )


def _log(message: str, flow: Flow) -> None:
    logger.info(
        message,
        extra={
            "school": flow.school_id,
            "change": _kind(flow),
            "codice_fiscale": masking.mask_codice_fiscale(flow.codice_fiscale),
        },
    )
