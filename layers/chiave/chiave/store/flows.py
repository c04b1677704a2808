"""Flow items (what an e-mailed link stands for), the covers a request for
nobody writes instead, and the transaction that completes a flow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from botocore.exceptions import ClientError

from chiave import keys, ratelimit
from chiave.aws import dynamodb
from chiave.domain import AccountStatus, Challenge, Flow, OtpTerms, Purpose
from chiave.errors import AccountUnavailable, RateLimited, RecipientCapped, TokenExpired, TokenUsed
from chiave.policy import DEFAULT_AUDIT_RETENTION_DAYS
from chiave.ratelimit import Counter
from chiave.store import challenges, people, schools
from chiave.store.table import (
    Item,
    batch_get,
    cancelled,
    commit,
    commit_or_transact,
    counter_update,
    found,
    from_dynamo,
    reasons,
    table_name,
    to_dynamo,
)

FLOW_RETENTION_S = 7 * 24 * 3600
COVER_RETENTION_S = 3600


def _flow_item(flow: Flow) -> Item:
    item: Item = {**keys.flow(flow.token_sha256), "entity": "flow", **asdict(flow)}
    item["purpose"] = flow.purpose.value
    item["account_status"] = flow.account_status.value
    # Not `user_code`: that name is the ByUserCode index key, for people only.
    item["account_user_code"] = item.pop("user_code")
    item["expiry_bucket"] = keys.expiry_bucket(flow.expires_at)
    item["account_ref"] = keys.account_ref(flow.school_id, flow.codice_fiscale)
    item[keys.TTL_ATTRIBUTE] = flow.expires_at + FLOW_RETENTION_S
    return item


_FLOW_FIELDS = tuple(Flow.__dataclass_fields__)


def flow_from(item: Item) -> Flow:
    values: dict[str, Any] = {name: item.get(name) for name in _FLOW_FIELDS}
    values["user_code"] = item.get("account_user_code")
    values["purpose"] = Purpose(item["purpose"])
    values["account_status"] = AccountStatus(item["account_status"])
    if item.get("otp_terms"):
        terms = item["otp_terms"]
        values["otp_terms"] = OtpTerms(**{**terms, "allowed_prefixes": tuple(terms["allowed_prefixes"])})
    values["otp_verified"] = bool(item.get("otp_verified", False))
    values["otp_failures"] = int(item.get("otp_failures", 0))
    # Links issued before audit items existed keep the default retention.
    values["audit_retention_days"] = item.get("audit_retention_days") or DEFAULT_AUDIT_RETENTION_DAYS
    return Flow(**values)


def get_flow_challenge_and_switch(token_sha256: str) -> tuple[Flow | None, Challenge | None, bool]:
    """send-otp's one read: the flow, its SMS code, and whether ops let SMS out
    (the switch item; absent: on)."""
    flow_key = keys.flow(token_sha256)
    items = batch_get([flow_key, keys.sms_switch()])
    enabled = schools.sms_switch_on(found(items, keys.sms_switch()))
    item = found(items, flow_key)
    if item is None:
        return None, None, enabled
    return flow_from(item), challenges.challenge_from(item), enabled


def get_flow_and_challenge(token_sha256: str) -> tuple[Flow | None, Challenge | None]:
    """The flow a token stands for, and its SMS code if one was sent: one read."""
    answer = dynamodb().get_item(
        TableName=table_name(), Key=to_dynamo(keys.flow(token_sha256)), ConsistentRead=True
    )
    if "Item" not in answer:
        return None, None
    item = from_dynamo(answer["Item"])
    return flow_from(item), challenges.challenge_from(item)


def get_flow(token_sha256: str) -> Flow | None:
    return get_flow_and_challenge(token_sha256)[0]


def _flow_put(flow: Flow, cover: bool, challenge: Challenge | None = None) -> dict[str, Any]:
    item = _flow_item(flow)
    if challenge is not None:
        item |= challenges.attributes(challenge)
    if cover:
        # The same size as a flow, under a key no token leads to; gone within the hour.
        item |= keys.cover(flow.token_sha256)
        item["entity"] = "cover"
        item[keys.TTL_ATTRIBUTE] = int(flow.created_at) + COVER_RETENTION_S
        item["expiry_bucket"] = "-" * len(item["expiry_bucket"])  # an hour the sweep never reads
        # Nobody's account: an attribute of the same size, outside the ByAccount index.
        item["account_nil"] = "-" * len(item.pop("account_ref"))
    return {
        "Put": {
            "TableName": table_name(),
            "Item": to_dynamo(item),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def put(flow: Flow, challenge: Challenge | None = None) -> dict[str, Any]:
    """A transaction part that stores a new flow (with its first SMS code)."""
    return _flow_put(flow, cover=False, challenge=challenge)


def consume(flow: Flow, now: int, max_failures: int | None = None) -> dict[str, Any]:
    """A transaction part that uses a flow up, once, before it expires: once
    verified when it needs a code, and before `max_failures` wrong app codes."""
    condition = "attribute_exists(PK) AND attribute_not_exists(used_at) AND expires_at > :now"
    values: Item = {":now": now}
    if flow.otp_required:
        condition += " AND otp_verified = :true"
        values[":true"] = True
    if max_failures is not None:
        condition += " AND (attribute_not_exists(otp_failures) OR otp_failures < :max)"
        values[":max"] = max_failures
    return {
        "Update": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.flow(flow.token_sha256)),
            "UpdateExpression": "SET used_at = :now",
            "ConditionExpression": condition,
            "ExpressionAttributeValues": to_dynamo(values),
        }
    }


def finish(
    flow: Flow,
    account_change: dict[str, Any],
    others: Sequence[dict[str, Any]],
    commit_id: str | None,
    now: int,
    max_failures: int | None = None,
) -> None:
    """Use a flow up and make its change to the account, in one transaction
    (with the queued notice's receipt, if any). Raises TokenExpired or
    TokenUsed when the flow, or the account it was opened for, moved on."""
    items = [consume(flow, now, max_failures), account_change, *others]
    try:
        commit_or_transact(items, commit_id, now)
    except ClientError as error:
        if not cancelled(error):
            raise
        why = reasons(error)
        if "ConditionalCheckFailed" not in why[:2]:
            raise
        raise TokenExpired() if flow.is_expired(now) else TokenUsed() from None


def count_requests_and_open_flows(
    counters: Sequence[Counter], flows: Sequence[Flow], covers: Sequence[Flow], commit_id: str, now: float
) -> None:
    """Count the request against every limit and store the new links, atomically,
    with the receipt of the commit the queued message announces: a request
    over a limit opens nothing. `covers` are written where a request for
    nobody would have written links, so every request writes the same.

    Raises RateLimited for the request's own limits, RecipientCapped when only
    a recipient's cap refused it."""
    items = [counter_update(counter) for counter in counters]
    items += [_flow_put(flow, cover=False) for flow in flows]
    items += [_flow_put(flow, cover=True) for flow in covers]
    try:
        commit(items, commit_id, now)
    except ClientError as error:
        if not cancelled(error):
            raise
        exceeded = [
            counter
            for counter, reason in zip(counters, reasons(error), strict=False)
            if reason == "ConditionalCheckFailed"
        ]
        if not exceeded:
            raise
        retry_after = max(counter.retry_after(now) for counter in exceeded)
        if all(counter.scope == ratelimit.RECIPIENT_SCOPE for counter in exceeded):
            raise RecipientCapped(retry_after=retry_after) from None
        raise RateLimited(retry_after=retry_after) from None


class UserCodeTaken(Exception):
    """The random user code is someone else's: draw another."""


def complete_flow(
    flow: Flow,
    password_hash: str,
    user_code: str,
    new_status: AccountStatus | None,
    audit_entry: dict[str, Any],
    commit_id: str,
    now: int,
) -> None:
    """Set the password and consume the link in one transaction, with its
    audit item (chiave.store.audit). Every other
    open link of the account dies with it: the credential epoch moves on.
    The link keeps the answer it gave (user code, status), so a client that
    lost it can be given it again (chiave.flows.confirm)."""
    status = (new_status or flow.account_status).value
    person_key = to_dynamo(keys.person(flow.school_id, flow.codice_fiscale))
    consume_flow = {
        "Update": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.flow(flow.token_sha256)),
            "UpdateExpression": "SET used_at = :now, completed_user_code = :code, completed_status = :status",
            "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(used_at) "
            "AND expires_at > :now",
            "ExpressionAttributeValues": to_dynamo({":now": now, ":code": user_code, ":status": status}),
        }
    }
    names = {"#status": "status"}
    values: Item = {
        ":hash": password_hash,
        ":now": now,
        ":epoch": flow.credential_epoch,
        ":one": 1,
        ":user_code": user_code,
    }
    update = (
        "SET password_hash = :hash, password_set_at = :now, user_code = :user_code, "
        "credential_epoch = credential_epoch + :one"
    )
    if new_status is None:
        # A reset keeps the status.
        condition = "credential_epoch = :epoch AND #status IN (:active, :awaiting)"
        values |= {":active": "active", ":awaiting": "awaiting_identification"}
    else:
        condition = "credential_epoch = :epoch AND #status = :pending"
        update += ", #status = :new_status"
        values |= {":pending": "pending", ":new_status": new_status.value}
    set_password = {
        "Update": {
            "TableName": table_name(),
            "Key": person_key,
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_dynamo(values),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }
    items: list[dict[str, Any]] = [consume_flow, set_password]
    if user_code != flow.user_code:
        items.append(people.reserve_user_code(flow.school_id, flow.codice_fiscale, user_code, now))
    items.append(audit_entry)
    items += [
        {"Delete": {"TableName": table_name(), "Key": to_dynamo(keys.login(flow.school_id, login))}}
        for login in (user_code, flow.email)
        if login
    ]
    try:
        commit(items, commit_id, now)
    except ClientError as error:
        if not cancelled(error):
            raise
        _explain_cancelled_completion(error, flow, now)


def _explain_cancelled_completion(error: ClientError, flow: Flow, now: int) -> None:
    reasons = error.response.get("CancellationReasons", [])
    codes = [reason.get("Code", "None") for reason in reasons]
    if codes[0] == "ConditionalCheckFailed":
        raise TokenExpired() if flow.is_expired(now) else TokenUsed()
    if codes[1] == "ConditionalCheckFailed":
        old = reasons[1].get("Item")
        if old and from_dynamo(old).get("status") == AccountStatus.DISABLED.value:
            raise AccountUnavailable()
        raise TokenUsed()  # superseded: a credential was set since this link
    if len(codes) > 2 and codes[2] == "ConditionalCheckFailed":
        raise UserCodeTaken()
    raise error


def keys_of_account(school_id: str, codice_fiscale: str) -> list[dict[str, str]]:
    """The keys of every flow an account still has (erase deletes them)."""
    found_keys: list[dict[str, str]] = []
    request: dict[str, Any] = {
        "TableName": table_name(),
        "IndexName": keys.BY_ACCOUNT,
        "KeyConditionExpression": "account_ref = :ref",
        "ExpressionAttributeValues": {":ref": {"S": keys.account_ref(school_id, codice_fiscale)}},
    }
    while True:
        answer = dynamodb().query(**request)
        found_keys += [
            {keys.PARTITION: i[keys.PARTITION]["S"], keys.SORT: i[keys.SORT]["S"]} for i in answer["Items"]
        ]
        if "LastEvaluatedKey" not in answer:
            return found_keys
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def delete(key: dict[str, str]) -> dict[str, Any]:
    """A transaction part: a flow gone (erase)."""
    return {"Delete": {"TableName": table_name(), "Key": to_dynamo(key)}}
