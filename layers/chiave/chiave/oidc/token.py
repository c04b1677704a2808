"""token (RFC 6749 §4.1.3, OpenID Connect Core §3.1.3): the register's
backend exchanges a code for an ID token and an access token.

The client authenticates (`client_secret_basic`; the secret compared by its
hash, the previous one during its grace period). The code works once,
within 60 s, for the client and redirect URI it was issued to, with the
PKCE verifier of its challenge; a code presented a second time revokes the
access token its first exchange issued. The access token is opaque, stored
only as its hash; the ID token is signed in KMS (one Sign per response)."""

from __future__ import annotations

import hmac
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from chiave.credentials import subjects, tokens
from chiave.domain import Client
from chiave.oidc import discovery, signing
from chiave.oidc.http import OAuthError
from chiave.runtime.observability import count_outcome, logger
from chiave.store import clients, grants

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_LIFETIME_S = 300
LEEWAY_S = 30
ACCESS_TOKEN_LIFETIME_S = 900
ID_TOKEN_LIFETIME_S = 300
# A refresh token lives two weeks unused; its family (every heir of one
# sign-in) thirty days, after which the person signs in again.
REFRESH_TOKEN_LIFETIME_S = 14 * 86_400
FAMILY_LIFETIME_S = 30 * 86_400
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 §4.1


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    secret: str


def _unauthorised() -> OAuthError:
    return OAuthError(
        "invalid_client", "client authentication failed", 401, **{"WWW-Authenticate": 'Basic realm="chiave"'}
    )


def authenticated_client(credentials: ClientCredentials | None, params: dict[str, str], now: float) -> Client:
    """The client, if it proved itself by the method it registered:
    `client_secret_basic`, or `private_key_jwt` (a client assertion in the
    form, RFC 7523); invalid_client (401) otherwise."""
    if "client_assertion" in params or "client_assertion_type" in params:
        if credentials is not None:
            raise OAuthError("invalid_request", "one client authentication method, not two")
        return _by_assertion(params, now)
    if credentials is None:
        raise _unauthorised()
    client = clients.get_client(credentials.client_id)
    if client is None or not client.enabled or client.auth_method != "client_secret_basic":
        raise _unauthorised()
    presented = tokens.token_hash(credentials.secret)
    current = client.secret_hash and hmac.compare_digest(presented, client.secret_hash)
    previous = (
        client.previous_secret_hash is not None
        and now < client.previous_secret_until
        and hmac.compare_digest(presented, client.previous_secret_hash)
    )
    if not (current or previous):
        count_outcome("token", "wrong_client_secret")
        raise _unauthorised()
    return client


def _by_assertion(params: dict[str, str], now: float) -> Client:
    """private_key_jwt: a JWT the client signed with one of its registered
    keys (RS256, PS256 or ES256; never none or a MAC), naming it as iss and
    sub, this provider as aud, with a jti used once and an exp at most five
    minutes ahead."""
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet
    from joserfc.jws import extract_compact

    assertion = params.get("client_assertion", "")
    if params.get("client_assertion_type") != ASSERTION_TYPE or not assertion:
        raise _unauthorised()
    try:
        claimed = json.loads(extract_compact(assertion.encode("ascii")).payload)
        client_id = str(claimed["iss"])
    except (JoseError, ValueError, KeyError, TypeError, UnicodeError):
        raise _unauthorised() from None
    client = clients.get_client(client_id)
    if (
        client is None
        or not client.enabled
        or client.auth_method != "private_key_jwt"
        or not client.jwks
        or params.get("client_id", client.id) != client.id
    ):
        raise _unauthorised()
    checks = jwt.JWTClaimsRegistry(
        now=int(now),
        leeway=LEEWAY_S,
        iss={"essential": True, "value": client.id},
        sub={"essential": True, "value": client.id},
        aud={"essential": True, "values": [discovery.endpoint("token"), discovery.issuer()]},
        exp={"essential": True},
        jti={"essential": True},
    )
    try:
        token = jwt.decode(
            assertion,
            KeySet.import_key_set(json.loads(client.jwks)),
            algorithms=list(discovery.ASSERTION_ALGORITHMS),
        )
        checks.validate(token.claims)
    except (JoseError, ValueError, KeyError, TypeError):
        count_outcome("token", "bad_client_assertion")
        raise _unauthorised() from None
    expires_at = int(token.claims["exp"])
    if expires_at - now > MAX_ASSERTION_LIFETIME_S:
        raise _unauthorised()
    try:
        grants.remember_assertion(client.id, str(token.claims["jti"]), expires_at)
    except grants.AssertionReplayed:
        count_outcome("token", "client_assertion_replayed")
        raise _unauthorised() from None
    return client


def exchange(client: Client, params: dict[str, str], now: float) -> dict[str, Any]:
    grant_type = params.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is missing")
    if grant_type == "authorization_code":
        return _code(client, params, now)
    if grant_type == "refresh_token":
        return _refresh(client, params, now)
    raise OAuthError("unsupported_grant_type", "authorization_code or refresh_token")


_INVALID_CODE = "the code is not valid, was used, or expired"


