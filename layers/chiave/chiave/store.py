"""DynamoDB access for the single table. Keys come from chiave.keys only."""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from chiave import budget, coldstart, faults, keys, ratelimit
from chiave.aws import dynamodb
from chiave.domain import AccountStatus, Challenge, Flow, OtpTerms, Person, Purpose, Role, School
from chiave.errors import AccountUnavailable, RateLimited, RecipientCapped, TokenExpired, TokenUsed
from chiave.faults import ServiceUnavailable
from chiave.observability import count_outcome
from chiave.policy import overrides_of, policy_from_overrides
from chiave.ratelimit import Counter
from chiave.settings import settings

coldstart.on_warm_up(dynamodb)

# Items stay this long after their link expires, so a late click is told
# "expired" rather than "invalid"; correctness never depends on deletion.
FLOW_RETENTION_S = 7 * 24 * 3600
# Transactions on a busy counter (one school's NAT address) may conflict:
# tried again with jittered pauses while the time budget allows.
TRANSACTION_ATTEMPTS = 8
CONFLICT_PAUSE_S = 0.02
CONFLICT_PAUSE_CAP_S = 0.5
# Receipts outlive the queue and its dead-letter queue (4 + 7 days, plus
# TTL's lateness), so a message redriven by ops is still recognised as committed.
RECEIPT_RETENTION_S = 14 * 24 * 3600
COVER_RETENTION_S = 3600

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


def person_records(people: Iterable[Person]) -> Iterator[dict[str, Any]]:
    """Anagrafica rows as table items, in DynamoDB's JSON."""
    for person in people:
        yield _to_dynamo(_person_item(person))


def put_people(people: Iterable[Person]) -> None:
    """Load anagrafica rows (seed, import). Overwrites the rows it is given."""
    batch: list[dict[str, Any]] = []
    for record in person_records(people):
        batch.append({"PutRequest": {"Item": record}})
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
    if item.get("otp_terms"):
        terms = item["otp_terms"]
        values["otp_terms"] = OtpTerms(**{**terms, "allowed_prefixes": tuple(terms["allowed_prefixes"])})
    values["otp_verified"] = bool(item.get("otp_verified", False))
    return Flow(**values)


def _challenge_from(item: Item) -> Challenge | None:
    if "otp_code_hash" not in item:
        return None
    return Challenge(
        code_hash=item["otp_code_hash"],
        pepper_version=item["otp_pepper_version"],
        issued_at=item["otp_issued_at"],
        expires_at=item["otp_expires_at"],
        sends=item["otp_sends"],
        failures=item.get("otp_failures", 0),
        used_at=item.get("otp_used_at"),
    )


def get_flow_challenge_and_switch(token_sha256: str) -> tuple[Flow | None, Challenge | None, bool]:
    """send-otp's one read: the flow, its SMS code, and whether ops let SMS out
    (the switch item; absent: on)."""
    flow_key, switch_key = keys.flow(token_sha256), keys.sms_switch()
    answer = dynamodb().batch_get_item(
        RequestItems={
            _table(): {"Keys": [_to_dynamo(flow_key), _to_dynamo(switch_key)], "ConsistentRead": True}
        }
    )
    if answer.get("UnprocessedKeys"):
        raise ServiceUnavailable(retry_after=1)
    found = {
        (item[keys.PARTITION], item[keys.SORT]): item
        for item in map(_from_dynamo, answer["Responses"].get(_table(), []))
    }
    switch = found.get((switch_key[keys.PARTITION], switch_key[keys.SORT]), {})
    item = found.get((flow_key[keys.PARTITION], flow_key[keys.SORT]))
    enabled = bool(switch.get("sms_enabled", True))
    if item is None:
        return None, None, enabled
    return _flow_from(item), _challenge_from(item), enabled


