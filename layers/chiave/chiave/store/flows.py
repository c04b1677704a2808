"""Flow items (what an e-mailed link stands for), the covers a request for
nobody writes instead, and the transaction that completes a flow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from chiave import ratelimit
from chiave.domain import AccountStatus, Challenge, Flow, OtpTerms, Person, Purpose
from chiave.errors import (
    AccountUnavailable,
    RateLimited,
    RecipientCapped,
    TokenExpired,
    TokenSuperseded,
    TokenUsed,
)
from chiave.policy import DEFAULT_AUDIT_RETENTION_DAYS
from chiave.ratelimit import Counter
from chiave.runtime.aws import dynamodb
from chiave.store import accounts, challenges, keys, people, schools
from chiave.store.conditions import CODE_ATTEMPTS_LEFT, ITEM_IS_NEW, LINK_STILL_OPEN
from chiave.store.table import (
    Item,
    Part,
    Refused,
    batch_get,
    commit,
    commit_or_transact,
    counted,
    delete,
    found,
    from_dynamo,
    key_of,
    numbered,
    over_limit,
    query_all,
    table_name,
    to_dynamo,
)

FLOW_RETENTION_S = 7 * 24 * 3600
COVER_RETENTION_S = 3600


def _flow_item(flow: Flow) -> Item:
    item: Item = {**keys.flow(flow.token_sha256), "entity": "flow", **asdict(flow)}
    item["purpose"] = flow.purpose.value
    item["account_status"] = flow.account_status.value
    # Not `user_code`: that name is the ByUserCode index key, for people only.
    item["account_user_code"] = item.pop("user_code")
    item["expiry_bucket"] = keys.expiry_bucket(flow.expires_at)
    item["account_ref"] = keys.account_ref(flow.school_id, flow.codice_fiscale)
    item[keys.TTL_ATTRIBUTE] = flow.expires_at + FLOW_RETENTION_S
    return item


_FLOW_FIELDS = tuple(Flow.__dataclass_fields__)


def flow_from(item: Item) -> Flow:
    values: dict[str, Any] = {name: item.get(name) for name in _FLOW_FIELDS}
    values["user_code"] = item.get("account_user_code")
    values["purpose"] = Purpose(item["purpose"])
    values["account_status"] = AccountStatus(item["account_status"])
    if item.get("otp_terms"):
        terms = item["otp_terms"]
        values["otp_terms"] = OtpTerms(**{**terms, "allowed_prefixes": tuple(terms["allowed_prefixes"])})
    values["otp_verified"] = bool(item.get("otp_verified", False))
    values["otp_failures"] = int(item.get("otp_failures", 0))
    # Links issued before audit items existed keep the default retention.
    values["audit_retention_days"] = item.get("audit_retention_days") or DEFAULT_AUDIT_RETENTION_DAYS
    return Flow(**values)


def get_flow_challenge_and_switch(token_sha256: str) -> tuple[Flow | None, Challenge | None, bool]:
    """send-otp's one read: the flow, its SMS code, and whether ops let SMS out
    (the switch item; absent: on)."""
    flow_key = keys.flow(token_sha256)
    items = batch_get([flow_key, keys.sms_switch()])
    enabled = schools.sms_switch_on(found(items, keys.sms_switch()))
    item = found(items, flow_key)
    if item is None:
        return None, None, enabled
    return flow_from(item), challenges.challenge_from(item), enabled


def get_flow_and_challenge(token_sha256: str) -> tuple[Flow | None, Challenge | None]:
    """The flow a token stands for, and its SMS code if one was sent: one read."""
    answer = dynamodb().get_item(
        TableName=table_name(), Key=to_dynamo(keys.flow(token_sha256)), ConsistentRead=True
    )
    if "Item" not in answer:
        return None, None
    item = from_dynamo(answer["Item"])
    return flow_from(item), challenges.challenge_from(item)


def get_flow(token_sha256: str) -> Flow | None:
    return get_flow_and_challenge(token_sha256)[0]


def _flow_put(flow: Flow, cover: bool, challenge: Challenge | None = None) -> dict[str, Any]:
    item = _flow_item(flow)
    if challenge is not None:
        item |= challenges.attributes(challenge)
    if cover:
        # The same size as a flow, under a key no token leads to; gone within the hour.
        item |= keys.cover(flow.token_sha256)
        item["entity"] = "cover"
        item[keys.TTL_ATTRIBUTE] = int(flow.created_at) + COVER_RETENTION_S
        item["expiry_bucket"] = "-" * len(item["expiry_bucket"])  # an hour the sweep never reads
        # Nobody's account: an attribute of the same size, outside the ByAccount index.
        item["account_nil"] = "-" * len(item.pop("account_ref"))
    return {
        "Put": {
            "TableName": table_name(),
            "Item": to_dynamo(item),
            "ConditionExpression": ITEM_IS_NEW,
        }
    }


def put(flow: Flow, challenge: Challenge | None = None) -> Part:
    """A transaction part that stores a new flow (with its first SMS code)."""
    return _flow_put(flow, cover=False, challenge=challenge)


def consume(flow: Flow, now: int, max_failures: int | None = None, answer: Item | None = None) -> Part:
    """A transaction part that uses a flow up, once, while it is still open:
    once verified when it needs a code, and before `max_failures` wrong app
    codes. `answer`: what the flow keeps of its outcome, to give it again."""
    condition = LINK_STILL_OPEN
    update = "SET used_at = :now"
    values: Item = {":now": now}
    if flow.otp_required:
        condition += " AND otp_verified = :true"
        values[":true"] = True
    if max_failures is not None:
        condition += f" AND {CODE_ATTEMPTS_LEFT}"
        values[":max"] = max_failures
    for name, value in (answer or {}).items():
        update += f", {name} = :{name}"
        values[f":{name}"] = value
    return {
        "Update": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.flow(flow.token_sha256)),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": to_dynamo(values),
        }
    }


def _link_gone(flow: Flow, now: int) -> TokenExpired | TokenUsed:
    return TokenExpired() if flow.is_expired(now) else TokenUsed()


def finish(
    flow: Flow,
    account_change: Part,
    others: Sequence[Part],
    commit_id: str | None,
    now: int,
    max_failures: int | None = None,
) -> None:
    """Use a flow up and make its change to the account, in one transaction
    (with the queued notice's receipt, if any). Raises TokenExpired or
    TokenUsed when the flow moved on, TokenSuperseded when the account it was
    opened for did (another contact change, a new password)."""
    parts = {"link": consume(flow, now, max_failures), "account": account_change, **numbered("other", others)}
    try:
        commit_or_transact(parts, commit_id, now)
    except Refused as refused:
        if "link" in refused:
            raise _link_gone(flow, now) from None
        if "account" in refused:
            raise TokenSuperseded() from None
        raise


def count_requests_and_open_flows(
    counters: Sequence[Counter], flows: Sequence[Flow], covers: Sequence[Flow], commit_id: str, now: float
) -> None:
    """Count the request against every limit and store the new links, atomically,
    with the receipt of the commit the queued message announces: a request
    over a limit opens nothing. `covers` are written where a request for
    nobody would have written links, so every request writes the same.

    Raises RateLimited for the request's own limits, RecipientCapped when only
    a recipient's cap refused it."""
    parts = {
        **counted(counters),
        **numbered("link", (_flow_put(flow, cover=False) for flow in flows)),
        **numbered("cover", (_flow_put(flow, cover=True) for flow in covers)),
    }
    try:
        commit(parts, commit_id, now)
    except Refused as refused:
        exceeded = over_limit(counters, refused)
        if not exceeded:
            raise
        retry_after = max(counter.retry_after(now) for counter in exceeded)
        if all(counter.scope == ratelimit.RECIPIENT_SCOPE for counter in exceeded):
            raise RecipientCapped(retry_after=retry_after) from None
        raise RateLimited(retry_after=retry_after) from None


def complete_flow(
    flow: Flow,
    password_hash: str,
    user_code: str,
    new_status: AccountStatus | None,
    audit_entry: Part,
    commit_id: str,
    now: int,
    confirmation_key: str | None = None,
    signed_in: list[Part] | None = None,
) -> None:
    """Set the password and consume the link in one transaction, with its
    audit item (chiave.store.audit), and, for a reset asked from the sign-in
    page, `signed_in`: the register's request answered (session, code, audit). Every other
    open link of the account dies with it: the credential epoch moves on.
    The link keeps the answer it gave (user code, status), so a client that
    lost it can be given it again (chiave.flows.confirm_reset), when it
    sends the digest `confirmation_key` of the first request again.

    Raises TokenExpired or TokenUsed when the link, or the account's
    credentials, moved on; AccountUnavailable when the account was disabled;
    UserCodeTaken when the new user code is someone else's."""
    status = (new_status or flow.account_status).value
    answer = {"completed_user_code": user_code, "completed_status": status}
    if confirmation_key is not None:
        answer["completed_key"] = confirmation_key
    parts: dict[str, Part] = {
        "link": consume(flow, now, answer=answer),
        "account": accounts.set_password(flow, password_hash, user_code, new_status, now),
    }
    if user_code != flow.user_code:
        parts["user code"] = accounts.reserve_user_code(flow.school_id, flow.codice_fiscale, user_code, now)
    parts["audit"] = audit_entry
    logins = [keys.login(flow.school_id, login) for login in (user_code, flow.email) if login]
    logins.append(keys.account_login(flow.school_id, flow.codice_fiscale))
    parts |= numbered("login", map(delete, logins))
    parts |= numbered("sign-in", signed_in or [])
    try:
        commit(parts, commit_id, now)
    except Refused as refused:
        if "link" in refused:
            raise _link_gone(flow, now) from None
        if "account" in refused:
            old = refused.old("account")
            if old and old.get("status") == AccountStatus.DISABLED.value:
                raise AccountUnavailable() from None
            raise TokenUsed() from None  # superseded: a credential was set since this link
        if "user code" in refused:
            raise accounts.UserCodeTaken() from None
        if refused.any_of(name for name in parts if name.startswith("sign-in")):
            raise SignInAnswered() from None
        raise


class SignInAnswered(Exception):
    """The register's request a reset carried was answered meanwhile (another tab): set the
    password without it."""


def open_invitation(
    person: Person, not_since: int, flow: Flow, audit_entry: Part, commit_id: str, now: float
) -> bool:
    """The person invited with a new activation link, with its audit item and
    the queued mail's receipt, in one transaction; False when the person
    was invited, activated or given a new address meanwhile."""
    parts = {
        "person": people.mark_invited(person, not_since, int(now)),
        "link": put(flow),
        "audit": audit_entry,
    }
    try:
        commit(parts, commit_id, now)
    except Refused:
        return False
    return True


def keys_of_account(school_id: str, codice_fiscale: str) -> list[dict[str, str]]:
    """The keys of every flow an account still has (erase deletes them)."""
    request = {
        "TableName": table_name(),
        "IndexName": keys.BY_ACCOUNT,
        "KeyConditionExpression": "account_ref = :ref",
        "ExpressionAttributeValues": {":ref": {"S": keys.account_ref(school_id, codice_fiscale)}},
    }
    return [key_of(item) for item in query_all(request)]
