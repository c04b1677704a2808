"""What every item module of the store shares: the table, DynamoDB's JSON,
transactions that retry lost races, commits with their outbox receipt, and
the fixed-window counters every flow counts requests with."""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chiave.errors import ConfigurationConflict, RateLimited
from chiave.ratelimit import Counter
from chiave.runtime import budget, coldstart, faults
from chiave.runtime.aws import dynamodb
from chiave.runtime.faults import ServiceUnavailable
from chiave.runtime.observability import count_outcome
from chiave.runtime.settings import settings
from chiave.store import keys
from chiave.store.conditions import ITEM_IS_NEW

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


def query_all(request: dict[str, Any]) -> Iterator[Item]:
    """Every item a Query finds, page by page, as read: a page is asked for
    only when the one before has been used."""
    request = dict(request)
    while True:
        answer = dynamodb().query(**request)
        yield from map(from_dynamo, answer.get("Items", []))
        if "LastEvaluatedKey" not in answer:
            return
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def key_of(item: Item) -> Key:
    return {keys.PARTITION: item[keys.PARTITION], keys.SORT: item[keys.SORT]}


def found(items: Mapping[tuple[str, str], Item], key: Key) -> Item | None:
    return items.get((key[keys.PARTITION], key[keys.SORT]))


Part = dict[str, Any]
# A transaction's parts by name: what a refusal is explained with.
Parts = Mapping[str, Part]


class Refused(Exception):
    """A transaction that a condition refused: the names of the parts whose
    condition failed, and the item each had where the part asked for it
    (ReturnValuesOnConditionCheckFailure). Store functions turn it into a
    named outcome; one that escapes the store is a bug (a 500)."""

    def __init__(self, failed: Mapping[str, Item | None]) -> None:
        super().__init__(", ".join(failed))
        self.failed = dict(failed)

    def __contains__(self, part: object) -> bool:
        return part in self.failed

    def any_of(self, parts: Iterable[str]) -> bool:
        return any(part in self.failed for part in parts)

    def old(self, part: str) -> Item | None:
        return self.failed.get(part)


def numbered(name: str, parts: Iterable[Part]) -> dict[str, Part]:
    """Several parts of one kind, each named apart: `name 0`, `name 1`, ..."""
    return {f"{name} {index}": part for index, part in enumerate(parts)}


def counted(counters: Sequence[Counter]) -> dict[str, Part]:
    """The parts that count a request against each of `counters`."""
    return numbered("counter", map(counter_update, counters))


def over_limit(counters: Sequence[Counter], refused: Refused) -> list[Counter]:
    """The counters whose limit refused the transaction (their parts are `counted`)."""
    return [counter for index, counter in enumerate(counters) if f"counter {index}" in refused]


def refuse_if_over(counters: Sequence[Counter], refused: Refused, now: float) -> None:
    """Raise RateLimited when a counter's limit refused the transaction."""
    exceeded = over_limit(counters, refused)
    if exceeded:
        raise RateLimited(retry_after=max(counter.retry_after(now) for counter in exceeded))


def counter_update(counter: Counter) -> Part:
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


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _refusal(error: ClientError, names: Sequence[str]) -> Refused | None:
    """What a cancelled transaction's reasons say, by part name (DynamoDB
    gives one reason per part, in the parts' order): None unless a
    condition refused it."""
    if _code(error) != "TransactionCanceledException":
        return None
    reasons = error.response.get("CancellationReasons", [])
    failed = {
        name: from_dynamo(reason["Item"]) if reason.get("Item") else None
        for name, reason in zip(names, reasons, strict=False)
        if reason.get("Code") == "ConditionalCheckFailed"
    }
    return Refused(failed) if failed else None


def _lost_race(error: ClientError) -> bool:
    reasons = error.response.get("CancellationReasons", [])
    return _code(error) == "TransactionCanceledException" and any(
        reason.get("Code") == "TransactionConflict" for reason in reasons
    )


