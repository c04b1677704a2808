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

from dataclasses import dataclass, replace
from typing import Any

from chiave.domain import Purpose
from chiave.errors import SignInExpired, TokenUsed
from chiave.oidc import authorize, discovery
from chiave.runtime.observability import count_outcome, logger
from chiave.steps import entry, login, step_up


@dataclass(frozen=True)
class SignedInAnswer:
    redirect: str  # the register's callback, with the code
    session_cookie: str
    session_lifetime_s: int


def sign_in(request_id: str, asked: step_up.Asked, now: float, held: str | None = None) -> SignedInAnswer:
    request, client, school_id = entry.request_answered_for(request_id, asked.school_id, now)
    authenticated = step_up.authenticate("sign_in", replace(asked, school_id=school_id), now)
    person = authenticated.person
    entry.may_enter_with_password(authenticated.school, person, now)
    wants_second = authenticated.school.policy.sign_in_second_factor or (
        set(request.acr_values) == {discovery.ACR_SECOND_FACTOR}
    )
    consumed: list[dict[str, Any]] = []
    acr: str = discovery.ACR_PASSWORD
    amr: tuple[str, ...] = ("pwd",)
    if wants_second:
        consumed = step_up.proved(authenticated, Purpose.SIGN_IN, asked.token, "sign_in", now)
        acr, amr = discovery.ACR_SECOND_FACTOR, ("pwd", "otp" if person.totp_sealed else "sms")
    signed_in = entry.signed_in(authenticated.school.id, person.codice_fiscale, acr, amr, now)
    done = authorize.answered(request, signed_in, now, held)
    record = login.audit_entry(authenticated, "signed_in", now, client=client.id, acr=acr)
    try:
        login.commit_unchanged(authenticated, [*done.parts, *consumed, record], None, now)
    except TokenUsed:
        raise SignInExpired() from None  # answered meanwhile (a second press, another tab)
    logger.info("signed in", extra={**login.log_facts(authenticated), "client": client.id, "acr": acr})
    count_outcome("sign_in", "second_factor" if wants_second else "password")
    return SignedInAnswer(done.redirect, done.session_cookie, authorize.SESSION_LIFETIME_S)
