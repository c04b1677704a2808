"""change-password ("Cambio password", Spaggiari): the current password,
under the same lockout as any login, sets a new one that meets the school's
rules and none of the last five; every open link of the account dies (the
credential epoch moves on) and the holder gets a notice without the secret.
The account area sets a new password the same way (`set_new_password`), after
a fresh sign-in instead of the current password."""

from __future__ import annotations

from chiave.credentials import passwords
from chiave.errors import WeakPassword
from chiave.notify import outbox
from chiave.runtime import coldstart
from chiave.runtime.observability import count_outcome, logger
from chiave.steps import login
from chiave.store import accounts

coldstart.on_warm_up(passwords.warm_rules)

# The current password and this many before it may not be chosen again.
HISTORY_SIZE = 4


def change_password(
    school_id: str, raw_login: str, current_password: str, new_password: str, client_ip: str, now: float
) -> None:
    authenticated = login.authenticate(
        "change_password", school_id, raw_login, current_password, client_ip, now
    )
    set_new_password(authenticated, new_password, "change_password", now)


def set_new_password(
    authenticated: login.Authenticated, new_password: str, flow_name: str, now: float
) -> None:
    """The new password, if it meets the school's rules and is none of the recent ones."""
    school, person = authenticated.school, authenticated.person
    profile = school.policy.password_profile
    context = [person.codice_fiscale, person.name, person.surname, person.user_code or ""]
    failed = passwords.failed_rules(new_password, profile, context)
    if not failed:
        recent = (authenticated.password_hash, *authenticated.credentials.password_history[:HISTORY_SIZE])
        if any(passwords.verify_secret(earlier, new_password) for earlier in recent if earlier):
            failed = ["history"]
    if failed:
        count_outcome(flow_name, "weak_password")
        raise WeakPassword(rules=failed, profile=profile)
    new_hash = passwords.hash_secret(new_password)
    earlier = (authenticated.password_hash, *authenticated.credentials.password_history)
    history = tuple(hashed for hashed in earlier if hashed)[:HISTORY_SIZE]
    notice = outbox.to_holder(school, person, "password_changed", user_code=person.user_code or "")
    message = outbox.queue([notice])
    change = accounts.change_password(person, authenticated.password_hash, new_hash, history, int(now))
    record = login.audit_entry(authenticated, "password_changed", now)
    login.commit_change(authenticated, change, [record], message.commit_id, now)
    logger.info("password changed", extra=login.log_facts(authenticated))
    count_outcome(flow_name, "changed")
