"""issue-pin (SPEC §2.6): an active account's login and password get a new
PIN for the register's own actions (justifying an absence, signing a
consent). The new PIN replaces the old one at once.

Delivery follows the school's `pin_delivery`: `response` shows it once in
the answer and e-mails a notice without it; `email` sends it by e-mail (as
Axios does) and never shows it. A school may require an SMS code first
(`otp_required_for_pin`): the first request opens a short-lived PIN flow and
answers 403 otp_required with its token; the SMS step runs on that token
(send-otp, verify-otp); the request made again with the token gets the PIN."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from chiave.credentials import pins, tokens
from chiave.domain import Flow, Purpose
from chiave.errors import EmailMissing, MobileMissing, OtpRequired, TokenInvalid
from chiave.notify import outbox
from chiave.runtime import masking
from chiave.runtime.observability import count_outcome, logger
from chiave.runtime.settings import settings
from chiave.steps import login
from chiave.steps.links import STEP_UP_LIFETIME_S, new_flow
from chiave.steps.reading import check_open, flow_key
from chiave.store import accounts, flows


@dataclass(frozen=True)
class IssuedPin:
    """`pin` is None when it went by e-mail."""

    pin: str | None


def issue_pin(
    school_id: str, raw_login: str, password: str, token: str | None, client_ip: str, now: float
) -> IssuedPin:
    token_sha256 = flow_key(token) if token else None
    authenticated = login.authenticate(
        "issue_pin", school_id, raw_login, password, client_ip, now, token_sha256
    )
    school, person = authenticated.school, authenticated.person
    policy = school.policy
    consumed = []
    if policy.otp_required_for_pin:
        if token is None:
            _open_pin_flow(authenticated, now)
        flow = _verified_pin_flow(authenticated, now)
        consumed.append(flows.consume(flow, int(now)))
    if policy.pin_delivery == "email" and not person.email:
        raise EmailMissing()
    sealed = None
    if policy.pin_delivery == "email":
        pin, sealed = tokens.new_sealed_code(tokens.data_key(settings().outbox_key_id), policy.pin_length)
    else:
        pin = pins.new_pin(policy.pin_length)
    stored = pins.hash_pin(school.id, person.codice_fiscale, pin)
    notice = outbox.to_holder(
        school,
        person,
        "pin_sent" if sealed else "pin_issued",
        sealed,
        user_code=person.user_code or "",
        length=str(policy.pin_length),
    )
    message = outbox.queue([notice])
    moment = int(now)
    change = accounts.set_pin(person, authenticated.password_hash, stored, authenticated.rehashed, moment)
    record = login.audit_entry(authenticated, "pin_issued", now, delivery=policy.pin_delivery)
    login.commit_change(authenticated, change, [*consumed, record], message.commit_id, now)
    logger.info("pin issued", extra={**login.log_facts(authenticated), "delivery": policy.pin_delivery})
    count_outcome("issue_pin", f"issued_{policy.pin_delivery}")
    return IssuedPin(pin=None if sealed else pin)


def _open_pin_flow(authenticated: login.Authenticated, now: float) -> NoReturn:
    """The SMS step's flow: the login succeeded, so it counts and clears as one."""
    school, person = authenticated.school, authenticated.person
    token = tokens.new_token()
    flow = new_flow(
        school, person, Purpose.PIN, tokens.token_hash(token), STEP_UP_LIFETIME_S, otp_required=True, now=now
    )
    if person.mobile is None and not flow.otp_by_app:
        raise MobileMissing()
    login.commit_unchanged(
        authenticated,
        [flows.put(flow)],
        None,
        now,
    )
    count_outcome("issue_pin", "otp_required")
    if flow.otp_by_app:
        raise OtpRequired(token=token, expires_in=STEP_UP_LIFETIME_S, otp_method="app")
    assert person.mobile is not None
    raise OtpRequired(
        token=token,
        expires_in=STEP_UP_LIFETIME_S,
        otp_method="sms",
        phone_hint=masking.phone_hint(person.mobile),
    )


def _verified_pin_flow(authenticated: login.Authenticated, now: float) -> Flow:
    flow, person = authenticated.flow, authenticated.person
    if (
        flow is None
        or flow.purpose is not Purpose.PIN
        or flow.school_id != person.school_id
        or flow.codice_fiscale != person.codice_fiscale
    ):
        raise TokenInvalid()
    check_open(flow, now)
    if not flow.otp_verified:
        raise OtpRequired()
    return flow