def set_sms_switch(enabled: bool, changed_by: str, reason: str, now: float) -> None:
    dynamodb().put_item(
        TableName=_table(),
        Item=_to_dynamo(
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


def get_flow_and_challenge(token_sha256: str) -> tuple[Flow | None, Challenge | None]:
    """The flow a token stands for, and its SMS code if one was sent: one read."""
    answer = dynamodb().get_item(
        TableName=_table(), Key=_to_dynamo(keys.flow(token_sha256)), ConsistentRead=True
    )
    if "Item" not in answer:
        return None, None
    item = _from_dynamo(answer["Item"])
    return _flow_from(item), _challenge_from(item)


def get_flow(token_sha256: str) -> Flow | None:
    return get_flow_and_challenge(token_sha256)[0]


def account_state(school_id: str, codice_fiscale: str) -> tuple[int | None, AccountStatus | None]:
    """The account's credential epoch and status (None, None: no such person)."""
    answer = dynamodb().get_item(
        TableName=_table(),
        Key=_to_dynamo(keys.person(school_id, codice_fiscale)),
        ProjectionExpression="credential_epoch, #status",
        ExpressionAttributeNames={"#status": "status"},
        ConsistentRead=True,
    )
    if "Item" not in answer:
        return None, None
    item = _from_dynamo(answer["Item"])
    return int(item.get("credential_epoch", 0)), AccountStatus(item.get("status", AccountStatus.PENDING))


def _counter_update(counter: Counter) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": _table(),
            "Key": _to_dynamo(keys.rate_counter(counter.scope, counter.subject, counter.window_start)),
            "UpdateExpression": "ADD request_count :amount SET #ttl = :delete_after",
            "ConditionExpression": "attribute_not_exists(request_count) OR request_count <= :room",
            "ExpressionAttributeNames": {"#ttl": keys.TTL_ATTRIBUTE},
            "ExpressionAttributeValues": _to_dynamo(
                {
                    ":amount": counter.amount,
                    ":room": counter.limit - counter.amount,
                    ":delete_after": counter.window_end + 3600,
                }
            ),
        }
    }


def _reasons(error: ClientError) -> list[str]:
    return [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]


