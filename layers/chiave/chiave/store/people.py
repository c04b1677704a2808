"""Person items: an anagrafica row and the account that goes with it, found
by codice fiscale, user code or e-mail."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import Any

from chiave import keys
from chiave.aws import dynamodb
from chiave.domain import AccountStatus, Person, Role, School
from chiave.store.schools import school_from
from chiave.store.table import Item, from_dynamo, table_name, to_dynamo, write_batch


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


def person_records(people: Iterable[Person]) -> Iterator[dict[str, Any]]:
    """Anagrafica rows as table items, in DynamoDB's JSON."""
    for person in people:
        yield to_dynamo(_person_item(person))


def put_people(people: Iterable[Person]) -> None:
    """Load anagrafica rows (seed, import). Overwrites the rows it is given."""
    batch: list[dict[str, Any]] = []
    for record in person_records(people):
        batch.append({"PutRequest": {"Item": record}})
        if len(batch) == 25:
            write_batch(batch)
            batch = []
    if batch:
        write_batch(batch)


def get_school_and_person(school_id: str, canonical_cf: str) -> tuple[School | None, Person | None]:
    """One round trip for the two items register and reset-by-cf need."""
    wanted = [keys.school(school_id), keys.person(school_id, canonical_cf)]
    request: dict[str, Any] = {
        table_name(): {"Keys": [to_dynamo(key) for key in wanted], "ConsistentRead": True}
    }
    found: list[Item] = []
    while request:
        answer = dynamodb().batch_get_item(RequestItems=request)
        found += [from_dynamo(item) for item in answer["Responses"].get(table_name(), [])]
        request = dict(answer.get("UnprocessedKeys") or {})
    school = next((school_from(item) for item in found if item.get("entity") == "school"), None)
    person = next((_person_from(item) for item in found if item.get("entity") == "person"), None)
    return school, person


def _query_people(index: str, attribute: str, value: str, limit: int) -> list[Person]:
    answer = dynamodb().query(
        TableName=table_name(),
        IndexName=index,
        KeyConditionExpression="#key = :value",
        ExpressionAttributeNames={"#key": attribute},
        ExpressionAttributeValues={":value": {"S": value}},
        Limit=limit,
    )
    return [_person_from(from_dynamo(item)) for item in answer.get("Items", [])]


def people_by_user_code(user_code: str) -> list[Person]:
    return _query_people(keys.BY_USER_CODE, "user_code", user_code, limit=2)


def people_by_email(school_id: str, email: str, limit: int) -> list[Person]:
    return _query_people(keys.BY_EMAIL, "email_key", keys.email_index_value(school_id, email), limit=limit)


def account_state(school_id: str, codice_fiscale: str) -> tuple[int | None, AccountStatus | None]:
    """The account's credential epoch and status (None, None: no such person)."""
    answer = dynamodb().get_item(
        TableName=table_name(),
        Key=to_dynamo(keys.person(school_id, codice_fiscale)),
        ProjectionExpression="credential_epoch, #status",
        ExpressionAttributeNames={"#status": "status"},
        ConsistentRead=True,
    )
    if "Item" not in answer:
        return None, None
    item = from_dynamo(answer["Item"])
    return int(item.get("credential_epoch", 0)), AccountStatus(item.get("status", AccountStatus.PENDING))


def password_hash(school_id: str, codice_fiscale: str) -> str | None:
    """The account's password hash (a confirm given again; chiave.flows.confirm)."""
    answer = dynamodb().get_item(
        TableName=table_name(),
        Key=to_dynamo(keys.person(school_id, codice_fiscale)),
        ProjectionExpression="password_hash",
        ConsistentRead=True,
    )
    value = from_dynamo(answer.get("Item", {})).get("password_hash")
    return str(value) if value else None
