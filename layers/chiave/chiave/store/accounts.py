"""Accounts: the credentials on a person item (password, PIN, temporary
code, user code, authenticator app, status), read and changed only under
the conditions that keep them consistent."""

from __future__ import annotations

from typing import Any

from chiave.domain import AccountStatus, Credentials, Flow, Person, School, StoredPin
from chiave.errors import AccountUnavailable
from chiave.runtime.aws import dynamodb
from chiave.store import keys
from chiave.store.conditions import (
    ACTIVE_WITH_VERIFIED_PASSWORD,
    ACTIVE_WITHOUT_PASSWORD,
    ITEM_EXISTS,
    ITEM_IS_NEW,
)
from chiave.store.people import person_from, person_update
from chiave.store.schools import school_from
from chiave.store.table import (
    Item,
    Part,
    Refused,
    batch_get,
    commit,
    found,
    from_dynamo,
    table_name,
    to_dynamo,
    update_if,
)


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


def _attribute(school_id: str, codice_fiscale: str, name: str) -> Any:
    """One attribute of a person item, read consistently (None: absent)."""
    answer = dynamodb().get_item(
        TableName=table_name(),
        Key=to_dynamo(keys.person(school_id, codice_fiscale)),
        ProjectionExpression=name,
        ConsistentRead=True,
    )
    return from_dynamo(answer.get("Item", {})).get(name)


def password_hash(school_id: str, codice_fiscale: str) -> str | None:
    """The account's password hash (a confirm given again; chiave.flows.confirm_reset)."""
    value = _attribute(school_id, codice_fiscale, "password_hash")
    return str(value) if value else None


class UserCodeTaken(Exception):
    """The random user code is someone else's: draw another."""


Account = tuple[Person, Credentials]
# What a login nobody has reads instead of a person: the same call, nothing found.
NOBODY = "-"


def credentials_from(item: Item) -> Credentials:
    return Credentials(
        password_hash=item.get("password_hash"),
        password_history=tuple(item.get("password_history", ())),
        pin=StoredPin(item["pin_hash"], item["pin_pepper_version"]) if item.get("pin_hash") else None,
        pin_failures=int(item.get("pin_failures", 0)),
        must_change_password=bool(item.get("must_change_password", False)),
        temporary_code_hash=item.get("temporary_code_hash"),
        temporary_code_expires_at=int(item.get("temporary_code_expires_at", 0)),
        activated_at=int(item["activated_at"]) if "activated_at" in item else None,
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
        Key=to_dynamo(keys.person(school_id, codice_fiscale or NOBODY)),
        ConsistentRead=True,
    )
    if "Item" not in answer:
        return None
    item = from_dynamo(answer["Item"])
    return person_from(item), credentials_from(item)


def get_school_and_account(
    school_id: str, codice_fiscale: str | None
) -> tuple[School | None, Account | None]:
    """The school and one of its accounts, consistently, in one round trip."""
    school_key = keys.school(school_id)
    person_key = keys.person(school_id, codice_fiscale or NOBODY)
    items = batch_get([school_key, person_key])
    school_item, person_item = found(items, school_key), found(items, person_key)
    school = school_from(school_item) if school_item else None
    account = (person_from(person_item), credentials_from(person_item)) if person_item else None
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
    return [(person_from(item), credentials_from(item)) for item in items]


def _verified(verified_hash: str | None) -> str:
    """Active, with the password just verified; an account signed in without one
    (SPID/CIE, in the account area) while it still has none."""
    return ACTIVE_WITH_VERIFIED_PASSWORD if verified_hash else ACTIVE_WITHOUT_PASSWORD


def _verified_values(verified_hash: str | None) -> Item:
    return {":active": "active", **({":verified": verified_hash} if verified_hash else {})}


def _account_update(
    person: Person, verified_hash: str | None, update: str, values: Item, names: dict[str, str] | None = None
) -> dict[str, Any]:
    """A transaction part that changes an active account only while its
    password is still the one just verified (a concurrent change wins)."""
    return {
        "Update": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.person(person.school_id, person.codice_fiscale)),
            "UpdateExpression": update,
            "ConditionExpression": _verified(verified_hash),
            "ExpressionAttributeNames": {"#status": "status", **(names or {})},
            "ExpressionAttributeValues": to_dynamo({**values, **_verified_values(verified_hash)}),
        }
    }


def password_unchanged(person: Person, verified_hash: str | None) -> dict[str, Any]:
    """A transaction part that changes nothing, but holds only while the
    account is active with the password just verified."""
    return {
        "ConditionCheck": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.person(person.school_id, person.codice_fiscale)),
            "ConditionExpression": _verified(verified_hash),
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_dynamo(_verified_values(verified_hash)),
        }
    }


