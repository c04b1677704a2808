"""Person items: an anagrafica row and the account that goes with it, found
by codice fiscale, user code or e-mail."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import ClientError

from chiave import keys
from chiave.aws import dynamodb
from chiave.domain import AccountStatus, Credentials, Flow, Person, Role, School, StoredPin
from chiave.store import audit
from chiave.store.schools import school_from
from chiave.store.table import (
    Item,
    batch_get,
    cancelled,
    failed_condition,
    found,
    from_dynamo,
    reasons,
    table_name,
    to_dynamo,
    transact,
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
]


def _person_from(item: Item) -> Person:
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
    person = next((_person_from(item) for item in found if item.get("entity") == "person"), None)
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
    while True:
        answer = dynamodb().query(**request)
        yield from map(from_dynamo, answer["Items"])
        if "LastEvaluatedKey" not in answer:
            return
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


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
        person = _person_from(item)
        mark = _person_update(
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
            transact([mark, record])
        except ClientError as error:
            if not (cancelled(error) and "ConditionalCheckFailed" in reasons(error)):
                raise
            continue  # the address changed meanwhile
        marked.append(person)
    return marked


def _with_address(school_id: str, email: str) -> Iterator[Item]:
    """The school's people with this address (the ByEmail index, page by page)."""
    request: dict[str, Any] = {
        "TableName": table_name(),
        "IndexName": keys.BY_EMAIL,
        "KeyConditionExpression": "email_key = :value",
        "ExpressionAttributeValues": {":value": {"S": keys.email_index_value(school_id, email)}},
    }
    while True:
        answer = dynamodb().query(**request)
        yield from map(from_dynamo, answer.get("Items", []))
        if "LastEvaluatedKey" not in answer:
            return
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


# ---- accounts: the credentials on a person item --------------------------------------

Account = tuple[Person, Credentials]
# What a login nobody has reads instead of a person: the same call, nothing found.
_NOBODY = "-"


def credentials_from(item: Item) -> Credentials:
    return Credentials(
        password_hash=item.get("password_hash"),
        password_history=tuple(item.get("password_history", ())),
        pin=StoredPin(item["pin_hash"], item["pin_pepper_version"]) if item.get("pin_hash") else None,
        pin_failures=int(item.get("pin_failures", 0)),
        must_change_password=bool(item.get("must_change_password", False)),
        temporary_code_hash=item.get("temporary_code_hash"),
        temporary_code_expires_at=int(item.get("temporary_code_expires_at", 0)),
    )


def reservation_owner(item: Item | None, school_id: str) -> str | None:
    """The codice fiscale a user code reservation names, if it is this school's."""
    if item is None or item.get("school_id") != school_id or "codice_fiscale" not in item:
        return None  # nobody's, another school's, or an erased person's (kept reserved)
    return str(item["codice_fiscale"])


def get_account(school_id: str, codice_fiscale: str | None) -> Account | None:
    """A person and their credentials, read consistently; with no codice
    fiscale, the same read of a key nobody has."""
    answer = dynamodb().get_item(
        TableName=table_name(),
        Key=to_dynamo(keys.person(school_id, codice_fiscale or _NOBODY)),
        ConsistentRead=True,
    )
    if "Item" not in answer:
        return None
    item = from_dynamo(answer["Item"])
    return _person_from(item), credentials_from(item)


def get_school_and_account(
    school_id: str, codice_fiscale: str | None
) -> tuple[School | None, Account | None]:
    """The school and one of its accounts, consistently, in one round trip."""
    school_key = keys.school(school_id)
    person_key = keys.person(school_id, codice_fiscale or _NOBODY)
    items = batch_get([school_key, person_key])
    school_item, person_item = found(items, school_key), found(items, person_key)
    school = school_from(school_item) if school_item else None
    account = (_person_from(person_item), credentials_from(person_item)) if person_item else None
    return school, account


def accounts_by_email(school_id: str, email: str, limit: int) -> list[Account]:
    """Accounts of a school with this e-mail (a shared mailbox has several)."""
    answer = dynamodb().query(
        TableName=table_name(),
        IndexName=keys.BY_EMAIL,
        KeyConditionExpression="email_key = :value",
        ExpressionAttributeValues={":value": {"S": keys.email_index_value(school_id, email)}},
        Limit=limit,
    )
    items = [from_dynamo(item) for item in answer.get("Items", [])]
    return [(_person_from(item), credentials_from(item)) for item in items]


