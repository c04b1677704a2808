"""A SPID or CIE provider for tests, built with joserfc and none of Chiave's
code, in a federation of tests/federation.py: it reads the request object a
school's leaf sent, checks the leaf's private_key_jwt and PKCE at its token
endpoint, signs ID tokens and userinfo with its own key and encrypts
userinfo to the leaf's encryption key, as the profile says. Tests then break
one piece of its answer at a time."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from joserfc import jwe, jwt
from joserfc.jwk import KeySet, RSAKey

from tests import federation as fed

LEVEL = "https://www.spid.gov.it/SpidL{}"


def _query(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@dataclass
class Provider:
    entity_id: str
    leaf_keys: dict[str, Any]  # the leaf's JWK Set, as its Entity Configuration publishes it
    fiscal_number: str = "TINIT-RSSMRA82C52H501K"
    level: int = 2
    # Pieces of the answer to break: claims of the ID token changed (None: removed),
    # the ID token unsigned or signed by another key, what userinfo is.
    id_token_changes: dict[str, Any] = field(default_factory=dict)
    id_token_unsigned: bool = False
    id_token_signer: str | None = None
    userinfo_plain: bool = False
    userinfo_changes: dict[str, Any] = field(default_factory=dict)
    token_status: int = 200
    now: int | None = None  # the clock tokens are issued by; None: the time of issue
    _sessions: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> the request object's claims
    _tokens: dict[str, str] = field(default_factory=dict)  # access token -> sub
    seen_assertions: list[dict[str, Any]] = field(default_factory=list)

    def authorize(self, location: str) -> dict[str, str]:
        """The parent at the provider: the request object read, the parent signed in; the
        callback's parameters (code, state, iss)."""
        asked = _query(location)
        assert asked["client_id"] and asked["response_type"] == "code"
        claims = jwt.decode(
            asked["request"], KeySet.import_key_set(self.leaf_keys), algorithms=["RS256"]
        ).claims
        assert claims["client_id"] == asked["client_id"] and claims["iss"] == asked["client_id"]
        code = secrets.token_urlsafe(24)
        self._sessions[code] = claims
        return {"code": code, "state": claims["state"], "iss": self.entity_id}

    def request_object(self, location: str) -> dict[str, Any]:
        return jwt.decode(
            _query(location)["request"], KeySet.import_key_set(self.leaf_keys), algorithms=["RS256"]
        ).claims

    def call(
        self, url: str, form: dict[str, str] | None = None, bearer: str | None = None, **_: Any
    ) -> tuple[int, bytes]:
        if url == f"{self.entity_id}/token":
            return self._token(form or {})
        if url == f"{self.entity_id}/userinfo":
            return self._userinfo(bearer or "")
        return 404, b""

    def _token(self, form: dict[str, str]) -> tuple[int, bytes]:
        claims = self._sessions.pop(form.get("code", ""), None)
        if claims is None:
            return 400, json.dumps({"error": "invalid_grant"}).encode()
        assertion = jwt.decode(
            form["client_assertion"], KeySet.import_key_set(self.leaf_keys), algorithms=["RS256"]
        ).claims
        self.seen_assertions.append(assertion)
        assert assertion["iss"] == assertion["sub"] == claims["client_id"] == form["client_id"]
        assert assertion["aud"] == f"{self.entity_id}/token"
        challenge = base64.urlsafe_b64encode(hashlib.sha256(form["code_verifier"].encode()).digest()).rstrip(
            b"="
        )
        assert challenge.decode() == claims["code_challenge"], "PKCE"
        assert form["redirect_uri"] == claims["redirect_uri"]
        if self.token_status != 200:
            return self.token_status, json.dumps({"error": "server_error"}).encode()
        now = self.now if self.now is not None else int(time.time())
        subject = f"pairwise-{secrets.token_hex(8)}"
        access = secrets.token_urlsafe(24)
        self._tokens[access] = subject
        id_claims = {
            "iss": self.entity_id,
            "sub": subject,
            "aud": [claims["client_id"]],
            "iat": now,
            "exp": now + 300,
            "nonce": claims["nonce"],
            "acr": LEVEL.format(self.level),
            "jti": secrets.token_hex(8),
        }
        for name, value in self.id_token_changes.items():
            if value is None:
                id_claims.pop(name, None)
            else:
                id_claims[name] = value
        if self.id_token_unsigned:
            id_token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(id_claims)}."
        else:
            signer = self.id_token_signer or self.entity_id
            id_token = fed.signed(id_claims, signer, typ="JWT")
        answer = {"access_token": access, "id_token": id_token, "token_type": "Bearer", "expires_in": 300}
        return 200, json.dumps(answer).encode()

    def _userinfo(self, bearer: str) -> tuple[int, bytes]:
        subject = self._tokens.get(bearer)
        if subject is None:
            return 401, b""
        claims = {
            "sub": subject,
            "https://attributes.eid.gov.it/fiscal_number": self.fiscal_number,
            "given_name": "Maria",
            "family_name": "Rossi",
            "email": "maria.rossi@example.it",
            **self.userinfo_changes,
        }
        signed = fed.signed(claims, self.entity_id, typ="JWT")
        if self.userinfo_plain:
            return 200, signed.encode()
        encryption = next(key for key in self.leaf_keys["keys"] if key.get("use") == "enc")
        header = {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": encryption["kid"], "cty": "JWT"}
        sealed = jwe.encrypt_compact(
            header, signed.encode(), RSAKey.import_key(encryption), algorithms=["RSA-OAEP-256", "A256GCM"]
        )
        return 200, sealed.encode()