def set_pin(
    person: Person, verified_hash: str | None, pin: StoredPin, rehashed: str | None, now: int
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
    person: Person, verified_hash: str | None, new_hash: str, history: tuple[str, ...], now: int
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
    update_if(
        TableName=table_name(),
        Key=to_dynamo(keys.person(person.school_id, person.codice_fiscale)),
        UpdateExpression=f"SET {attribute} = :new" + (f", {sets}" if sets else ""),
        ConditionExpression=f"{attribute} = :old",
        ExpressionAttributeValues=to_dynamo(
            {":new": new, ":old": old, **{f":{name}": value for name, value in extra.items()}}
        ),
    )


def reserve_pin_attempt(person: Person, pin_hash: str, max_attempts: int) -> int | None:
    """One more attempt counted against this PIN before it is checked, never
    past the maximum (SPEC §6): the count with it, or None when the PIN
    changed or is already locked."""
    answer = update_if(
        TableName=table_name(),
        Key=to_dynamo(keys.person(person.school_id, person.codice_fiscale)),
        UpdateExpression="ADD pin_failures :one",
        ConditionExpression="pin_hash = :pin AND (attribute_not_exists(pin_failures) OR pin_failures < :max)",
        ExpressionAttributeValues=to_dynamo({":one": 1, ":pin": pin_hash, ":max": max_attempts}),
        ReturnValues="UPDATED_NEW",
    )
    return None if answer is None else int(answer["Attributes"]["pin_failures"]["N"])


def release_pin_attempts(person: Person, pin_hash: str, reserved: int) -> None:
    """A right PIN forgets the attempts counted up to its own, only while no
    attempt was counted since (a concurrent guess stays counted, and so does
    this attempt then)."""
    update_if(
        TableName=table_name(),
        Key=to_dynamo(keys.person(person.school_id, person.codice_fiscale)),
        UpdateExpression="SET pin_failures = :zero",
        ConditionExpression="pin_hash = :pin AND pin_failures = :mine",
        ExpressionAttributeValues=to_dynamo({":zero": 0, ":pin": pin_hash, ":mine": reserved}),
    )


# ---- the holder's own contacts and authenticator app (chiave.flows.contacts, .totp) -----


def _opened_for(flow: Flow, update: str, values: Item) -> dict[str, Any]:
    """A transaction part that changes the account a flow was opened for,
    while it is active and no credential was set since (the flow lives)."""
    return person_update(
        flow,
        update,
        "credential_epoch = :epoch AND #status = :active",
        {**values, ":epoch": flow.credential_epoch, ":active": AccountStatus.ACTIVE.value},
        {"#status": "status"},
    )


def still_as_opened(flow: Flow) -> dict[str, Any]:
    """A transaction part that changes nothing, but holds only while the
    account a flow was opened for is active and no credential was set since."""
    update = _opened_for(flow, "", {})["Update"]
    del update["UpdateExpression"]
    return {"ConditionCheck": update}


def change_email(flow: Flow, now: int) -> dict[str, Any]:
    """The address the flow's link proved becomes the account's (login and
    reset by e-mail follow it). Open links die: the old mailbox's too."""
    return _opened_for(
        flow,
        "SET email = :email, email_key = :key, email_verified_at = :now, email_proved = :email, "
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


def remove_totp(person: Person, verified_hash: str | None) -> dict[str, Any]:
    """The account's authenticator app removed: its codes go by SMS again (or the e-mail proves)."""
    return _account_update(person, verified_hash, "REMOVE totp_sealed, totp_last_step, totp_enrolled_at", {})


def use_totp_step(flow: Flow, step: int) -> dict[str, Any]:
    """A transaction part: an app code's time step taken, never twice (nor
    an earlier one), and only while the app is still the flow's."""
    return person_update(
        flow,
        "SET totp_last_step = :step",
        "totp_sealed = :sealed AND totp_last_step < :step",
        {":step": step, ":sealed": flow.totp_sealed},
    )


# ---- ops actions on an account (chiave.jobs.ops) -------------------------------------


def forgive_pin(person: Person) -> dict[str, Any]:
    """A transaction part: the PIN's wrong attempts forgotten (unlock)."""
    return person_update(person, "SET pin_failures = :zero", ITEM_EXISTS, {":zero": 0})


def disable(person: Person) -> dict[str, Any]:
    """A transaction part: the account off, every open link dead (the epoch
    moves on), and the status it had kept for `enable`."""
    return person_update(
        person,
        "SET #status = :disabled, disabled_from = #status, credential_epoch = credential_epoch + :one",
        "#status = :seen",
        {":disabled": AccountStatus.DISABLED.value, ":one": 1, ":seen": person.status.value},
        {"#status": "status"},
    )


def enable(person: Person, restored: AccountStatus) -> dict[str, Any]:
    return person_update(
        person,
        "SET #status = :restored REMOVE disabled_from",
        "#status = :disabled",
        {":restored": restored.value, ":disabled": AccountStatus.DISABLED.value},
        {"#status": "status"},
    )


def disabled_from(school_id: str, codice_fiscale: str) -> AccountStatus | None:
    """The status a disabled account had before (enable restores it)."""
    value = _attribute(school_id, codice_fiscale, "disabled_from")
    return AccountStatus(value) if value else None


def revoke(person: Person) -> dict[str, Any]:
    """A transaction part: every open link dies (the epoch moves on), the PIN
    and the authenticator app are gone."""
    return person_update(
        person,
        "SET credential_epoch = credential_epoch + :one "
        "REMOVE pin_hash, pin_pepper_version, pin_failures, totp_sealed, totp_last_step, totp_enrolled_at",
        ITEM_EXISTS,
        {":one": 1},
    )


def identified(person: Person) -> dict[str, Any]:
    """A transaction part: an account awaiting identification becomes active."""
    return person_update(
        person,
        "SET #status = :active",
        "#status = :awaiting",
        {":active": AccountStatus.ACTIVE.value, ":awaiting": AccountStatus.AWAITING_IDENTIFICATION.value},
        {"#status": "status"},
    )


def signed_in_by_identity(person: Person, user_code: str, profile: str, now: int) -> dict[str, Any]:
    """A transaction part: SPID or CIE signs the account's holder in. The first
    time it activates the account (no password, a user code) and counts as
    identification (an account awaiting it becomes active); an active account
    stays as it is. Refused when the account changed meanwhile (disabled, or
    its status otherwise moved since it was read)."""
    values: Item = {":status": person.status.value, ":active": AccountStatus.ACTIVE.value}
    names = {"#status": "status"}
    if person.status is AccountStatus.ACTIVE:
        return person_update(
            person, "SET last_identity = :profile", "#status = :status", values | {":profile": profile}, names
        )
    update = (
        "SET #status = :active, user_code = :user_code, activated_at = if_not_exists(activated_at, :now), "
        "identified_at = :now, last_identity = :profile"
    )
    values |= {":user_code": user_code, ":now": now, ":profile": profile}
    return person_update(person, update, "#status = :status", values, names)


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
            "ConditionExpression": ITEM_IS_NEW,
        }
    }


