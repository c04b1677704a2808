"""What the sign-in grants, each kept under the SHA-256 of its secret and
gone with its TTL: a register's authorization request while the person signs
in, the browser's session, the authorization code, the access token."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from chiave.domain import AuthorizationCode, AuthorizationRequest, Person, School, SignedIn
from chiave.runtime.aws import dynamodb
from chiave.store import flows, keys, people, schools
from chiave.store.conditions import ITEM_IS_NEW
from chiave.store.table import (
    Item,
    Part,
    Refused,
    batch_get,
    delete,
    from_dynamo,
    table_name,
    to_dynamo,
    transact,
    write_batch,
)
from chiave.store.table import found as found_item

# TTL deletes within a few days; reads check the time themselves.
_PAST_ITS_END = "attribute_exists(PK) AND expires_at > :now"


def _get(key: keys.Key) -> Item | None:
    answer = dynamodb().get_item(TableName=table_name(), Key=to_dynamo(key), ConsistentRead=True)
    return from_dynamo(answer["Item"]) if "Item" in answer else None


def _put(item: Item) -> Part:
    return {"Put": {"TableName": table_name(), "Item": to_dynamo(item), "ConditionExpression": ITEM_IS_NEW}}


def _signed_in_item(signed_in: SignedIn) -> Item:
    return {
        "school_id": signed_in.school_id,
        "codice_fiscale": signed_in.codice_fiscale,
        "auth_time": signed_in.auth_time,
        "acr": signed_in.acr,
        "amr": list(signed_in.amr),
        "sid": signed_in.session_id,
    }


def _signed_in_from(item: Item) -> SignedIn:
    return SignedIn(
        school_id=item["school_id"],
        codice_fiscale=item["codice_fiscale"],
        auth_time=int(item["auth_time"]),
        acr=item["acr"],
        amr=tuple(item["amr"]),
        session_id=item["sid"],
    )


# ---- the authorization request ------------------------------------------------------


def put_request(request: AuthorizationRequest) -> None:
    item = {
        **keys.authorization_request(request.id_sha256),
        "entity": "authorization_request",
        "client_id": request.client_id,
        "redirect_uri": request.redirect_uri,
        "scopes": list(request.scopes),
        "code_challenge": request.code_challenge,
        "acr_values": list(request.acr_values),
        "expires_at": request.expires_at,
        keys.TTL_ATTRIBUTE: request.expires_at,
    }
    optional = {
        "state": request.state,
        "nonce": request.nonce,
        "school_id": request.school_id,
        "login_hint": request.login_hint,
    }
    item |= {name: value for name, value in optional.items() if value is not None}
    transact({"request": _put(item)})


def get_request(id_sha256: str, now: float) -> AuthorizationRequest | None:
    item = _get(keys.authorization_request(id_sha256))
    if item is None or int(item["expires_at"]) <= now:
        return None
    return AuthorizationRequest(
        id_sha256=id_sha256,
        client_id=item["client_id"],
        redirect_uri=item["redirect_uri"],
        scopes=tuple(item["scopes"]),
        state=item.get("state"),
        nonce=item.get("nonce"),
        code_challenge=item["code_challenge"],
        school_id=item.get("school_id"),
        acr_values=tuple(item.get("acr_values", ())),
        login_hint=item.get("login_hint"),
        expires_at=int(item["expires_at"]),
    )


def request_answered(request: AuthorizationRequest, now: float) -> Part:
    """A transaction part: the request is answered once, while it is open."""
    return {
        "Delete": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.authorization_request(request.id_sha256)),
            "ConditionExpression": _PAST_ITS_END,
            "ExpressionAttributeValues": to_dynamo({":now": int(now)}),
        }
    }


# ---- the session ------------------------------------------------------------------------


def put_session(
    cookie_sha256: str, signed_in: SignedIn, expires_at: int, idle_until: int, client_id: str
) -> Part:
    item = {
        **keys.session(cookie_sha256),
        "entity": "session",
        # Found by the account's index: disabling, revoking or erasing it ends the session.
        "account_ref": keys.account_ref(signed_in.school_id, signed_in.codice_fiscale),
        **_signed_in_item(signed_in),
        # The registers it signed into: each is told when it ends (back-channel logout).
        "clients": {client_id},
        "expires_at": expires_at,
        "idle_until": idle_until,
        keys.TTL_ATTRIBUTE: expires_at,
    }
    return _put(item)


def session_used(cookie_sha256: str, idle_until: int, client_id: str, now: float) -> Part:
    """A transaction part: the session, still alive, stays so until `idle_until`,
    and remembers it signed into `client_id`."""
    return {
        "Update": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.session(cookie_sha256)),
            "UpdateExpression": "SET idle_until = :until ADD clients :client",
            "ConditionExpression": f"{_PAST_ITS_END} AND idle_until > :now",
            "ExpressionAttributeValues": to_dynamo(
                {":until": idle_until, ":now": int(now), ":client": {client_id}}
            ),
        }
    }


def session_signed_in_again(
    key: keys.Key, signed_in: SignedIn, expires_at: int, idle_until: int, client_id: str, now: float
) -> Part:
    """A transaction part: the live session signed in again by its person (a
    fresh authentication): how and when, its lifetime from now; its sid kept."""
    return {
        "Update": {
            "TableName": table_name(),
            "Key": to_dynamo(key),
            "UpdateExpression": "SET auth_time = :auth_time, acr = :acr, amr = :amr, expires_at = :until, "
            "idle_until = :idle, #ttl = :until ADD clients :client",
            "ConditionExpression": f"{_PAST_ITS_END} AND idle_until > :now AND sid = :sid",
            "ExpressionAttributeNames": {"#ttl": keys.TTL_ATTRIBUTE},
            "ExpressionAttributeValues": to_dynamo(
                {
                    ":auth_time": signed_in.auth_time,
                    ":acr": signed_in.acr,
                    ":amr": list(signed_in.amr),
                    ":until": expires_at,
                    ":idle": idle_until,
                    ":client": {client_id},
                    ":now": int(now),
                    ":sid": signed_in.session_id,
                }
            ),
        }
    }


def session_holds(cookie_sha256: str, since: int, now: float) -> Part:
    """A transaction part: the session is alive, signed in at `since` or later."""
    return {
        "ConditionCheck": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.session(cookie_sha256)),
            "ConditionExpression": f"{_PAST_ITS_END} AND idle_until > :now AND auth_time >= :since",
            "ExpressionAttributeValues": to_dynamo({":now": int(now), ":since": since}),
        }
    }


@dataclass(frozen=True)
class Session:
    """A live session as the account area lists it, and what its end tells."""

    key: keys.Key
    signed_in: SignedIn
    clients: tuple[str, ...]

    @property
    def logouts(self) -> list[tuple[str, str]]:
        """(client, sid) for each register it signed into."""
        return [(client, self.signed_in.session_id) for client in self.clients]


def _session_from(key: keys.Key, item: Item) -> Session:
    return Session(key, _signed_in_from(item), tuple(sorted(item.get("clients", ()))))


def _alive(item: Item | None, now: float) -> bool:
    return item is not None and int(item["expires_at"]) > now and int(item["idle_until"]) > now


def get_session(cookie_sha256: str, now: float) -> SignedIn | None:
    """The session, unless it ended, reached its end or was left idle too long."""
    found = get_live_session(cookie_sha256, now)
    return None if found is None else found.signed_in


def get_live_session(cookie_sha256: str, now: float) -> Session | None:
    """The session with the registers it signed into, unless it ended (as get_session)."""
    key = keys.session(cookie_sha256)
    item = _get(key)
    return _session_from(key, item) if item is not None and _alive(item, now) else None


def sessions_among(account_items: list[keys.Key], now: float) -> list[Session]:
    """Of an account's items, its sessions still alive, read (one BatchGetItem per hundred)."""
    wanted = [key for key in account_items if keys.is_session(key)]
    found = batch_get(wanted) if wanted else {}
    return [
        _session_from(key, item)
        for key in wanted
        if (item := found_item(found, key)) is not None and _alive(item, now)
    ]