def _code(client: Client, params: dict[str, str], now: float) -> dict[str, Any]:
    raw_code, verifier = params.get("code", ""), params.get("code_verifier", "")
    if not raw_code:
        raise OAuthError("invalid_request", "code is missing")
    code = grants.get_code(tokens.token_hash(raw_code)) if tokens.is_well_formed(raw_code) else None
    if code is None or code.client_id != client.id:
        raise OAuthError("invalid_grant", _INVALID_CODE)
    if code.used_at is not None:
        # Presented twice: what the first exchange issued is revoked (RFC 6749 §4.1.2).
        grants.revoke_what_the_code_issued(code.code_sha256)
        count_outcome("token", "code_reused")
        logger.warning("authorization code presented twice", extra={"client": client.id})
        raise OAuthError("invalid_grant", _INVALID_CODE)
    if code.expires_at <= now or params.get("redirect_uri") != code.redirect_uri:
        raise OAuthError("invalid_grant", _INVALID_CODE)
    if not _VERIFIER.match(verifier) or not hmac.compare_digest(
        tokens.pkce_challenge(verifier), code.code_challenge
    ):
        count_outcome("token", "wrong_code_verifier")
        raise OAuthError("invalid_grant", "the PKCE code_verifier does not match the code_challenge")
    moment = int(now)
    signed_in = code.signed_in
    grant = {
        "client_id": client.id,
        "sub": subjects.pairwise(client.id, signed_in.school_id, signed_in.codice_fiscale),
        "scopes": list(code.scopes),
        "school_id": signed_in.school_id,
        "codice_fiscale": signed_in.codice_fiscale,
        "auth_time": signed_in.auth_time,
        "acr": signed_in.acr,
        "amr": list(signed_in.amr),
        "sid": signed_in.session_id,
        "family": secrets.token_urlsafe(16),
    }
    family_until = moment + FAMILY_LIFETIME_S
    access, refresh = tokens.new_token(), tokens.new_token()
    id_token = _id_token(client, grant, code.nonce, moment)
    lifetimes = (
        moment + ACCESS_TOKEN_LIFETIME_S,
        min(moment + REFRESH_TOKEN_LIFETIME_S, family_until),
        family_until,
    )
    try:
        grants.exchange(code, grant, (tokens.token_hash(access), tokens.token_hash(refresh)), lifetimes, now)
    except grants.CodeUsed:
        grants.revoke_what_the_code_issued(code.code_sha256)
        raise OAuthError("invalid_grant", _INVALID_CODE) from None
    count_outcome("token", "issued")
    return _answer(access, refresh, id_token, grant)


def _refresh(client: Client, params: dict[str, str], now: float) -> dict[str, Any]:
    """A refresh token works once: it is rotated, and a second use revokes
    its whole family (RFC 9700 §4.14.2)."""
    raw = params.get("refresh_token", "")
    if not raw:
        raise OAuthError("invalid_request", "refresh_token is missing")
    invalid = OAuthError("invalid_grant", "the refresh token is not valid, was used, or was revoked")
    old_sha256 = tokens.token_hash(raw) if tokens.is_well_formed(raw) else None
    held = grants.get_refresh_token(old_sha256) if old_sha256 else None
    if held is None or held["client_id"] != client.id or int(held["expires_at"]) <= now or old_sha256 is None:
        raise invalid
    if "used_at" in held:
        grants.revoke_family(held["family"])
        count_outcome("token", "refresh_reused")
        logger.warning("refresh token used twice: its family revoked", extra={"client": client.id})
        raise invalid
    scopes = params.get("scope", "").split() or list(held["scopes"])
    if not set(scopes) <= set(held["scopes"]):
        raise OAuthError("invalid_scope", "a refresh cannot widen the scope")
    moment = int(now)
    grant = {name: held[name] for name in _GRANT_FIELDS} | {"scopes": scopes}
    access, refresh = tokens.new_token(), tokens.new_token()
    id_token = _id_token(client, grant, None, moment)
    lifetimes = (moment + ACCESS_TOKEN_LIFETIME_S, moment + REFRESH_TOKEN_LIFETIME_S)
    try:
        grants.rotate(
            old_sha256, grant, (tokens.token_hash(access), tokens.token_hash(refresh)), lifetimes, now
        )
    except grants.RefreshRefused:
        grants.revoke_family(held["family"])
        raise invalid from None
    count_outcome("token", "refreshed")
    return _answer(access, refresh, id_token, grant)


_GRANT_FIELDS = (
    "client_id",
    "sub",
    "scopes",
    "school_id",
    "codice_fiscale",
    "auth_time",
    "acr",
    "amr",
    "sid",
    "family",
)


def _id_token(client: Client, grant: dict[str, Any], nonce: str | None, moment: int) -> str:
    claims: dict[str, Any] = {
        "iss": discovery.issuer(),
        "sub": grant["sub"],
        "aud": client.id,
        "iat": moment,
        "exp": moment + ID_TOKEN_LIFETIME_S,
        "auth_time": int(grant["auth_time"]),
        "acr": grant["acr"],
        "amr": list(grant["amr"]),
        "sid": grant["sid"],
        "school": grant["school_id"],
    }
    if nonce is not None:
        claims["nonce"] = nonce
    return signing.sign(claims)


def _answer(access: str, refresh: str, id_token: str, grant: dict[str, Any]) -> dict[str, Any]:
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_LIFETIME_S,
        "refresh_token": refresh,
        "scope": " ".join(grant["scopes"]),
        "id_token": id_token,
    }
