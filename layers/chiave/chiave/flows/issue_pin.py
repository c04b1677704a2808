"""issue-pin (SPEC §2.6): an active account's login and password get a new
PIN for the register's own actions (justifying an absence, signing a
consent). The new PIN replaces the old one at once.

Delivery follows the school's `pin_delivery`: `response` shows it once in
the answer and e-mails a notice without it; `email` sends it by e-mail (as
Axios does) and never shows it. A school may require an SMS code first
(`otp_required_for_pin`): a step-up (chiave.steps.step_up) with the
account's factor, the request made again with its verified token gets the PIN."""

from __future__ import annotations

from dataclasses import dataclass

from chiave.credentials import pins, tokens
from chiave.domain import Purpose
from chiave.errors import EmailMissing
from chiave.notify import outbox
from chiave.runtime.observability import count_outcome, logger
from chiave.runtime.settings import settings
from chiave.steps import login, step_up
from chiave.store import accounts


@dataclass(frozen=True)
class IssuedPin:
    """`pin` is None when it went by e-mail."""

    pin: str | None


def issue_pin(asked: step_up.Asked, now: float) -> IssuedPin:
    authenticated = step_up.authenticate("issue_pin", asked, now)
    return pin_for(authenticated, asked.token, "issue_pin", now)


def pin_for(authenticated: login.Authenticated, token: str | None, flow_name: str, now: float) -> IssuedPin:
    """A new PIN for the account just authenticated (a login, or the account area's session)."""
    school, person = authenticated.school, authenticated.person
    policy = school.policy
    consumed = (
        step_up.proved(authenticated, Purpose.PIN, token, flow_name, now)
        if policy.otp_required_for_pin
        else []
    )
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
    count_outcome(flow_name, f"issued_{policy.pin_delivery}")
    return IssuedPin(pin=None if sealed else pin)