def sessions_of_account(school_id: str, codice_fiscale: str, now: float) -> list[Session]:
    return sessions_among(flows.keys_of_account(school_id, codice_fiscale), now)


def session_ended(key: keys.Key) -> Part:
    return delete(key)


# ---- the authorization code and the access token ---------------------------------------


def put_code(code: AuthorizationCode) -> Part:
    item = {
        **keys.authorization_code(code.code_sha256),
        "entity": "authorization_code",
        "client_id": code.client_id,
        "redirect_uri": code.redirect_uri,
        "scopes": list(code.scopes),
        "code_challenge": code.code_challenge,
        **_signed_in_item(code.signed_in),
        "expires_at": code.expires_at,
        keys.TTL_ATTRIBUTE: code.expires_at + 86_400,  # kept a day: a code replayed later is recognised
    }
    if code.nonce is not None:
        item["nonce"] = code.nonce
    return _put(item)


def get_code(code_sha256: str) -> AuthorizationCode | None:
    item = _get(keys.authorization_code(code_sha256))
    if item is None:
        return None
    return AuthorizationCode(
        code_sha256=code_sha256,
        client_id=item["client_id"],
        redirect_uri=item["redirect_uri"],
        scopes=tuple(item["scopes"]),
        nonce=item.get("nonce"),
        code_challenge=item["code_challenge"],
        signed_in=_signed_in_from(item),
        expires_at=int(item["expires_at"]),
        used_at=int(item["used_at"]) if "used_at" in item else None,
    )


