"""School items (name, town, codes, portal, contacts, policy), their
configuration trail, and the deployment's settings item ops switch SMS with."""

from __future__ import annotations

from chiave.domain import Contact, School, TrustMark
from chiave.policy import overrides_of, policy_from_overrides
from chiave.runtime.aws import dynamodb
from chiave.runtime.settings import portal_url
from chiave.store import keys
from chiave.store.table import (
    Item,
    Part,
    from_dynamo,
    query_all,
    save_configured,
    table_name,
    to_dynamo,
)


def _contact_item(contact: Contact | None) -> Item | None:
    return {"name": contact.name, "email": contact.email} if contact else None


def _contact_from(value: Item | None) -> Contact | None:
    return Contact(name=value["name"], email=value["email"]) if value else None


def _school_item(school: School) -> Item:
    item: Item = {
        **keys.school(school.id),
        "entity": "school",
        "school_id": school.id,
        "school_list": keys.SCHOOL_LIST,
        "name": school.name,
        "town": school.town,
        "fiscal_code": school.fiscal_code,
        "reply_to": school.reply_to,
        "portal_url": school.portal_url,
        "primo_ciclo": school.primo_ciclo,
        "enabled": school.enabled,
        "version": school.version,
        "policy": overrides_of(school.policy),
    }
    optional = {
        "ipa_code": school.ipa_code,
        "trust_marks": [
            {"trust_mark_type": mark.trust_mark_type, "trust_mark": mark.trust_mark}
            for mark in school.trust_marks
        ]
        or None,
        "register_url": school.register_url,
        "controller": _contact_item(school.controller),
        "dpo": _contact_item(school.dpo),
    }
    return item | {name: value for name, value in optional.items() if value is not None}


def school_from(item: Item) -> School:
    return School(
        id=item["school_id"],
        name=item["name"],
        fiscal_code=item["fiscal_code"],
        reply_to=item["reply_to"],
        # A school without a portal of its own uses the deployment's pages.
        portal_url=item.get("portal_url") or portal_url(),
        policy=policy_from_overrides(item.get("policy", {})),
        town=item.get("town", ""),
        ipa_code=item.get("ipa_code"),
        trust_marks=tuple(TrustMark(**mark) for mark in item.get("trust_marks", [])),
        primo_ciclo=bool(item.get("primo_ciclo", False)),
        register_url=item.get("register_url"),
        controller=_contact_from(item.get("controller")),
        dpo=_contact_from(item.get("dpo")),
        enabled=bool(item.get("enabled", True)),
        version=int(item.get("version", 0)),
    )


def stored_form(school: School) -> Item:
    """The school as the table keeps it, without its keys: what an audit item compares."""
    item = _school_item(school)
    for name in (*keys.school(school.id), "entity", "school_id", "school_list", "version"):
        item.pop(name, None)
    return item


def put_school(school: School) -> None:
    dynamodb().put_item(TableName=table_name(), Item=to_dynamo(_school_item(school)))


def get_school(school_id: str) -> School | None:
    answer = dynamodb().get_item(
        TableName=table_name(), Key=to_dynamo(keys.school(school_id)), ConsistentRead=True
    )
    return school_from(from_dynamo(answer["Item"])) if "Item" in answer else None


def all_schools() -> list[School]:
    """Every school the deployment serves, enabled or not, by code."""
    request = {
        "TableName": table_name(),
        "IndexName": keys.BY_SCHOOL_LIST,
        "KeyConditionExpression": "school_list = :schools",
        "ExpressionAttributeValues": {":schools": {"S": keys.SCHOOL_LIST}},
    }
    return [school_from(item) for item in query_all(request)]


def save(school: School, is_new: bool, audit_entry: Part) -> None:
    """The school written as configured, with its audit item, in one
    transaction, only if nobody changed it since it was read (its version);
    raises ConfigurationConflict otherwise."""
    save_configured("school", _school_item(school), is_new, audit_entry)


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
