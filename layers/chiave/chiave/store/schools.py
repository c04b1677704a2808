"""School items (name, sender, portal, policy) and the deployment's settings
item ops switch SMS with."""

from __future__ import annotations

from chiave.domain import School
from chiave.policy import overrides_of, policy_from_overrides
from chiave.runtime.aws import dynamodb
from chiave.runtime.settings import portal_url
from chiave.store import keys
from chiave.store.table import Item, from_dynamo, table_name, to_dynamo


def _school_item(school: School) -> Item:
    return {
        **keys.school(school.id),
        "entity": "school",
        "school_id": school.id,
        "name": school.name,
        "fiscal_code": school.fiscal_code,
        "reply_to": school.reply_to,
        "portal_url": school.portal_url,
        "policy": overrides_of(school.policy),
    }


def school_from(item: Item) -> School:
    return School(
        id=item["school_id"],
        name=item["name"],
        fiscal_code=item["fiscal_code"],
        reply_to=item["reply_to"],
        # A school without a portal of its own uses the deployment's pages.
        portal_url=item.get("portal_url") or portal_url(),
        policy=policy_from_overrides(item.get("policy", {})),
    )


def put_school(school: School) -> None:
    dynamodb().put_item(TableName=table_name(), Item=to_dynamo(_school_item(school)))


def get_school(school_id: str) -> School | None:
    answer = dynamodb().get_item(TableName=table_name(), Key=to_dynamo(keys.school(school_id)))
    return school_from(from_dynamo(answer["Item"])) if "Item" in answer else None


def sms_switch_on(item: Item | None) -> bool:
    """Whether the switch item lets SMS out (absent: on)."""
    return bool((item or {}).get("sms_enabled", True))


def sms_enabled() -> bool:
    """Whether ops let SMS out, read on its own (a new mobile's first code)."""
    answer = dynamodb().get_item(
        TableName=table_name(), Key=to_dynamo(keys.sms_switch()), ConsistentRead=True
    )
    return sms_switch_on(from_dynamo(answer["Item"]) if "Item" in answer else None)


def set_sms_switch(enabled: bool, changed_by: str, reason: str, now: float) -> None:
    dynamodb().put_item(
        TableName=table_name(),
        Item=to_dynamo(
            {
                **keys.sms_switch(),
                "entity": "config",
                "sms_enabled": enabled,
                "changed_by": changed_by,
                "reason": reason,
                "changed_at": int(now),
            }
        ),
    )
