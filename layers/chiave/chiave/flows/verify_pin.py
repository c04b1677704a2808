"""The register's PIN check (internal, AWS_IAM): before a parent justifies an
absence or signs a consent, the register asks whether the PIN is right.
`pin_max_attempts` wrong PINs in a row lock the PIN until a new one is
issued; each attempt is counted before the PIN is checked, so under any
concurrency no more are ever checked. The account's login lockout applies
too. A PIN hashed with older argon2 parameters or an older pepper is
upgraded on the way."""

from __future__ import annotations

from chiave.credentials import pins, user_code
from chiave.domain import AccountStatus
from chiave.errors import (
    AccountLocked,
    AccountUnavailable,
    InvalidUserCode,
    PinInvalid,
    PinLocked,
)
from chiave.runtime.observability import count_outcome, logger
from chiave.steps.reading import school_served
from chiave.store import accounts, logins

# Who a PIN for nobody is checked against: the same work, nobody's PIN.
_NOBODY = "-"


def verify_pin(
    school_id: str, code: str, pin: str, end_user_ip: str | None, caller: str | None, now: float
) -> str:
    """The user code whose PIN this is; raises PinInvalid, PinLocked, AccountLocked."""
    # Every line this check logs names the register's caller and its end user.
    with logger.append_context_keys(end_user_ip=end_user_ip, caller=caller):
        return _verify(school_id, code, pin, now)


def _verify(school_id: str, code: str, pin: str, now: float) -> str:
    if not user_code.is_valid(code):
        raise InvalidUserCode()
    found = logins.read(school_id, code, [])
    policy = school_served(found.school).policy
    account, login_state = logins.account_and_state(school_id, found.user_code_owner)
    locked_for = login_state.retry_after(policy, now)
    if locked_for is not None:
        count_outcome("verify_pin", "locked")
        raise AccountLocked(retry_after=locked_for)
    person, credentials = account if account else (None, None)
    stored = credentials.pin if credentials else None
    reserved = None
    if person is not None and stored is not None:
        reserved = accounts.reserve_pin_attempt(person, stored.hash, policy.pin_max_attempts)
        if reserved is None:
            count_outcome("verify_pin", "pin_locked")
            raise PinLocked()
    right = pins.verify_pin(stored, school_id, person.codice_fiscale if person else _NOBODY, pin)
    if not right or person is None or stored is None or reserved is None:
        logger.info("pin refused", extra={"school": school_id, "failures": reserved})
        if reserved is not None and reserved >= policy.pin_max_attempts:
            count_outcome("verify_pin", "pin_locked_now")
            raise PinLocked()
        count_outcome("verify_pin", "pin_invalid")
        raise PinInvalid()
    accounts.release_pin_attempts(person, stored.hash, reserved)
    if person.status is not AccountStatus.ACTIVE:
        raise AccountUnavailable()
    if pins.needs_rehash(stored):
        upgraded = pins.hash_pin(school_id, person.codice_fiscale, pin)
        accounts.replace_hash(
            person, "pin_hash", stored.hash, upgraded.hash, pin_pepper_version=upgraded.pepper_version
        )
        count_outcome("verify_pin", "rehashed")
    logger.info("pin verified", extra={"school": school_id})
    count_outcome("verify_pin", "verified")
    return code