def _account_update(
    person: Person, verified_hash: str, update: str, values: Item, names: dict[str, str] | None = None
) -> dict[str, Any]:
    """A transaction part that changes an active account only while its
    password is still the one just verified (a concurrent change wins)."""
    return {
        "Update": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.person(person.school_id, person.codice_fiscale)),
            "UpdateExpression": update,
            "ConditionExpression": "password_hash = :verified AND #status = :active",
            "ExpressionAttributeNames": {"#status": "status", **(names or {})},
            "ExpressionAttributeValues": to_dynamo(
                {**values, ":verified": verified_hash, ":active": "active"}
            ),
        }
    }


def password_unchanged(person: Person, verified_hash: str) -> dict[str, Any]:
    """A transaction part that changes nothing, but holds only while the
    account is active with the password just verified."""
    return {
        "ConditionCheck": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.person(person.school_id, person.codice_fiscale)),
            "ConditionExpression": "password_hash = :verified AND #status = :active",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_dynamo({":verified": verified_hash, ":active": "active"}),
        }
    }


def set_pin(
    person: Person, verified_hash: str, pin: StoredPin, rehashed: str | None, now: int
) -> dict[str, Any]:
    """The new PIN replaces the old one at once, its failures reset; the
    password is rehashed in the same write when its parameters were old."""
    update = "SET pin_hash = :pin, pin_pepper_version = :version, pin_issued_at = :now, pin_failures = :zero"
    values: Item = {":pin": pin.hash, ":version": pin.pepper_version, ":now": now, ":zero": 0}
    if rehashed:
        update += ", password_hash = :rehashed"
        values[":rehashed"] = rehashed
    return _account_update(person, verified_hash, update, values)


def change_password(
    person: Person, verified_hash: str, new_hash: str, history: tuple[str, ...], now: int
) -> dict[str, Any]:
    """The new password, the old one into the history, and the credential
    epoch moved on: every open link of the account dies."""
    return _account_update(
        person,
        verified_hash,
        "SET password_hash = :new, password_history = :history, password_set_at = :now, "
        "credential_epoch = credential_epoch + :one, must_change_password = :false",
        {":new": new_hash, ":history": list(history), ":now": now, ":one": 1, ":false": False},
    )


def replace_hash(person: Person, attribute: str, old: str, new: str, **extra: Any) -> None:
    """Rehash (newer argon2 parameters, a newer pepper) unless the secret
    changed meanwhile: then there is nothing to upgrade."""
    assert attribute in ("password_hash", "pin_hash")
    sets = ", ".join(f"{name} = :{name}" for name in extra)
    try:
        dynamodb().update_item(
            TableName=table_name(),
            Key=to_dynamo(keys.person(person.school_id, person.codice_fiscale)),
            UpdateExpression=f"SET {attribute} = :new" + (f", {sets}" if sets else ""),
            ConditionExpression=f"{attribute} = :old",
            ExpressionAttributeValues=to_dynamo(
                {":new": new, ":old": old, **{f":{name}": value for name, value in extra.items()}}
            ),
        )
    except ClientError as error:
        if not failed_condition(error):
            raise


def count_pin_failure(person: Person, pin_hash: str, max_attempts: int) -> int | None:
    """One more wrong PIN against this PIN, never past the maximum; the new
    count, or None when the PIN changed or is already locked."""
    try:
        answer = dynamodb().update_item(
            TableName=table_name(),
            Key=to_dynamo(keys.person(person.school_id, person.codice_fiscale)),
            UpdateExpression="ADD pin_failures :one",
            ConditionExpression="pin_hash = :pin "
            "AND (attribute_not_exists(pin_failures) OR pin_failures < :max)",
            ExpressionAttributeValues=to_dynamo({":one": 1, ":pin": pin_hash, ":max": max_attempts}),
            ReturnValues="UPDATED_NEW",
        )
    except ClientError as error:
        if failed_condition(error):
            return None
        raise
    return int(answer["Attributes"]["pin_failures"]["N"])


