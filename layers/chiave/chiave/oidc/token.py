"""token (RFC 6749 §4.1.3, OpenID Connect Core §3.1.3): the register's
backend exchanges a code for an ID token and an access token.

The client authenticates (`client_secret_basic`; the secret compared by its
hash, the previous one during its grace period). The code works once,
within 60 s, for the client and redirect URI it was issued to, with the
PKCE verifier of its challenge; a code presented a second time revokes the
access token its first exchange issued. The access token is opaque, stored
only as its hash; the ID token is signed in KMS (one Sign per response)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any

from chiave.credentials import subjects, tokens
from chiave.domain import AuthorizationCode, Client
from chiave.oidc import discovery, signing
from chiave.oidc.http import OAuthError
from chiave.runtime.observability import count_outcome, logger
from chiave.store import clients, grants

ACCESS_TOKEN_LIFETIME_S = 900
ID_TOKEN_LIFETIME_S = 300
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 §4.1


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    secret: str


def authenticated_client(credentials: ClientCredentials | None, now: float) -> Client:
    """The client, if its credentials are right; invalid_client (401) otherwise."""
    unauthorised = OAuthError(
        "invalid_client", "client authentication failed", 401, **{"WWW-Authenticate": 'Basic realm="chiave"'}
    )
    if credentials is None:
        raise unauthorised
    client = clients.get_client(credentials.client_id)
    if client is None or not client.enabled or client.auth_method != "client_secret_basic":
        raise unauthorised
    presented = tokens.token_hash(credentials.secret)
    current = client.secret_hash and hmac.compare_digest(presented, client.secret_hash)
    previous = (
        client.previous_secret_hash is not None
        and now < client.previous_secret_until
        and hmac.compare_digest(presented, client.previous_secret_hash)
    )
    if not (current or previous):
        count_outcome("token", "wrong_client_secret")
        raise unauthorised
    return client


def _challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def exchange(client: Client, params: dict[str, str], now: float) -> dict[str, Any]:
    grant_type = params.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is missing")
    if grant_type != "authorization_code":
        raise OAuthError("unsupported_grant_type", "only authorization_code")
    raw_code, verifier = params.get("code", ""), params.get("code_verifier", "")
    if not raw_code:
        raise OAuthError("invalid_request", "code is missing")
    invalid = OAuthError("invalid_grant", "the code is not valid, was used, or expired")
    code = grants.get_code(tokens.token_hash(raw_code)) if tokens.is_well_formed(raw_code) else None
    if code is None or code.client_id != client.id:
        raise invalid
    if code.used_at is not None:
        # Presented twice: the first exchange's token is revoked (RFC 6749 §4.1.2).
        grants.revoke_what_the_code_issued(code.code_sha256)
        count_outcome("token", "code_reused")
        logger.warning("authorization code presented twice", extra={"client": client.id})
        raise invalid
    if code.expires_at <= now or params.get("redirect_uri") != code.redirect_uri:
        raise invalid
    if not _VERIFIER.match(verifier) or not hmac.compare_digest(_challenge_of(verifier), code.code_challenge):
        count_outcome("token", "wrong_code_verifier")
        raise OAuthError("invalid_grant", "the PKCE code_verifier does not match the code_challenge")
    return _issue(client, code, now)


def _issue(client: Client, code: AuthorizationCode, now: float) -> dict[str, Any]:
    moment = int(now)
    signed_in = code.signed_in
    sub = subjects.pairwise(client.id, signed_in.school_id, signed_in.codice_fiscale)
    access_token = tokens.new_token()
    id_claims: dict[str, Any] = {
        "iss": discovery.issuer(),
        "sub": sub,
        "aud": client.id,
        "iat": moment,
        "exp": moment + ID_TOKEN_LIFETIME_S,
        "auth_time": signed_in.auth_time,
        "acr": signed_in.acr,
        "amr": list(signed_in.amr),
        "sid": signed_in.session_id,
        "school": signed_in.school_id,
    }
    if code.nonce is not None:
        id_claims["nonce"] = code.nonce
    id_token = signing.sign(id_claims)
    grant = {
        "client_id": client.id,
        "sub": sub,
        "scopes": list(code.scopes),
        "school_id": signed_in.school_id,
        "codice_fiscale": signed_in.codice_fiscale,
        "expires_at": moment + ACCESS_TOKEN_LIFETIME_S,
    }
    try:
        grants.exchange(code, tokens.token_hash(access_token), grant, now)
    except grants.CodeUsed:
        grants.revoke_what_the_code_issued(code.code_sha256)
        raise OAuthError("invalid_grant", "the code is not valid, was used, or expired") from None
    count_outcome("token", "issued")
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_LIFETIME_S,
        "scope": " ".join(code.scopes),
        "id_token": id_token,
    }
