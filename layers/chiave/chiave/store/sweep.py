"""What the expiry sweep reads and writes: flows found by the hour they
expire in (the ByExpiryBucket index, never a Scan), its cursor, and the
marks it leaves."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chiave.domain import Flow
from chiave.runtime.aws import dynamodb
from chiave.store import keys
from chiave.store.conditions import LINK_EXPIRED_UNUSED, LINK_STILL_OPEN
from chiave.store.flows import flow_from, put
from chiave.store.table import (
    Item,
    Part,
    Refused,
    commit,
    from_dynamo,
    key_of,
    query_all,
    table_name,
    to_dynamo,
    update_if,
    write_batch,
)


@dataclass(frozen=True)
class Expiring:
    """A flow as the index shows it: enough to close or delete it."""

    key: dict[str, str]
    purpose: str
    school_id: str
    expires_at: int
    used: bool


def cursor() -> int | None:
    answer = dynamodb().get_item(
        TableName=table_name(), Key=to_dynamo(keys.sweep_cursor()), ConsistentRead=True
    )
    value = from_dynamo(answer.get("Item", {})).get("swept_until")
    return int(value) if value is not None else None


def advance_cursor(previous: int | None, until: int) -> bool:
    """Move the cursor from `previous` to `until`; False when another run moved it first."""
    condition = "attribute_not_exists(swept_until)" if previous is None else "swept_until = :previous"
    values: Item = {":until": until}
    if previous is not None:
        values[":previous"] = previous
    answer = update_if(
        TableName=table_name(),
        Key=to_dynamo(keys.sweep_cursor()),
        UpdateExpression="SET swept_until = :until",
        ConditionExpression=condition,
        ExpressionAttributeValues=to_dynamo(values),
    )
    return answer is not None


def expiring(start: int, end: int) -> Iterator[Expiring]:
    """Flows whose expiry is in (start, end], hour bucket by hour bucket:
    only those items are read."""
    for bucket in keys.expiry_buckets(start + 1, end):
        request: dict[str, Any] = {
            "TableName": table_name(),
            "IndexName": keys.BY_EXPIRY_BUCKET,
            "KeyConditionExpression": "expiry_bucket = :bucket AND expires_at BETWEEN :start AND :end",
            "ExpressionAttributeValues": to_dynamo({":bucket": bucket, ":start": start + 1, ":end": end}),
        }
        for item in query_all(request):
            yield Expiring(
                key=key_of(item),
                purpose=str(item.get("purpose", "")),
                school_id=str(item.get("school_id", "")),
                expires_at=int(item["expires_at"]),
                used="used_at" in item,
            )


def close(key: dict[str, str], now: int) -> bool:
    """Mark an expired, unused flow closed, once: False if it was used or
    already closed (another run)."""
    answer = update_if(
        TableName=table_name(),
        Key=to_dynamo(key),
        UpdateExpression="SET closed_at = :now",
        ConditionExpression=f"{LINK_EXPIRED_UNUSED} AND attribute_not_exists(closed_at)",
        ExpressionAttributeValues=to_dynamo({":now": now}),
    )
    return answer is not None


def delete_all(found: list[dict[str, str]]) -> None:
    """Delete flows past their retention (TTL may have done it already)."""
    for start in range(0, len(found), 25):
        write_batch([{"DeleteRequest": {"Key": to_dynamo(key)}} for key in found[start : start + 25]])


def _mark_reminded(key: dict[str, str], now: int) -> Part:
    """A transaction part: the reminder of this link sent, once, while it is still open."""
    return {
        "Update": {
            "TableName": table_name(),
            "Key": to_dynamo(key),
            "UpdateExpression": "SET reminded_at = :now",
            "ConditionExpression": f"{LINK_STILL_OPEN} AND attribute_not_exists(reminded_at)",
            "ExpressionAttributeValues": to_dynamo({":now": now}),
        }
    }


def get_item(key: dict[str, str]) -> Item | None:
    answer = dynamodb().get_item(TableName=table_name(), Key=to_dynamo(key), ConsistentRead=True)
    return from_dynamo(answer["Item"]) if "Item" in answer else None


def to_remind(key: dict[str, str]) -> Flow | None:
    """The link behind `key` if it still wants a reminder: unused, never reminded."""
    item = get_item(key)
    if item is None or "used_at" in item or "reminded_at" in item:
        return None
    return flow_from(item)


def remind(key: dict[str, str], fresh: Flow, commit_id: str, now: int) -> bool:
    """The link behind `key` marked reminded and its fresh successor stored,
    with the queued reminder's receipt, in one transaction; False when
    another run reminded it or the link was used meanwhile."""
    try:
        commit({"reminded": _mark_reminded(key, now), "link": put(fresh)}, commit_id, now)
    except Refused:
        return False
    return True