def clear_pin_failures(person: Person, pin_hash: str) -> None:
    """A right PIN: wrong ones before it no longer count (consecutive failures lock)."""
    try:
        dynamodb().update_item(
            TableName=table_name(),
            Key=to_dynamo(keys.person(person.school_id, person.codice_fiscale)),
            UpdateExpression="SET pin_failures = :zero",
            ConditionExpression="pin_hash = :pin",
            ExpressionAttributeValues=to_dynamo({":zero": 0, ":pin": pin_hash}),
        )
    except ClientError as error:
        if not failed_condition(error):
            raise


# ---- the holder's own contacts and authenticator app (chiave.flows.contacts, .totp) -----


def _opened_for(flow: Flow, update: str, values: Item) -> dict[str, Any]:
    """A transaction part that changes the account a flow was opened for,
    while it is active and no credential was set since (the flow lives)."""
    return _person_update(
        flow,
        update,
        "credential_epoch = :epoch AND #status = :active",
        {**values, ":epoch": flow.credential_epoch, ":active": AccountStatus.ACTIVE.value},
        {"#status": "status"},
    )


def change_email(flow: Flow, now: int) -> dict[str, Any]:
    """The address the flow's link proved becomes the account's (login and
    reset by e-mail follow it). Open links die: the old mailbox's too."""
    return _opened_for(
        flow,
        "SET email = :email, email_key = :key, email_verified_at = :now, "
        "credential_epoch = credential_epoch + :one",
        {
            ":email": flow.email,
            ":key": keys.email_index_value(flow.school_id, flow.email),
            ":now": now,
            ":one": 1,
        },
    )


def change_mobile(flow: Flow, now: int) -> dict[str, Any]:
    """The number the flow's SMS code proved becomes the account's."""
    assert flow.mobile is not None
    return _opened_for(
        flow,
        "SET mobile = :mobile, mobile_verified_at = :now, credential_epoch = credential_epoch + :one",
        {":mobile": flow.mobile, ":now": now, ":one": 1},
    )


def enrol_totp(flow: Flow, step: int, now: int) -> dict[str, Any]:
    """The enrolment flow's app becomes the account's (replacing any other);
    the step that confirmed it is taken."""
    return _opened_for(
        flow,
        "SET totp_sealed = :sealed, totp_last_step = :step, totp_enrolled_at = :now",
        {":sealed": flow.totp_sealed, ":step": step, ":now": now},
    )


def use_totp_step(flow: Flow, step: int) -> dict[str, Any]:
    """A transaction part: an app code's time step taken, never twice (nor
    an earlier one), and only while the app is still the flow's."""
    return _person_update(
        flow,
        "SET totp_last_step = :step",
        "totp_sealed = :sealed AND totp_last_step < :step",
        {":step": step, ":sealed": flow.totp_sealed},
    )


# ---- ops actions on an account (chiave.flows.ops) -------------------------------------


