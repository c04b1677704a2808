"""sign-in (`POST /v1/sign-in`, from the page /accedi): the person answers a
register's authorization request with a login and a password, under the
same lockout and address limits as every login (chiave.steps.login).

Where the school (`sign_in_second_factor`) or the register (`acr_values`
asking only for `urn:chiave:acr:password-otp`) wants a second factor, the
account's own one is proved first (chiave.steps.step_up: the app's code, or
an SMS to the mobile on file), as for a PIN. Then, in one transaction: the
browser's session, the authorization code, the request answered (once) and
the audit item. The answer is where the browser goes next: the register's
own redirect URI, with the code."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Any

from chiave.credentials import tokens
from chiave.domain import Purpose, SignedIn
from chiave.errors import PasswordsNotOffered, SchoolNotServed, SignInExpired, StudentNotAdmitted, TokenUsed
from chiave.italian import clock
from chiave.oidc import authorize, discovery
from chiave.policy import offers_passwords
from chiave.runtime.observability import count_outcome, logger
from chiave.steps import login, step_up
from chiave.store import clients, grants


@dataclass(frozen=True)
class SignedInAnswer:
    redirect: str  # the register's callback, with the code
    session_cookie: str
    session_lifetime_s: int


def sign_in(request_id: str, asked: step_up.Asked, now: float) -> SignedInAnswer:
    request = (
        grants.get_request(tokens.token_hash(request_id), now) if tokens.is_well_formed(request_id) else None
    )
    if request is None:
        raise SignInExpired()
    client = clients.get_client(request.client_id)
    if client is None or not client.enabled:
        raise SignInExpired()
    school_id = request.school_id or asked.school_id
    if school_id not in client.schools:
        raise SchoolNotServed()
    authenticated = step_up.authenticate("sign_in", replace(asked, school_id=school_id), now)
    person = authenticated.person
    if not offers_passwords(authenticated.school.policy, clock.rome(now).date().isoformat()):
        raise PasswordsNotOffered()
    if not authenticated.school.admits_to_registers(person.role):
        raise StudentNotAdmitted()
    wants_second = authenticated.school.policy.sign_in_second_factor or (
        set(request.acr_values) == {discovery.ACR_SECOND_FACTOR}
    )
    consumed: list[dict[str, Any]] = []
    acr: str = discovery.ACR_PASSWORD
    amr: tuple[str, ...] = ("pwd",)
    if wants_second:
        consumed = step_up.proved(authenticated, Purpose.SIGN_IN, asked.token, "sign_in", now)
        acr, amr = discovery.ACR_SECOND_FACTOR, ("pwd", "otp" if person.totp_sealed else "sms")
    signed_in = SignedIn(
        school_id=authenticated.school.id,
        codice_fiscale=person.codice_fiscale,
        auth_time=int(now),
        acr=acr,
        amr=amr,
        session_id=secrets.token_urlsafe(16),
    )
    done = authorize.answered(request, signed_in, now)
    record = login.audit_entry(authenticated, "signed_in", now, client=client.id, acr=acr)
    try:
        login.commit_unchanged(authenticated, [*done.parts, *consumed, record], None, now)
    except TokenUsed:
        raise SignInExpired() from None  # answered meanwhile (a second press, another tab)
    logger.info("signed in", extra={**login.log_facts(authenticated), "client": client.id, "acr": acr})
    count_outcome("sign_in", "second_factor" if wants_second else "password")
    return SignedInAnswer(done.redirect, done.session_cookie, authorize.SESSION_LIFETIME_S)
