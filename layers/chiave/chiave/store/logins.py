"""Login items: the wrong passwords given for one login identifier at a
school, whether or not an account has it (chiave.domain.LoginState)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chiave.domain import MAX_LOCK_S, Flow, LoginState, School
from chiave.errors import AccountLocked, InvalidCredentials, NotSignedIn, TokenUsed
from chiave.policy import Policy
from chiave.ratelimit import Counter
from chiave.runtime.aws import dynamodb
from chiave.store import accounts, flows, keys
from chiave.store.people import person_from
from chiave.store.schools import school_from
from chiave.store.table import (
    Item,
    Key,
    Part,
    Refused,
    batch_get,
    commit_or_transact,
    counted,
    delete,
    found,
    from_dynamo,
    numbered,
    refuse_if_over,
    table_name,
    to_dynamo,
    update_if,
)

# A login item outlives its longest lock by a day; then the doubling is forgotten.
RETENTION_S = MAX_LOCK_S + 24 * 3600
# A failure that lost a race with another starting a new series reads again.
COUNT_ATTEMPTS = 3


def state_from(item: Item | None) -> LoginState:
    if item is None:
        return LoginState()
    return LoginState(
        failures=int(item.get("failures", 0)),
        last_failure_at=int(item.get("last_failure_at", 0)),
        locks=int(item.get("locks_served", 0)),
        noticed_at=int(item.get("lock_noticed_at", 0)),
    )


class Locked(AccountLocked):
    """AccountLocked, with the state that locks (its notice may be owed)."""

    def __init__(self, state: LoginState, retry_after: int) -> None:
        super().__init__(retry_after=retry_after)
        self.state = state


@dataclass(frozen=True)
class LoginRead:
    """What a login reads before any password is checked, in one round trip."""

    school: School | None
    # The codice fiscale a user code login names at this school (None: nobody).
    user_code_owner: str | None
    # How much of each counter this window has used, in the order given.
    used: list[int]
    # The flow of a token sent with the login (a PIN's SMS step), if any.
    flow: Flow | None


def read(
    school_id: str,
    user_code: str | None,
    counters: Sequence[Counter],
    flow_token_sha256: str | None = None,
) -> LoginRead:
    """The school, the user code's owner, the counters' use and a flow: one
    consistent BatchGetItem. (The attempts are counted, and a lock met, by
    the reservation that follows: `reserve`.)"""
    school_key = keys.school(school_id)
    counter_keys = [keys.rate_counter(c.scope, c.subject, c.window_start) for c in counters]
    reservation_key = keys.user_code_reservation(user_code) if user_code else None
    flow_key = keys.flow(flow_token_sha256) if flow_token_sha256 else None
    wanted = [school_key, *counter_keys]
    wanted += [key for key in (reservation_key, flow_key) if key is not None]
    items = batch_get(wanted)
    school_item = found(items, school_key)
    flow_item = found(items, flow_key) if flow_key else None
    return LoginRead(
        school=school_from(school_item) if school_item else None,
        user_code_owner=accounts.reservation_owner(found(items, reservation_key), school_id)
        if reservation_key
        else None,
        used=[int((found(items, key) or {}).get("request_count", 0)) for key in counter_keys],
        flow=flows.flow_from(flow_item) if flow_item else None,
    )


def attempts_key(school_id: str, identifier: str, codice_fiscale: str | None) -> Key:
    """What a login's attempts count against: the account's, whatever
    identifier names it (one lockout per account); a login nobody has
    counts against itself, so it locks the same way."""
    return (
        keys.account_login(school_id, codice_fiscale) if codice_fiscale else keys.login(school_id, identifier)
    )


def get_state(key: Key) -> LoginState:
    answer = dynamodb().get_item(TableName=table_name(), Key=to_dynamo(key), ConsistentRead=True)
    return state_from(from_dynamo(answer["Item"]) if "Item" in answer else None)


def account_and_state(
    school_id: str, codice_fiscale: str | None
) -> tuple[accounts.Account | None, LoginState]:
    """An account and its logins' failures, in one consistent read (nobody's: the same read)."""
    person_key = keys.person(school_id, codice_fiscale or accounts.NOBODY)
    state_key = attempts_key(school_id, accounts.NOBODY, codice_fiscale)
    items = batch_get([person_key, state_key])
    item = found(items, person_key)
    account = (person_from(item), accounts.credentials_from(item)) if item else None
    return account, state_from(found(items, state_key))


def _attempt(key: Key, seen: LoginState | None, policy: Policy, now: int) -> dict[str, Any]:
    """The conditional write that counts one attempt on `key` (UpdateItem's
    arguments): never past the maximum, or, once a full series' lock is
    over, as the first of a new series (`seen` is the state it was read in)."""
    values: Item = {":one": 1, ":now": now, ":delete_after": now + RETENTION_S}
    if seen is not None and seen.lock_served(policy, now):
        # The lock is over: this attempt starts a new series, and the next lock doubles.
        update = "SET failures = :one, last_failure_at = :now, locks_served = :locks, #ttl = :delete_after"
        condition = "failures = :seen_failures AND last_failure_at = :seen_at"
        values |= {
            ":locks": seen.locks + 1,
            ":seen_failures": seen.failures,
            ":seen_at": seen.last_failure_at,
        }
    else:
        # Counted atomically; never past the maximum (a full series is a lock).
        update = "ADD failures :one SET last_failure_at = :now, #ttl = :delete_after"
        condition = "attribute_not_exists(failures) OR failures < :max"
        values[":max"] = policy.login_max_failures
    return {
        "TableName": table_name(),
        "Key": to_dynamo(key),
        "UpdateExpression": update,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {"#ttl": keys.TTL_ATTRIBUTE},
        "ExpressionAttributeValues": to_dynamo(values),
        "ReturnValues": "ALL_NEW",
    }


def reserve(key: Key, policy: Policy, now: int) -> LoginState:
    """Count one attempt on `key` before its secret is checked (SPEC §6): a
    conditional write, so under any concurrency no more attempts than the
    policy's maximum are ever checked. The state with this attempt counted;
    raises AccountLocked when the series is full and its lock not over."""
    seen: LoginState | None = None
    for _attempt_number in range(COUNT_ATTEMPTS):
        answer = update_if(**_attempt(key, seen, policy, now))
        if answer is not None:
            return state_from(from_dynamo(answer["Attributes"]))
        seen = get_state(key)
        locked_for = seen.retry_after(policy, now)
        if locked_for is not None:
            raise Locked(seen, locked_for)
    assert seen is not None
    raise Locked(seen, seen.lock_s(policy))


def release(key: Key, reserved: LoginState) -> None:
    """A success forgets the failures counted up to its own attempt, only
    while no attempt was counted since: a concurrent guess stays counted,
    and so does this attempt then."""
    update_if(
        TableName=table_name(),
        Key=to_dynamo(key),
        UpdateExpression="SET failures = :zero",
        ConditionExpression="failures = :mine AND last_failure_at = :at",
        ExpressionAttributeValues=to_dynamo(
            {":zero": 0, ":mine": reserved.failures, ":at": reserved.last_failure_at}
        ),
    )


def lock_noticed(key: Key, locked: LoginState) -> Part:
    """A transaction part: the holder told of this lock, once (a concurrent
    attempt that told it first refuses it)."""
    return {
        "Update": {
            "TableName": table_name(),
            "Key": to_dynamo(key),
            "UpdateExpression": "SET lock_noticed_at = :at",
            "ConditionExpression": "last_failure_at = :at AND "
            "(attribute_not_exists(lock_noticed_at) OR lock_noticed_at <> :at)",
            "ExpressionAttributeValues": to_dynamo({":at": locked.last_failure_at}),
        }
    }


def count_failure(
    counters: Sequence[Counter],
    lock: tuple[Key, LoginState] | None,
    record: Part | None,
    commit_id: str | None,
    now: int,
) -> None:
    """After a wrong secret (its attempt already counted): the request
    counted against its address and, when a lock's holder is to be told, the
    lock marked told with its audit `record` and the queued notice's receipt,
    in one transaction. A lock told meanwhile by another attempt is told
    once: the request is then counted alone. Raises RateLimited."""
    parts = dict(counted(counters))
    if lock is not None and record is not None:
        parts |= {"noticed": lock_noticed(*lock), "audit": record}
    try:
        commit_or_transact(parts, commit_id, now)
    except Refused as refused:
        refuse_if_over(counters, refused, now)
        if "noticed" not in refused:
            raise
        if counters:
            commit_or_transact(dict(counted(counters)), None, now)


def commit_success(
    account_change: dict[str, Any],
    others: Sequence[dict[str, Any]],
    counters: Sequence[Counter],
    commit_id: str | None,
    now: int,
    holds: Sequence[dict[str, Any]] = (),
) -> None:
    """After a login: the flow's change to the account (made only while its
    password is the one just verified), its other parts (a flow consumed),
    the request counted, and the queued notice's receipt, in one
    transaction, while what `holds` says still holds (a session). Raises
    InvalidCredentials when the password changed meanwhile, TokenUsed for a
    flow used meanwhile, RateLimited for a counter, NotSignedIn for a
    session ended meanwhile."""
    parts = {
        "account": account_change,
        **numbered("other", others),
        **counted(counters),
        **numbered("holds", holds),
    }
    try:
        commit_or_transact(parts, commit_id, now)
    except Refused as refused:
        refuse_if_over(counters, refused, now)
        if refused.any_of(numbered("holds", holds)):
            raise NotSignedIn() from None
        if "account" in refused:
            raise InvalidCredentials() from None
        if refused.any_of(numbered("other", others)):
            raise TokenUsed() from None
        raise


def clear(school_id: str, identifier: str) -> Part:
    """A transaction part: a new password, or ops' unlock, forgets a login's failures."""
    return delete(keys.login(school_id, identifier))


def clear_account(school_id: str, codice_fiscale: str) -> Part:
    """A transaction part: the account's failures forgotten, whatever identifier counted them."""
    return delete(keys.account_login(school_id, codice_fiscale))