def _person_update(
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


def forgive_pin(person: Person) -> dict[str, Any]:
    """A transaction part: the PIN's wrong attempts forgotten (unlock)."""
    return _person_update(person, "SET pin_failures = :zero", "attribute_exists(PK)", {":zero": 0})


def disable(person: Person) -> dict[str, Any]:
    """A transaction part: the account off, every open link dead (the epoch
    moves on), and the status it had kept for `enable`."""
    return _person_update(
        person,
        "SET #status = :disabled, disabled_from = #status, credential_epoch = credential_epoch + :one",
        "#status = :seen",
        {":disabled": AccountStatus.DISABLED.value, ":one": 1, ":seen": person.status.value},
        {"#status": "status"},
    )


def enable(person: Person, restored: AccountStatus) -> dict[str, Any]:
    return _person_update(
        person,
        "SET #status = :restored REMOVE disabled_from",
        "#status = :disabled",
        {":restored": restored.value, ":disabled": AccountStatus.DISABLED.value},
        {"#status": "status"},
    )


def disabled_from(school_id: str, codice_fiscale: str) -> AccountStatus | None:
    answer = dynamodb().get_item(
        TableName=table_name(),
        Key=to_dynamo(keys.person(school_id, codice_fiscale)),
        ProjectionExpression="disabled_from",
        ConsistentRead=True,
    )
    value = from_dynamo(answer.get("Item", {})).get("disabled_from")
    return AccountStatus(value) if value else None


def revoke(person: Person) -> dict[str, Any]:
    """A transaction part: every open link dies (the epoch moves on), the PIN
    and the authenticator app are gone."""
    return _person_update(
        person,
        "SET credential_epoch = credential_epoch + :one "
        "REMOVE pin_hash, pin_pepper_version, pin_failures, totp_sealed, totp_last_step, totp_enrolled_at",
        "attribute_exists(PK)",
        {":one": 1},
    )


def identified(person: Person) -> dict[str, Any]:
    """A transaction part: an account awaiting identification becomes active."""
    return _person_update(
        person,
        "SET #status = :active",
        "#status = :awaiting",
        {":active": AccountStatus.ACTIVE.value, ":awaiting": AccountStatus.AWAITING_IDENTIFICATION.value},
        {"#status": "status"},
    )


def reserve_user_code(school_id: str, codice_fiscale: str, user_code: str, now: int) -> dict[str, Any]:
    """A transaction part: the user code taken, for good (never deleted)."""
    return {
        "Put": {
            "TableName": table_name(),
            "Item": to_dynamo(
                {
                    **keys.user_code_reservation(user_code),
                    "entity": "user_code",
                    "school_id": school_id,
                    "codice_fiscale": codice_fiscale,
                    "issued_at": now,
                }
            ),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def issue_temporary_code(person: Person, code_hash: str, expires_at: int, user_code: str) -> dict[str, Any]:
    """A transaction part: the account's temporary code (it replaces any
    earlier one) and its user code; the password must change."""
    return _person_update(
        person,
        "SET temporary_code_hash = :hash, temporary_code_expires_at = :expires, "
        "must_change_password = :true, user_code = :user_code",
        "#status IN (:pending, :active, :awaiting)",
        {
            ":hash": code_hash,
            ":expires": expires_at,
            ":true": True,
            ":user_code": user_code,
            ":pending": AccountStatus.PENDING.value,
            ":active": AccountStatus.ACTIVE.value,
            ":awaiting": AccountStatus.AWAITING_IDENTIFICATION.value,
        },
        {"#status": "status"},
    )


def redeem_temporary_code(
    person: Person, code_hash: str, password_hash: str, status: AccountStatus, now: int
) -> dict[str, Any]:
    """A transaction part: the password set with the temporary code, which is
    used up; every open link dies (the epoch moves on)."""
    return _person_update(
        person,
        "SET password_hash = :password, password_set_at = :now, #status = :status, "
        "credential_epoch = credential_epoch + :one, must_change_password = :false "
        "REMOVE temporary_code_hash, temporary_code_expires_at",
        "temporary_code_hash = :code AND temporary_code_expires_at > :now",
        {
            ":password": password_hash,
            ":now": now,
            ":status": status.value,
            ":one": 1,
            ":false": False,
            ":code": code_hash,
        },
        {"#status": "status"},
    )


def erase(person: Person) -> dict[str, Any]:
    """A transaction part: the person's anagrafica row and account gone."""
    return {
        "Delete": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.person(person.school_id, person.codice_fiscale)),
            "ConditionExpression": "attribute_exists(PK)",
        }
    }


def erased_tombstone(person: Person, now: int) -> dict[str, Any]:
    """A transaction part: that the school erased this codice fiscale (hashed),
    so an import that lists it again reports it as such."""
    return {
        "Put": {
            "TableName": table_name(),
            "Item": to_dynamo({**keys.erased(person.school_id, person.codice_fiscale), "erased_at": now}),
        }
    }


def keep_user_code_reserved(user_code: str, now: int) -> dict[str, Any]:
    """A transaction part: the user code stays taken for ever, but no longer
    says whose it was."""
    return {
        "Update": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.user_code_reservation(user_code)),
            "UpdateExpression": "SET erased_at = :now REMOVE codice_fiscale",
            "ConditionExpression": "attribute_exists(PK)",
            "ExpressionAttributeValues": to_dynamo({":now": now}),
        }
    }


# ---- invitations and the school report (chiave.flows.invitations, .school_report) -----

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
        person=_person_from({**item, "school_id": school_id}),
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
    return _person_update(
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
        try:
            dynamodb().update_item(
                TableName=table_name(),
                Key=to_dynamo(keys.person(school_id, str(item["codice_fiscale"]))),
                UpdateExpression="SET delivered_at = :now",
                ConditionExpression="attribute_exists(invited_at) AND attribute_not_exists(delivered_at)",
                ExpressionAttributeValues=to_dynamo({":now": int(now)}),
            )
        except ClientError as error:
            if not failed_condition(error):
                raise
            continue
        marked += 1
    return marked
