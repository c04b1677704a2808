"""What the anagrafica import reads and writes: the uploaded file and its
report (S3), the school's people as they stand, the codici fiscali erased
on request, and the anagrafica fields of a person — never its account's."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from chiave.domain import WITH_CREDENTIALS, Person
from chiave.runtime.aws import s3
from chiave.store import keys
from chiave.store.conditions import ITEM_EXISTS
from chiave.store.people import in_school, person_records
from chiave.store.table import Item, Refused, commit, query_all, table_name, to_dynamo, update_if, write_batch

# What the import compares; nothing else of a person item is read.
_READ = (
    "codice_fiscale, surname, #name, #role, classe, email, mobile, school_email, school_mobile, "
    "email_verified_at, mobile_verified_at, #status"
)
_LABELS = {"email": "indirizzo e-mail", "mobile": "numero di cellulare"}
_WITH_CREDENTIALS = {status.value for status in WITH_CREDENTIALS}


def object_size(bucket: str, key: str) -> int | None:
    """The file's size; None when it is not there (removed since its event)."""
    try:
        return int(s3().head_object(Bucket=bucket, Key=key)["ContentLength"])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def read_object(bucket: str, key: str) -> bytes:
    body: bytes = s3().get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def write_report(bucket: str, key: str, text: str) -> None:
    s3().put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType="text/csv; charset=utf-8")


def school_people(school_id: str) -> dict[str, Item]:
    """Every person of the school, by codice fiscale (one partition, paged)."""
    found = in_school(school_id, _READ, {"#name": "name", "#role": "role", "#status": "status"})
    return {str(item["codice_fiscale"]): item for item in found}


def erased(school_id: str) -> set[str]:
    """The digests of the codici fiscali this school's people were erased under."""
    partition = keys.erased_partition(school_id)
    request = {
        "TableName": table_name(),
        "KeyConditionExpression": "PK = :partition",
        "ExpressionAttributeValues": to_dynamo({":partition": partition}),
    }
    return {str(item[keys.SORT]) for item in query_all(request)}


def was_erased(digests: set[str], school_id: str, codice_fiscale: str) -> bool:
    return keys.erased(school_id, codice_fiscale)[keys.SORT] in digests


@dataclass
class Change:
    """The anagrafica attributes to set or remove on one person."""

    sets: dict[str, Any] = field(default_factory=dict)
    removes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # An active account's e-mail the file replaces: its holder is told there.
    replaced_email: str | None = None

    @property
    def empty(self) -> bool:
        return not self.sets and not self.removes

    def put(self, name: str, value: Any) -> None:
        if value is None:
            self.removes.append(name)
        else:
            self.sets[name] = value


def plan_update(current: Item, row: Person, now: float) -> Change:
    """What a row changes on a person who exists: the anagrafica fields, and
    each contact unless the holder proved their own and the school left its
    value as it was. An active account's e-mail that changes is remembered
    with the moment (Person.reset_address), and its holder is told there."""
    change = Change()
    wanted = {"surname": row.surname, "name": row.name, "role": row.role.value, "classe": row.classe}
    for name, value in wanted.items():
        if current.get(name) != value:
            change.put(name, value)
    for contact in ("email", "mobile"):
        stored, given = current.get(contact), getattr(row, contact)
        schools_last = current.get(f"school_{contact}", stored)
        own = current.get(f"{contact}_verified_at") is not None and stored != schools_last
        target = given
        if own and given == schools_last:
            target = stored
            change.notes.append(f"{_LABELS[contact]} verificato dal titolare mantenuto")
        elif own:
            change.notes.append(f"{_LABELS[contact]} sostituito: la scuola lo ha cambiato")
            change.put(f"{contact}_verified_at", None)
        if target != stored:
            change.put(contact, target)
            if contact == "email":
                change.put("email_key", keys.email_index_value(row.school_id, target) if target else None)
            if contact == "email" and stored and current.get("status") in _WITH_CREDENTIALS:
                change.put("previous_email", stored)
                change.put("email_changed_by_school_at", int(now))
                change.replaced_email = stored
        if given != current.get(f"school_{contact}"):
            change.put(f"school_{contact}", given)
    return change


def apply_update(
    school_id: str, codice_fiscale: str, change: Change, commit_id: str | None = None, now: float = 0
) -> bool:
    """Set the planned attributes on the person, if they still exist; with
    `commit_id`, in a transaction with the receipt of the queued notice."""
    names = {f"#{name}": name for name in [*change.sets, *change.removes]}
    update = ""
    if change.sets:
        update += "SET " + ", ".join(f"#{name} = :{name}" for name in change.sets)
    if change.removes:
        update += " REMOVE " + ", ".join(f"#{name}" for name in change.removes)
    request: dict[str, Any] = {
        "TableName": table_name(),
        "Key": to_dynamo(keys.person(school_id, codice_fiscale)),
        "UpdateExpression": update.strip(),
        "ConditionExpression": ITEM_EXISTS,
        "ExpressionAttributeNames": names,
    }
    if change.sets:
        request["ExpressionAttributeValues"] = to_dynamo(
            {f":{name}": value for name, value in change.sets.items()}
        )
    if commit_id is None:
        return update_if(**request) is not None
    try:
        commit({"person": {"Update": request}}, commit_id, now)
    except Refused:
        return False
    return True


def put_new(people: Iterable[Person]) -> None:
    """New people, 25 to a write request."""
    requests = [{"PutRequest": {"Item": record}} for record in person_records(people)]
    for start in range(0, len(requests), 25):
        write_batch(requests[start : start + 25])