def code_taken(code_sha256: str, now: float) -> Part:
    """A transaction part: a code used up, once, while it is valid (the account area's own)."""
    return {
        "Update": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.authorization_code(code_sha256)),
            "UpdateExpression": "SET used_at = :now",
            "ConditionExpression": "attribute_not_exists(used_at) AND expires_at > :now",
            "ExpressionAttributeValues": to_dynamo({":now": int(now)}),
        }
    }


class CodeUsed(Exception):
    """The code was exchanged already (or expired meanwhile)."""


class RefreshRefused(Exception):
    """The refresh token was used already, or its family was revoked or ended."""


def _token_items(
    grant: Item, access_sha256: str, refresh_sha256: str, access_until: int, refresh_until: int
) -> dict[str, Part]:
    access = {
        **keys.access_token(access_sha256),
        "entity": "access_token",
        **grant,
        "expires_at": access_until,
        keys.TTL_ATTRIBUTE: access_until,
    }
    refresh = {
        **keys.refresh_token(refresh_sha256),
        "entity": "refresh_token",
        **grant,
        "expires_at": refresh_until,
        keys.TTL_ATTRIBUTE: refresh_until + 86_400,  # kept a day: a reuse is recognised
    }
    return {"access": _put(access), "refresh": _put(refresh)}


def exchange(
    code: AuthorizationCode,
    grant: Item,
    tokens: tuple[str, str],
    lifetimes: tuple[int, int, int],
    now: float,
) -> None:
    """The code used up, once, while it is valid; its token family, access
    token and refresh token stored; in one transaction. The code remembers
    its family, so a second presentation revokes what the first issued.
    `tokens`: the access and refresh tokens' hashes; `lifetimes`: when the
    access token, the refresh token and the family end. Raises CodeUsed."""
    moment = int(now)
    access_until, refresh_until, family_until = lifetimes
    use: Part = {
        "Update": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.authorization_code(code.code_sha256)),
            "UpdateExpression": "SET used_at = :now, family_id = :family",
            "ConditionExpression": "attribute_not_exists(used_at) AND expires_at > :now",
            "ExpressionAttributeValues": to_dynamo({":now": moment, ":family": grant["family"]}),
        }
    }
    family = {
        **keys.token_family(grant["family"]),
        "entity": "token_family",
        # Found by the account's index: disabling, revoking or erasing it ends the family.
        "account_ref": keys.account_ref(grant["school_id"], grant["codice_fiscale"]),
        "client_id": grant["client_id"],
        "revoked": False,
        "expires_at": family_until,
        keys.TTL_ATTRIBUTE: family_until + 86_400,
    }
    parts = {"code": use, "family": _put(family), **_token_items(grant, *tokens, access_until, refresh_until)}
    try:
        transact(parts)
    except Refused as refused:
        if "code" in refused:
            raise CodeUsed() from None
        raise


def rotate(
    old_refresh_sha256: str, grant: Item, tokens: tuple[str, str], lifetimes: tuple[int, int], now: float
) -> None:
    """The refresh token used up, once, while its family lives; the new
    access and refresh tokens stored; in one transaction. Raises RefreshRefused."""
    moment = int(now)
    values = to_dynamo({":now": moment, ":false": False})
    use: Part = {
        "Update": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.refresh_token(old_refresh_sha256)),
            "UpdateExpression": "SET used_at = :now",
            "ConditionExpression": "attribute_not_exists(used_at) AND expires_at > :now",
            "ExpressionAttributeValues": to_dynamo({":now": moment}),
        }
    }
    family_lives: Part = {
        "ConditionCheck": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.token_family(grant["family"])),
            "ConditionExpression": "revoked = :false AND expires_at > :now",
            "ExpressionAttributeValues": values,
        }
    }
    try:
        transact({"rotated": use, "family": family_lives, **_token_items(grant, *tokens, *lifetimes)})
    except Refused as refused:
        if "rotated" in refused or "family" in refused:
            raise RefreshRefused() from None
        raise


