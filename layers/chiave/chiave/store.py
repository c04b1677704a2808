"""DynamoDB access for the single table. Keys come from chiave.keys only."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chiave import keys
from chiave.aws import dynamodb
from chiave.domain import AccountStatus, Flow, Person, Purpose, Role, School
from chiave.errors import AccountUnavailable, RateLimited, TokenExpired, TokenUsed
from chiave.policy import overrides_of, policy_from_overrides
from chiave.ratelimit import Counter
from chiave.settings import settings

# Items stay this long after their link expires, so a late click is told
# "expired" rather than "invalid"; correctness never depends on deletion.
FLOW_RETENTION_S = 7 * 24 * 3600
# Transactions on a busy counter (one school's NAT address) may conflict.
TRANSACTION_ATTEMPTS = 3

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

Item = dict[str, Any]


def _to_dynamo(item: Mapping[str, Any]) -> dict[str, Any]:
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


def _from_dynamo(item: Mapping[str, Any]) -> Item:
    return {name: _plain(_deserializer.deserialize(value)) for name, value in item.items()}


def _table() -> str:
    return settings().table_name


# ---- schools and people -------------------------------------------------------------


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


def _school_from(item: Item) -> School:
    return School(
        id=item["school_id"],
        name=item["name"],
        fiscal_code=item["fiscal_code"],
        reply_to=item["reply_to"],
        portal_url=item["portal_url"],
        policy=policy_from_overrides(item.get("policy", {})),
    )


def _person_item(person: Person) -> Item:
    item: Item = {
        **keys.person(person.school_id, person.codice_fiscale),
        "entity": "person",
        **asdict(person),
    }
    item["role"] = person.role.value
    item["status"] = person.status.value
    if person.email:
        item["email_key"] = keys.email_index_value(person.school_id, person.email)
    return item


_PERSON_FIELDS = [
    "school_id",
    "codice_fiscale",
    "surname",
    "name",
    "email",
    "mobile",
    "user_code",
    "credential_epoch",
]


def _person_from(item: Item) -> Person:
    fields: dict[str, Any] = {name: item[name] for name in _PERSON_FIELDS if name in item}
    return Person(
        **fields,
        role=Role(item["role"]),
        status=AccountStatus(item.get("status", AccountStatus.PENDING)),
    )


def put_school(school: School) -> None:
    dynamodb().put_item(TableName=_table(), Item=_to_dynamo(_school_item(school)))


def put_people(people: Iterable[Person]) -> None:
    """Load anagrafica rows (seed, import). Overwrites the rows it is given."""
    batch: list[dict[str, Any]] = []
    for person in people:
        batch.append({"PutRequest": {"Item": _to_dynamo(_person_item(person))}})
        if len(batch) == 25:
            _write_batch(batch)
            batch = []
    if batch:
        _write_batch(batch)


def _write_batch(requests: list[dict[str, Any]]) -> None:
    pending: Mapping[str, Any] = {_table(): requests}
    while pending:
        answer = dynamodb().batch_write_item(RequestItems=pending)
        pending = answer.get("UnprocessedItems") or {}


def get_school(school_id: str) -> School | None:
    answer = dynamodb().get_item(TableName=_table(), Key=_to_dynamo(keys.school(school_id)))
    return _school_from(_from_dynamo(answer["Item"])) if "Item" in answer else None


def get_school_and_person(school_id: str, canonical_cf: str) -> tuple[School | None, Person | None]:
    """One round trip for the two items register and reset-by-cf need."""
    wanted = [keys.school(school_id), keys.person(school_id, canonical_cf)]
    request: dict[str, Any] = {
        _table(): {"Keys": [_to_dynamo(key) for key in wanted], "ConsistentRead": True}
    }
    found: list[Item] = []
    while request:
        answer = dynamodb().batch_get_item(RequestItems=request)
        found += [_from_dynamo(item) for item in answer["Responses"].get(_table(), [])]
        request = dict(answer.get("UnprocessedKeys") or {})
    school = next((_school_from(item) for item in found if item.get("entity") == "school"), None)
    person = next((_person_from(item) for item in found if item.get("entity") == "person"), None)
    return school, person


def _query_people(index: str, attribute: str, value: str, limit: int) -> list[Person]:
    answer = dynamodb().query(
        TableName=_table(),
        IndexName=index,
        KeyConditionExpression="#key = :value",
        ExpressionAttributeNames={"#key": attribute},
        ExpressionAttributeValues={":value": {"S": value}},
        Limit=limit,
    )
    return [_person_from(_from_dynamo(item)) for item in answer.get("Items", [])]


def people_by_user_code(user_code: str) -> list[Person]:
    return _query_people(keys.BY_USER_CODE, "user_code", user_code, limit=2)


def people_by_email(school_id: str, email: str, limit: int) -> list[Person]:
    return _query_people(keys.BY_EMAIL, "email_key", keys.email_index_value(school_id, email), limit=limit)


# ---- flows ----------------------------------------------------------------------------


def _flow_item(flow: Flow) -> Item:
    item: Item = {**keys.flow(flow.token_sha256), "entity": "flow", **asdict(flow)}
    item["purpose"] = flow.purpose.value
    item["account_status"] = flow.account_status.value
    # Not `user_code`: that name is the ByUserCode index key, for people only.
    item["account_user_code"] = item.pop("user_code")
    item["expiry_bucket"] = keys.expiry_bucket(flow.expires_at)
    item[keys.TTL_ATTRIBUTE] = flow.expires_at + FLOW_RETENTION_S
    return item


_FLOW_FIELDS = tuple(Flow.__dataclass_fields__)


def _flow_from(item: Item) -> Flow:
    values: dict[str, Any] = {name: item.get(name) for name in _FLOW_FIELDS}
    values["user_code"] = item.get("account_user_code")
    values["purpose"] = Purpose(item["purpose"])
    values["account_status"] = AccountStatus(item["account_status"])
    return Flow(**values)


def get_flow(token_sha256: str) -> Flow | None:
    answer = dynamodb().get_item(
        TableName=_table(), Key=_to_dynamo(keys.flow(token_sha256)), ConsistentRead=True
    )
    return _flow_from(_from_dynamo(answer["Item"])) if "Item" in answer else None


def credential_epoch(school_id: str, canonical_cf: str) -> int | None:
    answer = dynamodb().get_item(
        TableName=_table(),
        Key=_to_dynamo(keys.person(school_id, canonical_cf)),
        ProjectionExpression="credential_epoch",
        ConsistentRead=True,
    )
    return int(_from_dynamo(answer["Item"]).get("credential_epoch", 0)) if "Item" in answer else None


def _counter_update(counter: Counter) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": _table(),
            "Key": _to_dynamo(keys.rate_counter(counter.scope, counter.subject, counter.window_start)),
            "UpdateExpression": "ADD request_count :one SET #ttl = :delete_after",
            "ConditionExpression": "attribute_not_exists(request_count) OR request_count < :limit",
            "ExpressionAttributeNames": {"#ttl": keys.TTL_ATTRIBUTE},
            "ExpressionAttributeValues": _to_dynamo(
                {":one": 1, ":limit": counter.limit, ":delete_after": counter.window_end + 3600}
            ),
        }
    }


def _reasons(error: ClientError) -> list[str]:
    return [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]


def _transact(items: list[dict[str, Any]]) -> None:
    """TransactWriteItems, retried when it only lost a race with another one."""
    for attempt in range(TRANSACTION_ATTEMPTS):
        try:
            dynamodb().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
            return
        except ClientError as error:
            conflict = "TransactionConflict" in _reasons(error)
            if not conflict or attempt == TRANSACTION_ATTEMPTS - 1:
                raise
            time.sleep(0.02 * (attempt + 1))


def count_requests_and_open_flows(counters: Sequence[Counter], flows: Sequence[Flow], now: float) -> None:
    """Count the request against every limit and store the new links, atomically:
    a request over a limit opens nothing. Raises RateLimited."""
    items = [_counter_update(counter) for counter in counters]
    items += [
        {
            "Put": {
                "TableName": _table(),
                "Item": _to_dynamo(_flow_item(flow)),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }
        for flow in flows
    ]
    try:
        _transact(items)
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = _reasons(error)
        exceeded = [
            counter
            for counter, reason in zip(counters, reasons, strict=False)
            if reason == "ConditionalCheckFailed"
        ]
        if not exceeded:
            raise
        raise RateLimited(retry_after=max(c.retry_after(now) for c in exceeded)) from None


class UserCodeTaken(Exception):
    """The random user code is someone else's: draw another."""


