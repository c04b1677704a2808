"""Audit items: what happened to one account, when, by whom, with what
outcome (ops actions and credential events). Never a secret; the codice
fiscale only masked. Each expires `audit_retention_days` after it was
written; an ops action reads one account's trail (GDPR art. 15)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from chiave.runtime import masking
from chiave.runtime.aws import dynamodb
from chiave.store import keys
from chiave.store.conditions import ITEM_IS_NEW
from chiave.store.table import from_dynamo, table_name, to_dynamo

DAY_S = 86_400
# What one `audit` action returns at most (newest first).
MAX_ENTRIES = 200


def entry(
    school_id: str,
    codice_fiscale: str,
    action: str,
    actor: str,
    outcome: str,
    retention_days: int,
    now: float,
    **details: str | None,
) -> dict[str, Any]:
    """A transaction part: the audit item of something that happens in that
    transaction (it lands with it, or not at all)."""
    at = int(now)
    item = {
        **keys.audit(school_id, codice_fiscale, now, uuid.uuid4().hex),
        "entity": "audit",
        "school_id": school_id,
        "account": masking.mask_codice_fiscale(codice_fiscale),
        "at": at,
        "action": action,
        "actor": actor,
        "outcome": outcome,
        "details": {name: value for name, value in details.items() if value is not None},
        keys.TTL_ATTRIBUTE: at + retention_days * DAY_S,
    }
    return {
        "Put": {
            "TableName": table_name(),
            "Item": to_dynamo(item),
            "ConditionExpression": ITEM_IS_NEW,
        }
    }


def trail(school_id: str, codice_fiscale: str, now: float) -> list[dict[str, Any]]:
    """One account's audit items still within their retention, newest first."""
    answer = dynamodb().query(
        TableName=table_name(),
        KeyConditionExpression="PK = :account",
        ExpressionAttributeValues={":account": {"S": keys.audit_partition(school_id, codice_fiscale)}},
        ScanIndexForward=False,
        Limit=MAX_ENTRIES,
    )
    items = [from_dynamo(item) for item in answer.get("Items", [])]
    fields = ("at", "action", "actor", "outcome", "account", "details")
    # TTL deletes up to two days late: an expired item is not shown.
    return [
        {name: item.get(name) for name in fields}
        for item in items
        if item.get(keys.TTL_ATTRIBUTE, now + 1) > now
    ]


# A school's or a client's configuration changes are kept as long as it is
# served, within reason: ten years.
CONFIGURATION_RETENTION_DAYS = 3_650


# What an operator configures, and the trail of each: a school, a register's client.
ConfiguredKind = Literal["school", "client"]
_TRAILS = {"school": keys.school_audit, "client": keys.client_audit}


def configuration_entry(
    kind: ConfiguredKind,
    subject_id: str,
    action: str,
    operator: str,
    request_id: str,
    reason: str,
    now: float,
    changes: dict[str, Any],
) -> dict[str, Any]:
    """A transaction part: the audit item of a change to what the deployment's
    operator configures (a school, a register's client) on its own trail: who
    (the operator and the invocation CloudTrail ties to the IAM caller), why,
    and each changed field's old and new value."""
    at = int(now)
    item = {
        **_TRAILS[kind](subject_id, now, uuid.uuid4().hex),
        f"{kind}_id": subject_id,
        "entity": "audit",
        "at": at,
        "action": action,
        "actor": operator,
        "request_id": request_id,
        "reason": reason,
        "outcome": "done",
        "changes": changes,
        keys.TTL_ATTRIBUTE: at + CONFIGURATION_RETENTION_DAYS * DAY_S,
    }
    return {"Put": {"TableName": table_name(), "Item": to_dynamo(item), "ConditionExpression": ITEM_IS_NEW}}


def changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each field that differs between two stored forms: its old and new value."""
    return {
        name: {"old": old.get(name), "new": new.get(name)}
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    }


def configuration_trail(kind: ConfiguredKind, subject_id: str) -> list[dict[str, Any]]:
    """A school's or a client's configuration changes, newest first."""
    answer = dynamodb().query(
        TableName=table_name(),
        KeyConditionExpression="PK = :trail",
        ExpressionAttributeValues={":trail": {"S": _TRAILS[kind](subject_id, 0, "")[keys.PARTITION]}},
        ScanIndexForward=False,
        ConsistentRead=True,
    )
    return [from_dynamo(item) for item in answer.get("Items", [])]
