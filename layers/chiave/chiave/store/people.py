"""Person items as the anagrafica knows them: rows written and found by
codice fiscale, user code or e-mail, the school's roster, and what the
mail says of an address (bounced, invited, delivered). The credentials on
the same item are chiave.store.accounts'."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from chiave.domain import AccountStatus, Flow, Person, Role, School
from chiave.runtime.aws import dynamodb
from chiave.store import audit, keys
from chiave.store.schools import school_from
from chiave.store.table import (
    Item,
    Refused,
    batch_get,
    found,
    from_dynamo,
    query_all,
    table_name,
    to_dynamo,
    transact,
    update_if,
    write_batch,
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
    # The school's own values (a seed or an import): an import compares with them.
    item["school_email"], item["school_mobile"] = person.email, person.mobile
    return item


_PERSON_FIELDS = [
    "school_id",
    "codice_fiscale",
    "surname",
    "name",
    "email",
    "mobile",
    "classe",
    "user_code",
    "credential_epoch",
    "totp_sealed",
    "previous_email",
    "email_changed_by_school_at",
    "email_proved",
]


def person_from(item: Item) -> Person:
    fields: dict[str, Any] = {name: item[name] for name in _PERSON_FIELDS if name in item}
    if _bounced(item):
        # An address that bounced or complained is not mailed: every flow
        # sees no e-mail on file until the school or the holder gives another.
        fields["email"] = None
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
    person = next((person_from(item) for item in found if item.get("entity") == "person"), None)
    return school, person


def in_school(school_id: str, projection: str, names: dict[str, str] | None = None) -> Iterator[Item]:
    """Every person item of the school, `projection` of each: one partition,
    read page by page (never a Scan)."""
    request: dict[str, Any] = {
        "TableName": table_name(),
        "KeyConditionExpression": "PK = :school AND begins_with(SK, :person)",
        "ExpressionAttributeValues": to_dynamo(
            {":school": keys.school(school_id)[keys.PARTITION], ":person": keys.PERSON_PREFIX}
        ),
        "ProjectionExpression": projection,
        "ConsistentRead": True,
    }
    if names:
        request["ExpressionAttributeNames"] = names
    yield from query_all(request)


def _query_people(index: str, attribute: str, value: str, limit: int) -> list[Person]:
    answer = dynamodb().query(
        TableName=table_name(),
        IndexName=index,
        KeyConditionExpression="#key = :value",
        ExpressionAttributeNames={"#key": attribute},
        ExpressionAttributeValues={":value": {"S": value}},
        Limit=limit,
    )
    return [person_from(from_dynamo(item)) for item in answer.get("Items", [])]


def people_by_user_code(user_code: str) -> list[Person]:
    return _query_people(keys.BY_USER_CODE, "user_code", user_code, limit=2)


def people_by_email(school_id: str, email: str, limit: int) -> list[Person]:
    return _query_people(keys.BY_EMAIL, "email_key", keys.email_index_value(school_id, email), limit=limit)


def _bounced(item: Item) -> bool:
    bounced, email = item.get("bounced_email"), item.get("email")
    return bool(bounced and email and str(bounced).casefold() == str(email).casefold())


def mark_undeliverable(
    school_id: str, email: str, kind: str, retention_days: int, now: float
) -> list[Person]:
    """Every person of the school with this address: marked undeliverable
    (while it is still their address), with an audit item each. Returns
    those marked now (a repeated event marks nobody again)."""
    marked = []
    for item in _with_address(school_id, email):
        if _bounced(item):
            continue
        person = person_from(item)
        mark = person_update(
            person,
            "SET bounced_email = email, bounced_at = :now, bounce_kind = :kind",
            "email = :email",
            {":now": int(now), ":kind": kind, ":email": item["email"]},
        )
        record = audit.entry(
            school_id,
            person.codice_fiscale,
            "email_undeliverable",
            "ses",
            "done",
            retention_days,
            now,
            kind=kind,
        )
        try:
            transact({"person": mark, "audit": record})
        except Refused:
            continue  # the address changed meanwhile
        marked.append(person)
    return marked


def _with_address(school_id: str, email: str) -> Iterator[Item]:
    """The school's people with this address (the ByEmail index, page by page)."""
    request = {
        "TableName": table_name(),
        "IndexName": keys.BY_EMAIL,
        "KeyConditionExpression": "email_key = :value",
        "ExpressionAttributeValues": {":value": {"S": keys.email_index_value(school_id, email)}},
    }
    yield from query_all(request)