def _cancelled(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "TransactionCanceledException"


def _transact(items: list[dict[str, Any]]) -> None:
    """TransactWriteItems, tried again while it only loses races with other
    transactions (a busy counter: one school's NAT at a parents' evening)
    and the time budget allows; then 503, never 500."""
    for attempt in range(TRANSACTION_ATTEMPTS):
        try:
            dynamodb().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
            return
        except ClientError as error:
            if not (_cancelled(error) and "TransactionConflict" in _reasons(error)):
                raise
        # Full jitter: concurrent requests spread out instead of colliding again.
        pause = random.uniform(0, min(CONFLICT_PAUSE_CAP_S, CONFLICT_PAUSE_S * 2**attempt))  # noqa: S311
        if not budget.allows(pause + budget.ATTEMPT_S):
            break
        time.sleep(pause)
    count_outcome("store", "conflicts_exhausted")
    raise ServiceUnavailable(retry_after=1)


def _receipt(commit_id: str, now: float) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": _table(),
            "Item": _to_dynamo(
                {
                    **keys.commit_receipt(commit_id),
                    "entity": "commit",
                    keys.TTL_ATTRIBUTE: int(now) + RECEIPT_RETENTION_S,
                }
            ),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def commit_landed(commit_id: str) -> bool:
    answer = dynamodb().get_item(
        TableName=_table(),
        Key=_to_dynamo(keys.commit_receipt(commit_id)),
        ProjectionExpression=keys.PARTITION,
        ConsistentRead=True,
    )
    return "Item" in answer


def _commit(items: list[dict[str, Any]], commit_id: str, now: float) -> None:
    """One transaction with the receipt of `commit_id` (chiave.notify.outbox).

    When the answer is lost (a timeout, a 5xx after botocore's retries, which
    reuse one ClientRequestToken and so cannot apply twice), the receipt says
    whether the transaction landed: a request whose effect happened is never
    answered 503."""
    try:
        _transact([*items, _receipt(commit_id, now)])
    except (ClientError, BotoCoreError) as error:
        if not faults.is_ambiguous(error):
            raise
        try:
            landed = commit_landed(commit_id)
        except (ClientError, BotoCoreError):
            raise error from None
        if not landed:
            raise
        count_outcome("store", "ambiguous_commit_landed")


def _flow_put(flow: Flow, cover: bool) -> dict[str, Any]:
    item = _flow_item(flow)
    if cover:
        # The same size as a flow, under a key no token leads to; gone within the hour.
        item |= keys.cover(flow.token_sha256)
        item["entity"] = "cover"
        item[keys.TTL_ATTRIBUTE] = int(flow.created_at) + COVER_RETENTION_S
        item["expiry_bucket"] = "-" * len(item["expiry_bucket"])  # an hour the sweep never reads
    return {
        "Put": {
            "TableName": _table(),
            "Item": _to_dynamo(item),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def count_requests_and_open_flows(
    counters: Sequence[Counter], flows: Sequence[Flow], covers: Sequence[Flow], commit_id: str, now: float
) -> None:
    """Count the request against every limit and store the new links, atomically,
    with the receipt of the commit the queued message announces: a request
    over a limit opens nothing. `covers` are written where a request for
    nobody would have written links, so every request writes the same.

    Raises RateLimited for the request's own limits, RecipientCapped when only
    a recipient's cap refused it."""
    items = [_counter_update(counter) for counter in counters]
    items += [_flow_put(flow, cover=False) for flow in flows]
    items += [_flow_put(flow, cover=True) for flow in covers]
    try:
        _commit(items, commit_id, now)
    except ClientError as error:
        if not _cancelled(error):
            raise
        exceeded = [
            counter
            for counter, reason in zip(counters, _reasons(error), strict=False)
            if reason == "ConditionalCheckFailed"
        ]
        if not exceeded:
            raise
        retry_after = max(counter.retry_after(now) for counter in exceeded)
        if all(counter.scope == ratelimit.RECIPIENT_SCOPE for counter in exceeded):
            raise RecipientCapped(retry_after=retry_after) from None
        raise RateLimited(retry_after=retry_after) from None


# ---- SMS codes (on the flow item: one read serves send-otp and verify-otp) -------------


def send_code(
    flow: Flow,
    challenge: Challenge,
    expected_sends: int,
    counters: Sequence[Counter],
    commit_id: str,
    now: float,
) -> None:
    """Store the flow's new code (replacing any other) and count the SMS
    against every cap, atomically, with the queued message's receipt. A
    concurrent send of the same flow, or one past the flow's end, loses.

    Raises RateLimited for a cap, OtpNotNeeded when the flow moved on."""
    update = {
        "Update": {
            "TableName": _table(),
            "Key": _to_dynamo(keys.flow(flow.token_sha256)),
            "UpdateExpression": "SET otp_code_hash = :hash, otp_pepper_version = :version, "
            "otp_issued_at = :now, otp_expires_at = :expires, otp_sends = :sends, otp_failures = :failures "
            "REMOVE otp_used_at",
            "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(used_at) "
            "AND otp_verified = :false AND "
            "(otp_sends = :expected OR (attribute_not_exists(otp_sends) AND :expected = :zero))",
            "ExpressionAttributeValues": _to_dynamo(
                {
                    ":hash": challenge.code_hash,
                    ":version": challenge.pepper_version,
                    ":now": challenge.issued_at,
                    ":expires": challenge.expires_at,
                    ":sends": challenge.sends,
                    ":failures": challenge.failures,
                    ":false": False,
                    ":expected": expected_sends,
                    ":zero": 0,
                }
            ),
        }
    }
    # A password set since the link was issued has killed it: no SMS for a dead link.
    still_live = {
        "ConditionCheck": {
            "TableName": _table(),
            "Key": _to_dynamo(keys.person(flow.school_id, flow.codice_fiscale)),
            "ConditionExpression": "credential_epoch = :epoch",
            "ExpressionAttributeValues": _to_dynamo({":epoch": flow.credential_epoch}),
        }
    }
    try:
        _commit([update, still_live, *(_counter_update(counter) for counter in counters)], commit_id, now)
    except ClientError as error:
        if not _cancelled(error):
            raise
        reasons = _reasons(error)
        exceeded = [
            counter
            for counter, reason in zip(counters, reasons[2:], strict=False)
            if reason == "ConditionalCheckFailed"
        ]
        if exceeded:
            raise RateLimited(retry_after=max(counter.retry_after(now) for counter in exceeded)) from None
        if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
            raise TokenUsed() from None
        if reasons and reasons[0] == "ConditionalCheckFailed":
            # Another send of this flow won the race, or the flow was used or verified meanwhile.
            cooldown = flow.otp_terms.resend_cooldown_s if flow.otp_terms else 1
            raise RateLimited(retry_after=max(1, cooldown)) from None
        raise


def count_code_failure(flow: Flow, challenge: Challenge, max_attempts: int) -> int | None:
    """One more wrong code against this code, never past `max_attempts`;
    the new count, or None when the code changed, was used or is locked."""
    try:
        answer = dynamodb().update_item(
            TableName=_table(),
            Key=_to_dynamo(keys.flow(flow.token_sha256)),
            UpdateExpression="ADD otp_failures :one",
            ConditionExpression="otp_code_hash = :hash AND otp_failures < :max "
            "AND attribute_not_exists(otp_used_at)",
            ExpressionAttributeValues=_to_dynamo(
                {":one": 1, ":hash": challenge.code_hash, ":max": max_attempts}
            ),
            ReturnValues="UPDATED_NEW",
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return None
        raise
    return int(answer["Attributes"]["otp_failures"]["N"])


def mark_verified(flow: Flow, challenge: Challenge, max_attempts: int, now: int) -> bool:
    """Burn the code and mark the flow verified, if the code is still the
    flow's, unused, unlocked and alive, and the flow unused: at most one
    verification ever succeeds. False when it lost."""
    try:
        dynamodb().update_item(
            TableName=_table(),
            Key=_to_dynamo(keys.flow(flow.token_sha256)),
            UpdateExpression="SET otp_used_at = :now, otp_verified = :true",
            ConditionExpression="otp_code_hash = :hash AND otp_failures < :max "
            "AND attribute_not_exists(otp_used_at) AND otp_expires_at > :now "
            "AND attribute_not_exists(used_at)",
            ExpressionAttributeValues=_to_dynamo(
                {":now": now, ":true": True, ":hash": challenge.code_hash, ":max": max_attempts}
            ),
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


class UserCodeTaken(Exception):
    """The random user code is someone else's: draw another."""


def complete_flow(
    flow: Flow,
    password_hash: str,
    user_code: str,
    new_status: AccountStatus | None,
    commit_id: str,
    now: int,
) -> None:
    """Set the password and consume the link in one transaction. Every other
    open link of the account dies with it: the credential epoch moves on.
    The link keeps the answer it gave (user code, status), so a client that
    lost it can be given it again (chiave.flows.confirm)."""
    status = (new_status or flow.account_status).value
    person_key = _to_dynamo(keys.person(flow.school_id, flow.codice_fiscale))
    consume_flow = {
        "Update": {
            "TableName": _table(),
            "Key": _to_dynamo(keys.flow(flow.token_sha256)),
            "UpdateExpression": "SET used_at = :now, completed_user_code = :code, completed_status = :status",
            "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(used_at) "
            "AND expires_at > :now",
            "ExpressionAttributeValues": _to_dynamo({":now": now, ":code": user_code, ":status": status}),
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
        _commit(items, commit_id, now)
    except ClientError as error:
        if not _cancelled(error):
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


def password_hash(school_id: str, codice_fiscale: str) -> str | None:
    """The account's password hash (a confirm given again; chiave.flows.confirm)."""
    answer = dynamodb().get_item(
        TableName=_table(),
        Key=_to_dynamo(keys.person(school_id, codice_fiscale)),
        ProjectionExpression="password_hash",
        ConsistentRead=True,
    )
    value = _from_dynamo(answer.get("Item", {})).get("password_hash")
    return str(value) if value else None