def complete_flow(
    flow: Flow, password_hash: str, user_code: str, new_status: AccountStatus | None, now: int
) -> None:
    """Set the password and consume the link in one transaction. Every other
    open link of the account dies with it: the credential epoch moves on."""
    person_key = _to_dynamo(keys.person(flow.school_id, flow.codice_fiscale))
    consume_flow = {
        "Update": {
            "TableName": _table(),
            "Key": _to_dynamo(keys.flow(flow.token_sha256)),
            "UpdateExpression": "SET used_at = :now",
            "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(used_at) "
            "AND expires_at > :now",
            "ExpressionAttributeValues": _to_dynamo({":now": now}),
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
        # A reset keeps the status; it clears a time-bound lock.
        condition = "credential_epoch = :epoch AND #status IN (:active, :awaiting)"
        values |= {":active": "active", ":awaiting": "awaiting_identification"}
        update += " REMOVE locked_until, login_failures"
    else:
        condition = "credential_epoch = :epoch AND #status = :pending"
        update += ", #status = :new_status"
        values |= {":pending": "pending", ":new_status": new_status.value}
    set_password = {
        "Update": {
            "TableName": _table(),
            "Key": person_key,
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": _to_dynamo(values),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }
    items: list[dict[str, Any]] = [consume_flow, set_password]
    if user_code != flow.user_code:
        items.append(
            {
                "Put": {
                    "TableName": _table(),
                    "Item": _to_dynamo(
                        {
                            **keys.user_code_reservation(user_code),
                            "entity": "user_code",
                            "school_id": flow.school_id,
                            "codice_fiscale": flow.codice_fiscale,
                            "issued_at": now,
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        )
    try:
        _transact(items)
    except ClientError as error:
        if error.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        _explain_cancelled_completion(error, flow, now)


def _explain_cancelled_completion(error: ClientError, flow: Flow, now: int) -> None:
    reasons = error.response.get("CancellationReasons", [])
    codes = [reason.get("Code", "None") for reason in reasons]
    if codes[0] == "ConditionalCheckFailed":
        raise TokenExpired() if flow.is_expired(now) else TokenUsed()
    if codes[1] == "ConditionalCheckFailed":
        old = reasons[1].get("Item")
        if old and _from_dynamo(old).get("status") == AccountStatus.DISABLED.value:
            raise AccountUnavailable()
        raise TokenUsed()  # superseded: a credential was set since this link
    if len(codes) > 2 and codes[2] == "ConditionalCheckFailed":
        raise UserCodeTaken()
    raise error