def revoke_family(family_id: str) -> None:
    """Every token of the family stops working (a code or refresh token replayed, a revocation)."""
    try:
        dynamodb().update_item(
            TableName=table_name(),
            Key=to_dynamo(keys.token_family(family_id)),
            UpdateExpression="SET revoked = :true",
            ConditionExpression="attribute_exists(PK)",
            ExpressionAttributeValues=to_dynamo({":true": True}),
        )
    except dynamodb().exceptions.ConditionalCheckFailedException:
        pass  # nothing was issued under it


def revoke_what_the_code_issued(code_sha256: str) -> None:
    """A code presented twice: what its first exchange issued is revoked (RFC 6749 §4.1.2)."""
    item = _get(keys.authorization_code(code_sha256))
    if item and item.get("family_id"):
        revoke_family(item["family_id"])


class AssertionReplayed(Exception):
    """A client assertion's jti seen before (RFC 7523 §3, item 7)."""


def remember_assertion(client_id: str, jti: str, expires_at: int) -> None:
    """A client assertion's jti, kept until it expires: used once."""
    item = {
        **keys.client_assertion(client_id, hashlib.sha256(jti.encode("utf-8")).hexdigest()),
        "entity": "client_assertion",
        "expires_at": expires_at,
        keys.TTL_ATTRIBUTE: expires_at + 3600,
    }
    try:
        transact({"assertion": _put(item)})
    except Refused:
        raise AssertionReplayed() from None


def get_refresh_token(token_sha256: str) -> Item | None:
    return _get(keys.refresh_token(token_sha256))


def get_access_token(token_sha256: str, now: float) -> Item | None:
    item = _get(keys.access_token(token_sha256))
    if item is None or int(item["expires_at"]) <= now:
        return None
    return item


def delete_access_token(token_sha256: str) -> None:
    dynamodb().delete_item(TableName=table_name(), Key=to_dynamo(keys.access_token(token_sha256)))


def holder_of(grant: Item, now: float) -> tuple[Person, School] | None:
    """The person and school a live token family stands for, in one read;
    None when the family was revoked or ended, or either is gone."""
    wanted = [
        keys.token_family(grant["family"]),
        keys.person(grant["school_id"], grant["codice_fiscale"]),
        keys.school(grant["school_id"]),
    ]
    found = batch_get(wanted)
    family, person, school = (found_item(found, key) for key in wanted)
    if family is None or family.get("revoked") or int(family["expires_at"]) <= now:
        return None
    if person is None or school is None:
        return None
    return people.person_from(person), schools.school_from(school)


# A transaction holds 100 items: the action's own parts, and up to this many
# of the account's sessions and token families; any more (a very busy month)
# end right after it, in batches.
ENDED_IN_TRANSACTION = 80


@dataclass(frozen=True)
class Ending:
    """What ends every session and token family of an account: transaction parts
    for the first ENDED_IN_TRANSACTION, the keys of any others (for end_now),
    and the registers to tell, (client, sid) for each session's each register."""

    parts: list[Part]
    rest: list[keys.Key]
    logouts: list[tuple[str, str]]

    @property
    def count(self) -> int:
        return len(self.parts) + len(self.rest)


def ended_with_account(school_id: str, codice_fiscale: str, now: float) -> Ending:
    """Every session and token family of an account, ending (see `ending`)."""
    return ending(flows.keys_of_account(school_id, codice_fiscale), now)


def ending(account_items: list[keys.Key], now: float) -> Ending:
    """Of an account's items, the sessions and token families, ending.
    A family gone is revoked: its tokens find no holder, its refresh tokens fail."""
    found = [key for key in account_items if keys.is_sign_in_grant(key)]
    logouts = [logout for session in sessions_among(found, now) for logout in session.logouts]
    return Ending(
        [delete(key) for key in found[:ENDED_IN_TRANSACTION]], found[ENDED_IN_TRANSACTION:], logouts
    )


def end_now(rest: list[keys.Key]) -> None:
    """The sessions and families a transaction had no room for, deleted in batches of 25."""
    for start in range(0, len(rest), 25):
        write_batch([{"DeleteRequest": {"Key": to_dynamo(key)}} for key in rest[start : start + 25]])
