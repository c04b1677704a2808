"""The register's credential check (internal, AWS_IAM): the register's own
backend asks whether a parent's login and password are right. The caller is
IAM-authenticated, so the end user's address it passes (`client_ip`) is
trusted and the per-address limits apply to it, as on the public routes;
a call without one counts against the caller itself. The lockout applies
too. A hash with older argon2 parameters is upgraded on the way."""

from __future__ import annotations

from dataclasses import dataclass

from chiave.runtime.observability import count_outcome, logger
from chiave.steps import login
from chiave.store import accounts


@dataclass(frozen=True)
class VerifiedAccount:
    user_code: str
    codice_fiscale: str
    role: str
    status: str
    must_change_password: bool


def verify_credentials(
    school_id: str, raw_login: str, password: str, end_user_ip: str | None, caller: str | None, now: float
) -> VerifiedAccount:
    # Every line this check logs names the register's caller and its end user.
    with logger.append_context_keys(end_user_ip=end_user_ip, caller=caller):
        address = end_user_ip or f"caller {caller or 'unknown'}"
        authenticated = login.authenticate("verify_credentials", school_id, raw_login, password, address, now)
        return _verified(authenticated)


def _verified(authenticated: login.Authenticated) -> VerifiedAccount:
    person = authenticated.person
    if authenticated.rehashed and authenticated.password_hash:
        accounts.replace_hash(person, "password_hash", authenticated.password_hash, authenticated.rehashed)
        count_outcome("verify_credentials", "rehashed")
    logger.info("credentials verified", extra=login.log_facts(authenticated))
    count_outcome("verify_credentials", "verified")
    assert person.user_code is not None
    return VerifiedAccount(
        user_code=person.user_code,
        codice_fiscale=person.codice_fiscale,
        role=person.role.value,
        status=person.status.value,
        must_change_password=authenticated.credentials.must_change_password,
    )
