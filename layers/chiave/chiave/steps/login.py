"""What every flow that takes a login and a password shares: issue-pin,
change-password and the register's credential check (SPEC §5, NIST SP
800-63B).

A login is a user code or an e-mail. Each attempt is counted, by a
conditional write, before the password is checked, so under any
concurrency no more than `login_max_failures` passwords are ever checked in
a series. Attempts count per account, whatever identifier named it (one
lockout per account); a login nobody has counts against itself, so it
answers exactly as a wrong password does: the same status, body and
headers, the same AWS calls and the same argon2 work (a dummy hash), and it
locks the same way. A lock answers 423 even to the right password; a reset
by e-mail link clears it. A success forgets the failures before it, unless
an attempt was counted since. Every attempt also counts against the client
address, so one address cannot try a password across a whole school."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NoReturn

from chiave import ratelimit
from chiave.credentials import passwords, user_code
from chiave.domain import AccountStatus, Credentials, Flow, LoginState, Person, School
from chiave.errors import (
    AccountLocked,
    AccountUnavailable,
    InvalidCredentials,
    InvalidLogin,
    InvalidUserCode,
    RateLimited,
)
from chiave.italian import codice_fiscale
from chiave.notify import outbox
from chiave.notify.outbox import Notice
from chiave.runtime import coldstart, masking
from chiave.runtime.observability import count_outcome, logger
from chiave.steps.links import COVER_PERSON, ip_counters
from chiave.steps.reading import school_served
from chiave.store import accounts, audit, logins
from chiave.store.table import Key

coldstart.on_warm_up(passwords.warm_verifying)

# One mailbox may serve several accounts of a school (two parents sharing it).
MAX_ACCOUNTS_PER_EMAIL = 5


@dataclass(frozen=True)
class Login:
    kind: Literal["user_code", "email", "codice_fiscale", "session"]
    value: str


# What a login checks: the password, or a temporary code the school issued
# (which a person without an e-mail or a user code redeems by codice fiscale).
Checked = Literal["password", "temporary_code"]


def parse_login(raw: str, checks: Checked = "password") -> Login:
    value = raw.strip()
    if "@" in value:
        return Login("email", value.casefold())
    if user_code.looks_like_user_code(value):
        if not user_code.is_valid(value):
            raise InvalidUserCode()
        return Login("user_code", value)
    if checks == "temporary_code" and codice_fiscale.is_valid(value):
        return Login("codice_fiscale", codice_fiscale.canonical(value))
    raise InvalidLogin()


@dataclass(frozen=True)
class Authenticated:
    """A login whose password matched an active account (or, in the account
    area, the browser's session: chiave.steps.session)."""

    school: School
    person: Person
    credentials: Credentials
    login: Login
    # The hash the password matched, and the same password hashed with
    # today's parameters when that hash's were older (None: up to date).
    # A session's: the account's hash as read (None: it has no password).
    password_hash: str | None
    rehashed: str | None
    # This request's counters, to be committed with what the flow does.
    counters: list[ratelimit.Counter]
    # The flow of a token sent with the login, if any (a PIN's SMS step).
    flow: Flow | None
    # What must still hold when the flow commits (the session, signed in recently enough).
    holds: tuple[dict[str, Any], ...] = ()


def authenticate(
    flow_name: str,
    school_id: str,
    raw_login: str,
    password: str,
    client_ip: str,
    now: float,
    flow_token_sha256: str | None = None,
    checks: Checked = "password",
) -> Authenticated:
    """Check a login and its password (or, with `checks` "temporary_code",
    its live temporary code), counting the attempt against `client_ip`'s
    limits (an internal route passes the end user's address, or names its
    caller). Raises InvalidCredentials, AccountLocked, RateLimited,
    AccountUnavailable, SchoolNotFound."""
    login = parse_login(raw_login, checks)
    # The counters' keys do not depend on their limits: the school's are set once it is read.
    probes = ratelimit.per_ip(school_id, client_ip, 1, 1, now)
    found = logins.read(
        school_id, login.value if login.kind == "user_code" else None, probes, flow_token_sha256
    )
    school = school_served(found.school)
    counters = ip_counters(school, client_ip, now)
    over = [counter for counter, used in zip(counters, found.used, strict=True) if used >= counter.limit]
    if over:
        raise RateLimited(retry_after=max(counter.retry_after(now) for counter in over))
    secret_of = _SECRETS[checks]
    if login.kind == "email":
        sharing = accounts.accounts_by_email(school_id, login.value, MAX_ACCOUNTS_PER_EMAIL)
        holders = _logged_in_by_email(sharing, secret_of, now)
    else:
        owner = found.user_code_owner if login.kind == "user_code" else login.value
        account = accounts.get_account(school_id, owner)
        holders = [account] if account else []
    attempt = _reserve(flow_name, school, login, holders, now)
    hashes = [hashed for _, credentials in holders if (hashed := secret_of(credentials, now))]
    matched = passwords.verify_any(hashes, password)
    if matched is None:
        _failed(flow_name, school, login, attempt, holders, counters, now)
    logins.release(*attempt)
    person, credentials = next(
        (person, credentials) for person, credentials in holders if secret_of(credentials, now) == matched
    )
    if person.status not in _USABLE[checks]:
        count_outcome(flow_name, "account_unavailable")
        raise AccountUnavailable()
    return Authenticated(
        school=school,
        person=person,
        credentials=credentials,
        login=login,
        password_hash=matched,
        rehashed=(
            passwords.hash_secret(password)
            if checks == "password" and passwords.needs_rehash(matched)
            else None
        ),
        counters=counters,
        flow=found.flow,
    )


def _logged_in_by_email(
    holders: list[accounts.Account], secret_of: Callable[[Credentials, float], str | None], now: float
) -> list[accounts.Account]:
    """Of the accounts sharing an e-mail (two parents, one mailbox), the one
    that e-mail logs in: the first activated of those with the secret asked
    for (the others log in by user code). So a login checks one password
    whoever shares the address, and its time tells nobody how many do."""
    if len(holders) <= 1:
        return holders
    candidates = [holder for holder in holders if secret_of(holder[1], now)] or holders
    first = min(
        candidates,
        key=lambda holder: (
            holder[1].activated_at is None,
            holder[1].activated_at or 0,
            holder[0].codice_fiscale,
        ),
    )
    return [first]


_SECRETS: dict[str, Callable[[Credentials, float], str | None]] = {
    "password": lambda credentials, _now: credentials.password_hash,
    "temporary_code": lambda credentials, now: credentials.temporary_code(now),
}
# A temporary code also serves the account that has no password yet.
_USABLE = {
    "password": frozenset({AccountStatus.ACTIVE}),
    "temporary_code": frozenset(
        {AccountStatus.PENDING, AccountStatus.ACTIVE, AccountStatus.AWAITING_IDENTIFICATION}
    ),
}


Attempt = tuple[Key, LoginState]


def _reserve(
    flow_name: str, school: School, login: Login, holders: list[accounts.Account], now: float
) -> Attempt:
    """The attempt counted on the account the login names (a login nobody has:
    on itself), before any password is checked. Raises AccountLocked; a lock
    whose holder was never told (a fault lost the notice) is told now."""
    owner = holders[0][0].codice_fiscale if holders else None
    key = logins.attempts_key(school.id, login.value, owner)
    try:
        return key, logins.reserve(key, school.policy, int(now))
    except logins.Locked as locked:
        count_outcome(flow_name, "locked")
        if locked.state.notice_owed(school.policy, now):
            _tell_lock(school, login, holders, (key, locked.state), [], now)
        raise


def _tell_lock(
    school: School,
    login: Login,
    holders: list[accounts.Account],
    lock: Attempt,
    counters: list[ratelimit.Counter],
    now: float,
) -> None:
    """The lock told to the account's holder, once, with its audit item (a
    login nobody has queues a cover and writes nobody's item: the same work)."""
    lock_s = lock[1].lock_s(school.policy)
    commit_id = outbox.queue([_locked_notice(school, holders, lock_s)]).commit_id
    record = _locked_record(school, login, holders, lock_s, now)
    logins.count_failure(counters, lock, record, commit_id, int(now))


def _failed(
    flow_name: str,
    school: School,
    login: Login,
    attempt: Attempt,
    holders: list[accounts.Account],
    counters: list[ratelimit.Counter],
    now: float,
) -> NoReturn:
    """The attempt was counted already; the one that completed a series locks
    the account and tells its holder."""
    policy, state = school.policy, attempt[1]
    completes = state.failures >= policy.login_max_failures
    if completes:
        _tell_lock(school, login, holders, attempt, counters, now)
    else:
        logins.count_failure(counters, None, None, None, int(now))
    logger.info(
        f"{flow_name}: wrong password",
        extra={"school": school.id, "login_kind": login.kind, "failures": state.failures},
    )
    if completes:
        count_outcome(flow_name, "locked_now")
        raise AccountLocked(retry_after=state.retry_after(policy, int(now)) or state.lock_s(policy))
    count_outcome(flow_name, "invalid_credentials")
    raise InvalidCredentials()


def _locked_record(
    school: School, login: Login, holders: list[accounts.Account], lock_s: int, now: float
) -> dict[str, Any]:
    """The lock on the holder's trail; a login nobody has writes the same
    item on nobody's (kept a day), so the work stays the same."""
    holder = holders[0][0] if holders else None
    retention = school.policy.audit_retention_days if holder else 1
    return audit.entry(
        school.id,
        (holder or COVER_PERSON).codice_fiscale,
        "locked",
        "self",
        "done",
        retention,
        now,
        login=login.kind,
        minutes=str(max(1, lock_s // 60)),
    )


def _locked_notice(school: School, holders: list[accounts.Account], lock_s: int) -> Notice:
    holder = next((person for person, _ in holders if person.email), None)
    return outbox.to_holder(school, holder, "account_locked", minutes=str(max(1, lock_s // 60)))


def commit_change(
    authenticated: Authenticated,
    account_change: dict[str, Any],
    others: list[dict[str, Any]],
    commit_id: str | None,
    now: float,
) -> None:
    """The flow's change to the account with the login's success: see
    chiave.store.logins.commit_success."""
    logins.commit_success(
        account_change, others, authenticated.counters, commit_id, int(now), authenticated.holds
    )


def commit_unchanged(
    authenticated: Authenticated, others: list[dict[str, Any]], commit_id: str | None, now: float
) -> None:
    """What a flow writes after a login that leaves the account as it is (a
    flow opened), while its password is still the one just verified."""
    person = authenticated.person
    commit_change(
        authenticated,
        accounts.password_unchanged(person, authenticated.password_hash),
        others,
        commit_id,
        now,
    )


def audit_entry(authenticated: Authenticated, action: str, now: float, **details: str) -> dict[str, Any]:
    """The audit item of what the account's holder did after this login."""
    school, person = authenticated.school, authenticated.person
    return audit.entry(
        school.id,
        person.codice_fiscale,
        action,
        "self",
        "done",
        school.policy.audit_retention_days,
        now,
        login=authenticated.login.kind,
        **details,
    )


def log_facts(authenticated: Authenticated) -> dict[str, str]:
    return {
        "school": authenticated.school.id,
        "login_kind": authenticated.login.kind,
        "codice_fiscale": masking.mask_codice_fiscale(authenticated.person.codice_fiscale),
    }
