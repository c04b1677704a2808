"""Step-up: what a request proves beyond the password, with the factor the
account already has (SPEC §6). A PIN under `otp_required_for_pin`, and every
change of a factor or a contact (the e-mail, the mobile, the authenticator
app), need it: the password alone never re-binds a factor.

The first request opens a short-lived flow of its purpose and answers 403
`otp_required` with the flow's token: its code comes from the account's
authenticator app when it has one, else by SMS to the mobile on file
(send-otp, verify-otp run on that token). The same request made again with
the verified token goes on, and uses the flow up in its own commit. An
account with neither proves its e-mail instead, and the change waits a
cool-off (chiave.flows.factor_changes)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, NoReturn

from chiave.credentials import tokens
from chiave.domain import Change, Flow, Purpose
from chiave.errors import EmailConfirmationRequired, MobileMissing, OtpRequired, TokenInvalid
from chiave.notify import outbox
from chiave.runtime import masking
from chiave.runtime.observability import count_outcome
from chiave.steps import login
from chiave.steps.links import STEP_UP_LIFETIME_S, new_flow, open_link, recipient_counters
from chiave.steps.reading import check_open, flow_key
from chiave.store import flows


@dataclass(frozen=True)
class Asked:
    """A request that logs in, and the step-up token it may carry."""

    school_id: str
    raw_login: str
    password: str
    token: str | None
    client_ip: str


def authenticate(flow_name: str, asked: Asked, now: float) -> login.Authenticated:
    """The login, with the step-up flow its token names read in the same round trip."""
    token_sha256 = flow_key(asked.token) if asked.token else None
    return login.authenticate(
        flow_name, asked.school_id, asked.raw_login, asked.password, asked.client_ip, now, token_sha256
    )


def for_factor_change(
    authenticated: login.Authenticated, change: Change, token: str | None, flow_name: str, now: float
) -> list[dict[str, Any]]:
    """The password alone never re-binds a factor or a contact: an account
    with an app or a mobile proves the one it has first (`proved`). One with
    neither proves its e-mail, and then waits (`_confirm_by_email`); one with
    no contact at all goes to the school office (MobileMissing: give the
    school a mobile)."""
    person = authenticated.person
    if person.totp_sealed is None and person.mobile is None:
        if person.email is None:
            raise MobileMissing()
        _confirm_by_email(authenticated, change, flow_name, now)
    return proved(authenticated, Purpose.FACTOR_CHANGE, token, flow_name, now)


def _confirm_by_email(
    authenticated: login.Authenticated, change: Change, flow_name: str, now: float
) -> NoReturn:
    """An account whose only contact is its e-mail: a link to that address
    confirms the change, which then waits the school's cool-off, with a
    notice that can cancel it (chiave.flows.factor_changes). The mail counts
    against the address's cap, so the password alone cannot flood it."""
    school, person = authenticated.school, authenticated.person
    cool_off_s = school.policy.factor_change_cool_off_s
    link = open_link(school, person, Purpose.CHANGE_CONFIRMATION, now)
    flow = replace(link.flow, change_kind=change.kind, change_to=change.to, cool_off_s=cool_off_s)
    params = {**link.notice.params, **change_params(change), "cool_off_hours": str(cool_off_s // 3600)}
    notice = link.notice.model_copy(update={"params": params})
    message = outbox.queue([notice])
    record = login.audit_entry(authenticated, "change_confirmation_sent", now, change=change.kind)
    capped = recipient_counters(school, [notice], "change", now)
    counted = replace(authenticated, counters=[*authenticated.counters, *capped])
    login.commit_unchanged(counted, [flows.put(flow), record], message.commit_id, now)
    count_outcome(flow_name, "email_confirmation_sent")
    assert person.email is not None
    raise EmailConfirmationRequired(email_hint=masking.mask_email(person.email), cool_off_s=cool_off_s)


def change_params(change: Change) -> dict[str, str]:
    """What an e-mail about a change says it changes (the new contact masked)."""
    if change.kind == "email" and change.to:
        return {"change": "email", "hint": masking.mask_email(change.to)}
    if change.kind == "mobile" and change.to:
        return {"change": "mobile", "hint": masking.phone_hint(change.to)}
    return {"change": change.kind, "hint": ""}


def proved(
    authenticated: login.Authenticated, purpose: Purpose, token: str | None, flow_name: str, now: float
) -> list[dict[str, Any]]:
    """The transaction part that uses up the verified step-up flow the request
    carries; without a token, opens one and raises OtpRequired with it.
    Raises TokenInvalid for another account's or purpose's token, OtpRequired
    while its code is not verified, MobileMissing when the account has no
    factor at all."""
    if token is None:
        _open(authenticated, purpose, flow_name, now)
    flow, person = authenticated.flow, authenticated.person
    if (
        flow is None
        or flow.purpose is not purpose
        or flow.school_id != person.school_id
        or flow.codice_fiscale != person.codice_fiscale
    ):
        raise TokenInvalid()
    check_open(flow, now)
    if not flow.otp_verified:
        raise OtpRequired()
    return [flows.consume(flow, int(now))]


def _flow(authenticated: login.Authenticated, purpose: Purpose, token_sha256: str, now: float) -> Flow:
    return new_flow(
        authenticated.school,
        authenticated.person,
        purpose,
        token_sha256,
        STEP_UP_LIFETIME_S,
        otp_required=True,
        now=now,
    )


def _open(authenticated: login.Authenticated, purpose: Purpose, flow_name: str, now: float) -> NoReturn:
    """The step's flow: the login succeeded, so it counts as one."""
    person = authenticated.person
    token = tokens.new_token()
    flow = _flow(authenticated, purpose, tokens.token_hash(token), now)
    if person.mobile is None and not flow.otp_by_app:
        raise MobileMissing()
    login.commit_unchanged(authenticated, [flows.put(flow)], None, now)
    count_outcome(flow_name, "otp_required")
    if flow.otp_by_app:
        raise OtpRequired(token=token, expires_in=STEP_UP_LIFETIME_S, otp_method="app")
    assert person.mobile is not None
    raise OtpRequired(
        token=token,
        expires_in=STEP_UP_LIFETIME_S,
        otp_method="sms",
        phone_hint=masking.phone_hint(person.mobile),
    )
