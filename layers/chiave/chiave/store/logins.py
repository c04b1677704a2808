"""Login items: the wrong passwords given for one login identifier at a
school, whether or not an account has it (chiave.domain.LoginState)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chiave.domain import MAX_LOCK_S, Flow, LoginState, School
from chiave.errors import AccountLocked, InvalidCredentials, TokenUsed
from chiave.policy import Policy
from chiave.ratelimit import Counter
from chiave.runtime.aws import dynamodb
from chiave.store import accounts, flows, keys
from chiave.store.schools import school_from
from chiave.store.table import (
    Item,
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
    )


@dataclass(frozen=True)
class LoginRead:
    """What a login reads before any password is checked, in one round trip."""

    school: School | None
    state: LoginState
    # The codice fiscale a user code login names at this school (None: nobody).
    user_code_owner: str | None
    # How much of each counter this window has used, in the order given.
    used: list[int]
    # The flow of a token sent with the login (a PIN's SMS step), if any.
    flow: Flow | None


def read(
    school_id: str,
    identifier: str,
    user_code: str | None,
    counters: Sequence[Counter],
    flow_token_sha256: str | None = None,
) -> LoginRead:
    """The school, the login's failures, the user code's owner, the
    counters' use and a flow: one consistent BatchGetItem."""
    school_key, login_key = keys.school(school_id), keys.login(school_id, identifier)
    counter_keys = [keys.rate_counter(c.scope, c.subject, c.window_start) for c in counters]
    reservation_key = keys.user_code_reservation(user_code) if user_code else None
    flow_key = keys.flow(flow_token_sha256) if flow_token_sha256 else None
    wanted = [school_key, login_key, *counter_keys]
    wanted += [key for key in (reservation_key, flow_key) if key is not None]
    items = batch_get(wanted)
    school_item = found(items, school_key)
    flow_item = found(items, flow_key) if flow_key else None
    return LoginRead(
        school=school_from(school_item) if school_item else None,
        state=state_from(found(items, login_key)),
        user_code_owner=accounts.reservation_owner(found(items, reservation_key), school_id)
        if reservation_key
        else None,
        used=[int((found(items, key) or {}).get("request_count", 0)) for key in counter_keys],
        flow=flows.flow_from(flow_item) if flow_item else None,
    )


def get_state(school_id: str, identifier: str) -> LoginState:
    answer = dynamodb().get_item(
        TableName=table_name(), Key=to_dynamo(keys.login(school_id, identifier)), ConsistentRead=True
    )
    return state_from(from_dynamo(answer["Item"]) if "Item" in answer else None)


def _failure_update(
    school_id: str, identifier: str, seen: LoginState, policy: Policy, now: int
) -> dict[str, Any]:
    values: Item = {":one": 1, ":now": now, ":delete_after": now + RETENTION_S}
    if seen.lock_served(policy, now):
        # The lock is over: this failure starts a new series, and the next lock doubles.
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
        "Update": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.login(school_id, identifier)),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#ttl": keys.TTL_ATTRIBUTE},
            "ExpressionAttributeValues": to_dynamo(values),
        }
    }


def count_failure(
    school_id: str,
    identifier: str,
    seen: LoginState,
    policy: Policy,
    counters: Sequence[Counter],
    commit_id: str | None,
    now: int,
    also: Sequence[dict[str, Any]] = (),
) -> LoginState:
    """Count one wrong password for `identifier`, with the request's counters
    (and the receipt of a queued notice, and `also`: the lock's audit item),
    in one transaction; the state it leaves. Raises AccountLocked when the series is already full (a
    concurrent failure locked it), RateLimited for a counter."""
    for _attempt in range(COUNT_ATTEMPTS):
        parts = {
            "login": _failure_update(school_id, identifier, seen, policy, now),
            **counted(counters),
            **numbered("also", also),
        }
        try:
            commit_or_transact(parts, commit_id, now)
        except Refused as refused:
            refuse_if_over(counters, refused, now)
            if "login" not in refused:
                raise
            seen = get_state(school_id, identifier)
            retry_after = seen.retry_after(policy, now)
            if retry_after is not None:
                raise AccountLocked(retry_after=retry_after) from None
            continue
        if seen.lock_served(policy, now):
            return LoginState(failures=1, last_failure_at=now, locks=seen.locks + 1)
        return LoginState(failures=seen.failures + 1, last_failure_at=now, locks=seen.locks)
    raise AccountLocked(retry_after=seen.lock_s(policy))


def commit_success(
    account_change: dict[str, Any],
    others: Sequence[dict[str, Any]],
    school_id: str,
    identifier: str,
    counters: Sequence[Counter],
    commit_id: str | None,
    now: int,
) -> None:
    """After a login: the flow's change to the account (made only while its
    password is the one just verified), its other parts (a flow consumed),
    the login's failures forgotten, the request counted, and the queued
    notice's receipt, in one transaction. Raises InvalidCredentials when the
    password changed meanwhile, TokenUsed for a flow used meanwhile,
    RateLimited for a counter."""
    parts = {
        "account": account_change,
        **numbered("other", others),
        "login": clear(school_id, identifier),
        **counted(counters),
    }
    try:
        commit_or_transact(parts, commit_id, now)
    except Refused as refused:
        refuse_if_over(counters, refused, now)
        if "account" in refused:
            raise InvalidCredentials() from None
        if refused.any_of(numbered("other", others)):
            raise TokenUsed() from None
        raise


def clear(school_id: str, identifier: str) -> Part:
    """A transaction part: a successful login, or a new password, forgets the failures."""
    return delete(keys.login(school_id, identifier))


def clear_now(school_id: str, identifier: str) -> None:
    dynamodb().delete_item(TableName=table_name(), Key=to_dynamo(keys.login(school_id, identifier)))
