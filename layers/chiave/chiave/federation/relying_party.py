"""Chiave as a school's relying party of SPID and CIE id (the SPID/CIE
OpenID Connect profile): what it asks a provider, and what it accepts back.
Plain functions over claims and tokens (no AWS): the flow
(chiave.flows.spid_cie) signs with the school leaf's KMS key and calls the
provider.

- The authorization request is a signed request object, with PKCE, the
  school's minimum level (`acr_values`), `prompt=consent login`,
  and a `claims` request for the fiscal number, the names and the e-mail.
- At the token endpoint the leaf authenticates with `private_key_jwt`.
- The ID token is accepted only signed (RS256/ES256/PS256, never `none`) by a
  key in the provider's metadata as its trust chain vouches for it, from that
  provider, to this leaf, alive, with the nonce sent, at the level asked.
- Userinfo comes signed by the provider, and encrypted to the leaf's key."""

from __future__ import annotations

import secrets
from typing import Any

from chiave.federation.trust_chain import ALGORITHMS
from chiave.oidc.discovery import ACR_IDENTITY

# SPID's levels, 1 to 3; CIE id's profile names its levels with the same URIs.
LEVELS = {uri: level for level, uri in enumerate(ACR_IDENTITY, start=1)}
FISCAL_NUMBER = "https://attributes.eid.gov.it/fiscal_number"
FISCAL_NUMBER_PREFIX = "TINIT-"  # an Italian tax id, as eIDAS writes it
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
REQUEST_LIFETIME_S = 600  # the request object; the state item lasts as long
ASSERTION_LIFETIME_S = 60
CLOCK_SKEW_S = 60
PROFILES = ("spid", "cie")


class IdentityRefused(Exception):
    """What the provider sent cannot sign anyone in; `reason` is for the logs and
    `outcome` names the page (and the metric)."""

    def __init__(self, outcome: str, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


def acr_values(min_level: int) -> list[str]:
    """The level asked: the school's minimum (a provider may sign the person in higher; a
    lower level is refused when it comes back)."""
    return [ACR_IDENTITY[min_level - 1]]


def request_object(
    leaf: str,
    provider: dict[str, Any],
    state: str,
    nonce: str,
    code_challenge: str,
    min_level: int,
    now: float,
) -> dict[str, Any]:
    """The claims of the signed request object (the leaf signs them)."""
    return {
        "iss": leaf,
        "client_id": leaf,
        "aud": [provider["issuer"], provider["authorization_endpoint"]],
        "iat": int(now),
        "exp": int(now) + REQUEST_LIFETIME_S,
        "jti": secrets.token_urlsafe(16),
        "response_type": "code",
        "scope": ["openid"],
        "redirect_uri": f"{leaf}/callback",
        "state": state,
        "nonce": nonce,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
        "acr_values": acr_values(min_level),
        "prompt": "consent login",
        "ui_locales": ["it", "en"],
        "claims": {
            "userinfo": {
                FISCAL_NUMBER: {"essential": True},
                "given_name": None,
                "family_name": None,
                "email": None,
            }
        },
    }


def client_assertion(leaf: str, token_endpoint: str, now: float) -> dict[str, Any]:
    """private_key_jwt: the leaf's word that it is itself, for this token endpoint, once."""
    return {
        "iss": leaf,
        "sub": leaf,
        "aud": token_endpoint,
        "iat": int(now),
        "exp": int(now) + ASSERTION_LIFETIME_S,
        "jti": secrets.token_urlsafe(16),
    }


def _verified(token: str, provider: dict[str, Any], what: str) -> dict[str, Any]:
    """A JWS's claims, signed by one of the provider's keys with an allowed algorithm."""
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    try:
        keys = KeySet.import_key_set(provider["jwks"])
    except (KeyError, ValueError, TypeError, JoseError):
        raise IdentityRefused("provider_error", "the provider's metadata has no usable keys") from None
    try:
        claims: dict[str, Any] = jwt.decode(token, keys, algorithms=ALGORITHMS).claims
    except (JoseError, ValueError, TypeError):
        raise IdentityRefused("provider_error", f"{what}: not signed by the provider") from None
    return claims


def id_token_claims(
    token: str, provider: dict[str, Any], leaf: str, nonce: str, min_level: int, now: float
) -> dict[str, Any]:
    """The ID token's claims once every check holds; IdentityRefused otherwise."""
    claims = _verified(token, provider, "the ID token")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if claims.get("iss") != provider["issuer"]:
        raise IdentityRefused("provider_error", f"the ID token is from {claims.get('iss')!r}")
    if not isinstance(audiences, list) or leaf not in audiences:
        raise IdentityRefused("provider_error", "the ID token is for another relying party")
    if not isinstance(claims.get("exp"), int) or claims["exp"] + CLOCK_SKEW_S <= now:
        raise IdentityRefused("provider_error", "the ID token has expired")
    if not isinstance(claims.get("iat"), int) or claims["iat"] - CLOCK_SKEW_S > now:
        raise IdentityRefused("provider_error", "the ID token was issued in the future")
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(claims["nonce"], nonce):
        raise IdentityRefused("provider_error", "the ID token's nonce is not the one sent")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise IdentityRefused("provider_error", "the ID token names nobody")
    level = LEVELS.get(str(claims.get("acr")), 0)
    if level < min_level:
        raise IdentityRefused("level_too_low", f"signed in at level {level}, the school asks {min_level}")
    return claims


def userinfo_claims(signed: str, provider: dict[str, Any], subject: str) -> dict[str, Any]:
    """Userinfo's claims (its JWS, once decrypted): signed by the provider, about the ID token's subject."""
    claims = _verified(signed, provider, "userinfo")
    if claims.get("sub") != subject:
        raise IdentityRefused("provider_error", "userinfo is about another subject")
    return claims


def fiscal_number(claims: dict[str, Any]) -> str:
    """The codice fiscale the provider vouches for, as issued (`TINIT-` dropped, nothing folded)."""
    value = claims.get(FISCAL_NUMBER)
    if not isinstance(value, str) or not value.upper().startswith(FISCAL_NUMBER_PREFIX):
        raise IdentityRefused("provider_error", "no Italian fiscal number in userinfo")
    return value[len(FISCAL_NUMBER_PREFIX) :]
