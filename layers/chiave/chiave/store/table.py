"""What every item module of the store shares: the table, DynamoDB's JSON,
transactions that retry lost races, commits with their outbox receipt, and
the fixed-window counters every flow counts requests with."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from chiave import budget, coldstart, faults, keys
from chiave.aws import dynamodb
from chiave.errors import RateLimited
from chiave.faults import ServiceUnavailable
from chiave.observability import count_outcome
from chiave.ratelimit import Counter
from chiave.settings import settings

coldstart.on_warm_up(dynamodb)

# Transactions on a busy counter (one school's NAT address) may conflict:
# tried again with jittered pauses while the time budget allows.
TRANSACTION_ATTEMPTS = 8
CONFLICT_PAUSE_S = 0.02
CONFLICT_PAUSE_CAP_S = 0.5
# Receipts outlive the queue and its dead-letter queue (4 + 7 days, plus
# TTL's lateness), so a message redriven by ops is still recognised as committed.
RECEIPT_RETENTION_S = 14 * 24 * 3600

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

Item = dict[str, Any]
Key = dict[str, str]


def to_dynamo(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in item.items() if value is not None}


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal, at any depth; ours are integers."""
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | set):
        return [_plain(item) for item in value]
    return value


def from_dynamo(item: Mapping[str, Any]) -> Item:
    return {name: _plain(_deserializer.deserialize(value)) for name, value in item.items()}


def table_name() -> str:
    return settings().table_name


def batch_get(wanted: Sequence[Key]) -> dict[tuple[str, str], Item]:
    """Several items in one consistent round trip, by (PK, SK); a missing
    item is absent. What DynamoDB left unprocessed is a 503, not a guess."""
    answer = dynamodb().batch_get_item(
        RequestItems={table_name(): {"Keys": [to_dynamo(key) for key in wanted], "ConsistentRead": True}}
    )
    if answer.get("UnprocessedKeys"):
        raise ServiceUnavailable(retry_after=1)
    return {
        (item[keys.PARTITION], item[keys.SORT]): item
        for item in map(from_dynamo, answer["Responses"].get(table_name(), []))
    }


def found(items: Mapping[tuple[str, str], Item], key: Key) -> Item | None:
    return items.get((key[keys.PARTITION], key[keys.SORT]))


def refuse_if_over(counters: Sequence[Counter], why: Sequence[str], now: float) -> None:
    """Raise RateLimited when a counter's condition cancelled the transaction
    (`why`: the cancellation reasons of the counters' parts, in their order)."""
    exceeded = [
        counter for counter, reason in zip(counters, why, strict=False) if reason == "ConditionalCheckFailed"
    ]
    if exceeded:
        raise RateLimited(retry_after=max(counter.retry_after(now) for counter in exceeded))


def failed_condition(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def counter_update(counter: Counter) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.rate_counter(counter.scope, counter.subject, counter.window_start)),
            "UpdateExpression": "ADD request_count :amount SET #ttl = :delete_after",
            "ConditionExpression": "attribute_not_exists(request_count) OR request_count <= :room",
            "ExpressionAttributeNames": {"#ttl": keys.TTL_ATTRIBUTE},
            "ExpressionAttributeValues": to_dynamo(
                {
                    ":amount": counter.amount,
                    ":room": counter.limit - counter.amount,
                    ":delete_after": counter.window_end + 3600,
                }
            ),
        }
    }


def reasons(error: ClientError) -> list[str]:
    return [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]


def cancelled(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "TransactionCanceledException"


def transact(items: list[dict[str, Any]]) -> None:
    """TransactWriteItems, tried again while it only loses races with other
    transactions (a busy counter: one school's NAT at a parents' evening)
    and the time budget allows; then 503, never 500."""
    for attempt in range(TRANSACTION_ATTEMPTS):
        try:
            dynamodb().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
            return
        except ClientError as error:
            if not (cancelled(error) and "TransactionConflict" in reasons(error)):
                raise
        # Full jitter: concurrent requests spread out instead of colliding again.
        pause = random.uniform(0, min(CONFLICT_PAUSE_CAP_S, CONFLICT_PAUSE_S * 2**attempt))  # noqa: S311
        if not budget.allows(pause + budget.ATTEMPT_S):
            break
        time.sleep(pause)
    count_outcome("store", "conflicts_exhausted")
    raise ServiceUnavailable(retry_after=1)


def _receipt(commit_id: str, now: float) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": table_name(),
            "Item": to_dynamo(
                {
                    **keys.commit_receipt(commit_id),
                    "entity": "commit",
                    keys.TTL_ATTRIBUTE: int(now) + RECEIPT_RETENTION_S,
                }
            ),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def commit_landed(commit_id: str) -> bool:
    answer = dynamodb().get_item(
        TableName=table_name(),
        Key=to_dynamo(keys.commit_receipt(commit_id)),
        ProjectionExpression=keys.PARTITION,
        ConsistentRead=True,
    )
    return "Item" in answer


def commit(items: list[dict[str, Any]], commit_id: str, now: float) -> None:
    """One transaction with the receipt of `commit_id` (chiave.notify.outbox).

    When the answer is lost (a timeout, a 5xx after botocore's retries, which
    reuse one ClientRequestToken and so cannot apply twice), the receipt says
    whether the transaction landed: a request whose effect happened is never
    answered 503."""
    try:
        transact([*items, _receipt(commit_id, now)])
    except (ClientError, BotoCoreError) as error:
        if not faults.is_ambiguous(error):
            raise
        try:
            landed = commit_landed(commit_id)
        except (ClientError, BotoCoreError):
            raise error from None
        if not landed:
            raise
        count_outcome("store", "ambiguous_commit_landed")


def write_batch(requests: list[dict[str, Any]]) -> None:
    pending: Mapping[str, Any] = {table_name(): requests}
    while pending:
        answer = dynamodb().batch_write_item(RequestItems=pending)
        pending = answer.get("UnprocessedItems") or {}


def commit_or_transact(items: list[dict[str, Any]], commit_id: str | None, now: float) -> None:
    """A transaction, with the receipt of `commit_id` when a notice was queued for it."""
    if commit_id is None:
        transact(items)
    else:
        commit(items, commit_id, now)
