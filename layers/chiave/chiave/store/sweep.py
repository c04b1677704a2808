"""What the expiry sweep reads and writes: flows found by the hour they
expire in (the ByExpiryBucket index, never a Scan), its cursor, and the
marks it leaves."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from chiave import keys
from chiave.aws import dynamodb
from chiave.store.table import Item, failed_condition, from_dynamo, table_name, to_dynamo, write_batch


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
    try:
        dynamodb().update_item(
            TableName=table_name(),
            Key=to_dynamo(keys.sweep_cursor()),
            UpdateExpression="SET swept_until = :until",
            ConditionExpression=condition,
            ExpressionAttributeValues=to_dynamo(values),
        )
    except ClientError as error:
        if failed_condition(error):
            return False
        raise
    return True


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
        while True:
            answer = dynamodb().query(**request)
            for raw in answer["Items"]:
                item = from_dynamo(raw)
                yield Expiring(
                    key={keys.PARTITION: item[keys.PARTITION], keys.SORT: item[keys.SORT]},
                    purpose=str(item.get("purpose", "")),
                    school_id=str(item.get("school_id", "")),
                    expires_at=int(item["expires_at"]),
                    used="used_at" in item,
                )
            if "LastEvaluatedKey" not in answer:
                break
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def close(key: dict[str, str], now: int) -> bool:
    """Mark an expired, unused flow closed, once: False if it was used or
    already closed (another run)."""
    try:
        dynamodb().update_item(
            TableName=table_name(),
            Key=to_dynamo(key),
            UpdateExpression="SET closed_at = :now",
            ConditionExpression="attribute_exists(PK) AND attribute_not_exists(closed_at) "
            "AND attribute_not_exists(used_at) AND expires_at <= :now",
            ExpressionAttributeValues=to_dynamo({":now": now}),
        )
    except ClientError as error:
        if failed_condition(error):
            return False
        raise
    return True


def delete_all(found: list[dict[str, str]]) -> None:
    """Delete flows past their retention (TTL may have done it already)."""
    for start in range(0, len(found), 25):
        write_batch([{"DeleteRequest": {"Key": to_dynamo(key)}} for key in found[start : start + 25]])


def get_item(key: dict[str, str]) -> Item | None:
    answer = dynamodb().get_item(TableName=table_name(), Key=to_dynamo(key), ConsistentRead=True)
    return from_dynamo(answer["Item"]) if "Item" in answer else None


def mark_reminded(key: dict[str, str], now: int) -> dict[str, Any]:
    """A transaction part: the reminder of this link sent, once, while it is unused."""
    return {
        "Update": {
            "TableName": table_name(),
            "Key": to_dynamo(key),
            "UpdateExpression": "SET reminded_at = :now",
            "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(reminded_at) "
            "AND attribute_not_exists(used_at) AND expires_at > :now",
            "ExpressionAttributeValues": to_dynamo({":now": now}),
        }
    }