def transact(parts: Parts) -> None:
    """TransactWriteItems of the named parts, tried again while it only
    loses races with other transactions (a busy counter: one school's NAT
    at a parents' evening) and the time budget allows; then 503, never 500.
    Raises Refused, naming the parts, when a condition refused it."""
    names = list(parts)
    for attempt in range(TRANSACTION_ATTEMPTS):
        try:
            dynamodb().transact_write_items(TransactItems=list(parts.values()))  # type: ignore[arg-type]
            return
        except ClientError as error:
            if not _lost_race(error):
                refused = _refusal(error, names)
                if refused is None:
                    raise
                raise refused from None
        # Full jitter: concurrent requests spread out instead of colliding again.
        pause = random.uniform(0, min(CONFLICT_PAUSE_CAP_S, CONFLICT_PAUSE_S * 2**attempt))  # noqa: S311
        if not budget.allows(pause + budget.ATTEMPT_S):
            break
        time.sleep(pause)
    count_outcome("store", "conflicts_exhausted")
    raise ServiceUnavailable(retry_after=1)


def update_if(**request: Any) -> dict[str, Any] | None:
    """UpdateItem under a condition that may fail: its answer, or None when it did."""
    try:
        return dict(dynamodb().update_item(**request))
    except ClientError as error:
        if _code(error) == "ConditionalCheckFailedException":
            return None
        raise


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
            "ConditionExpression": ITEM_IS_NEW,
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


def commit(parts: Parts, commit_id: str, now: float) -> None:
    """One transaction with the receipt of `commit_id` (chiave.notify.outbox).

    When the answer is lost (a timeout, a 5xx after botocore's retries, which
    reuse one ClientRequestToken and so cannot apply twice), the receipt says
    whether the transaction landed: a request whose effect happened is never
    answered 503."""
    try:
        transact({**parts, "receipt": _receipt(commit_id, now)})
    except faults.AWS_FAILURES as error:
        if not faults.is_ambiguous(error):
            raise
        try:
            landed = commit_landed(commit_id)
        except faults.AWS_FAILURES:
            raise error from None
        if not landed:
            raise
        count_outcome("store", "ambiguous_commit_landed")


def versioned_put(item: Item, is_new: bool) -> Part:
    """A transaction part: the item (its `version` as read) written with its
    version bumped, only if nobody changed it since it was read; a new one
    only if it does not exist yet. Refused otherwise."""
    read = int(item.get("version", 0))
    put: Part = {"Put": {"TableName": table_name(), "Item": to_dynamo({**item, "version": read + 1})}}
    if is_new:
        put["Put"]["ConditionExpression"] = ITEM_IS_NEW
    else:
        put["Put"]["ConditionExpression"] = (
            "version = :read OR (attribute_exists(PK) AND attribute_not_exists(version))"
        )
        put["Put"]["ExpressionAttributeValues"] = to_dynamo({":read": read})
    return put


def save_configured(name: str, item: Item, is_new: bool, audit_entry: Part) -> None:
    """What an operator configures (a school, a client) written with its
    audit item, in one transaction, only if nobody changed it since it was
    read (its version); raises ConfigurationConflict otherwise."""
    try:
        transact({name: versioned_put(item, is_new), "audit": audit_entry})
    except Refused as refused:
        if name in refused:
            raise ConfigurationConflict() from None
        raise


def delete(key: Key) -> Part:
    """A transaction part: the item gone."""
    return {"Delete": {"TableName": table_name(), "Key": to_dynamo(key)}}


def write_batch(requests: list[dict[str, Any]]) -> None:
    pending: Mapping[str, Any] = {table_name(): requests}
    while pending:
        answer = dynamodb().batch_write_item(RequestItems=pending)
        pending = answer.get("UnprocessedItems") or {}


def commit_or_transact(parts: Parts, commit_id: str | None, now: float) -> None:
    """A transaction, with the receipt of `commit_id` when a notice was queued for it."""
    if commit_id is None:
        transact(parts)
    else:
        commit(parts, commit_id, now)