def issue_temporary_code(
    person: Person,
    code_hash: str,
    expires_at: int,
    user_code: str,
    audit_entry: Part,
    commit_id: str,
    now: float,
) -> None:
    """The account's temporary code (it replaces any earlier one) and its
    user code, reserved if new, with the audit item and the queued notice's
    receipt, in one transaction; the password must change. Raises
    AccountUnavailable when the account was disabled meanwhile,
    UserCodeTaken when the new user code is someone else's."""
    parts = {"account": _temporary_code(person, code_hash, expires_at, user_code), "audit": audit_entry}
    if user_code != person.user_code:
        parts["user code"] = reserve_user_code(person.school_id, person.codice_fiscale, user_code, int(now))
    try:
        commit(parts, commit_id, now)
    except Refused as refused:
        if "account" in refused:
            raise AccountUnavailable() from None
        if "user code" in refused:
            raise UserCodeTaken() from None
        raise


def _temporary_code(person: Person, code_hash: str, expires_at: int, user_code: str) -> Part:
    return person_update(
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
    return person_update(
        person,
        "SET password_hash = :password, password_set_at = :now, #status = :status, "
        "activated_at = if_not_exists(activated_at, :now), "
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
            "ConditionExpression": ITEM_EXISTS,
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
            "ConditionExpression": ITEM_EXISTS,
            "ExpressionAttributeValues": to_dynamo({":now": now}),
        }
    }


def set_password(
    flow: Flow, password_hash: str, user_code: str, new_status: AccountStatus | None, now: int
) -> Part:
    """A transaction part: the password a link sets, and the user code,
    while nothing was set since the link (the credential epoch): an
    activation also moves a pending account to `new_status`, a reset keeps
    the status of an active account. The account's old item comes back
    when it refuses (a disabled account is told apart)."""
    values: Item = {
        ":hash": password_hash,
        ":now": now,
        ":epoch": flow.credential_epoch,
        ":one": 1,
        ":user_code": user_code,
        ":proved": flow.email,
    }
    # The link reached `flow.email`: that address is proved (email_verified, while it stays).
    update = (
        "SET password_hash = :hash, password_set_at = :now, user_code = :user_code, email_proved = :proved, "
        "activated_at = if_not_exists(activated_at, :now), "
        "credential_epoch = credential_epoch + :one"
    )
    if new_status is None:
        condition = "credential_epoch = :epoch AND #status IN (:active, :awaiting)"
        values |= {":active": "active", ":awaiting": "awaiting_identification"}
    else:
        condition = "credential_epoch = :epoch AND #status = :pending"
        update += ", #status = :new_status"
        values |= {":pending": "pending", ":new_status": new_status.value}
    part = person_update(flow, update, condition, values, {"#status": "status"})
    part["Update"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return part