def person_update(
    account: Person | Flow, update: str, condition: str, values: Item, names: dict[str, str] | None = None
) -> dict[str, Any]:
    """A transaction part on the person item of `account` (a person, or the
    one a flow was opened for)."""
    part: dict[str, Any] = {
        "TableName": table_name(),
        "Key": to_dynamo(keys.person(account.school_id, account.codice_fiscale)),
        "UpdateExpression": update,
        "ConditionExpression": condition,
        "ExpressionAttributeValues": to_dynamo(values),
    }
    if names:
        part["ExpressionAttributeNames"] = names
    return {"Update": part}


# What the invitation's console action and the school report read of each
# person: the anagrafica row, the status and the mailing facts, never a
# credential (an order reads its people whole: their links need the epoch).
_ROSTER = (
    "codice_fiscale, surname, #name, #role, classe, email, mobile, #status, user_code, "
    "bounced_email, invited_at, delivered_at"
)
_ROSTER_NAMES = {"#name": "name", "#role": "role", "#status": "status"}


@dataclass(frozen=True)
class Enrolled:
    """A person of the school as an invitation or a report sees them."""

    person: Person
    # Its address bounced or complained (person.email is then None).
    undeliverable: bool
    invited_at: int | None
    delivered_at: int | None


def _enrolled(school_id: str, item: Item) -> Enrolled:
    return Enrolled(
        person=person_from({**item, "school_id": school_id}),
        undeliverable=_bounced(item),
        invited_at=int(item["invited_at"]) if "invited_at" in item else None,
        delivered_at=int(item["delivered_at"]) if "delivered_at" in item else None,
    )


def roster(school_id: str) -> Iterator[Enrolled]:
    """Every person of the school, page by page."""
    for item in in_school(school_id, _ROSTER, _ROSTER_NAMES):
        yield _enrolled(school_id, item)


def enrolled(school_id: str, codici_fiscali: Sequence[str]) -> list[Enrolled]:
    """These people of the school as they stand now (one consistent read per
    hundred); those no longer there are left out."""
    people: list[Enrolled] = []
    for start in range(0, len(codici_fiscali), 100):
        chunk = [keys.person(school_id, cf) for cf in codici_fiscali[start : start + 100]]
        items = batch_get(chunk)
        people += [_enrolled(school_id, item) for key in chunk if (item := found(items, key))]
    return people


def mark_invited(person: Person, not_since: int, now: int) -> dict[str, Any]:
    """A transaction part: the person invited now, only while still without
    credentials, at the address the invitation goes to, and not invited
    since `not_since` (so two runs at once invite once)."""
    return person_update(
        person,
        "SET invited_at = :now REMOVE delivered_at",
        "#status = :pending AND email = :email AND (attribute_not_exists(invited_at) OR invited_at < :since)",
        {":now": now, ":pending": AccountStatus.PENDING.value, ":email": person.email, ":since": not_since},
        {"#status": "status"},
    )


def mark_delivered(school_id: str, email: str, now: float) -> int:
    """SES delivered an invitation: recorded on the school's people invited at
    this address and not yet recorded. Returns how many."""
    marked = 0
    for item in _with_address(school_id, email):
        if "invited_at" not in item or "delivered_at" in item:
            continue
        answer = update_if(
            TableName=table_name(),
            Key=to_dynamo(keys.person(school_id, str(item["codice_fiscale"]))),
            UpdateExpression="SET delivered_at = :now",
            ConditionExpression="attribute_exists(invited_at) AND attribute_not_exists(delivered_at)",
            ExpressionAttributeValues=to_dynamo({":now": int(now)}),
        )
        marked += answer is not None
    return marked
