"""userinfo (OpenID Connect Core §5.3): what the access token's scopes let
the register read of the person, as the school's anagrafica has it now.

- always: `sub` (pairwise), and Chiave's own: the school, its name, the
  role and the user code;
- `profile`: given and family name; `email`: the e-mail; `phone`: the mobile;
- `codice_fiscale`: only for a client allowed that scope.
A token that is unknown, expired or revoked gets 401 `invalid_token`; a
person whose account is no longer active is not described."""

from __future__ import annotations

from typing import Any

from chiave.credentials import tokens
from chiave.domain import AccountStatus
from chiave.oidc.http import OAuthError
from chiave.runtime.observability import count_outcome
from chiave.store import grants


def _invalid(description: str) -> OAuthError:
    challenge = f'Bearer error="invalid_token", error_description="{description}"'
    return OAuthError("invalid_token", description, 401, **{"WWW-Authenticate": challenge})


def userinfo(access_token: str | None, now: float) -> dict[str, Any]:
    if not access_token or not tokens.is_well_formed(access_token):
        raise _invalid("a Bearer access token is required")
    grant = grants.get_access_token(tokens.token_hash(access_token), now)
    if grant is None:
        count_outcome("userinfo", "invalid_token")
        raise _invalid("the access token is not valid, expired, or was revoked")
    holder = grants.holder_of(grant, now)
    if holder is None:
        count_outcome("userinfo", "revoked")
        raise _invalid("the access token is not valid, expired, or was revoked")
    person, school = holder
    if person.status is not AccountStatus.ACTIVE:
        raise _invalid("the account is no longer active")
    scopes = set(grant["scopes"])
    claims: dict[str, Any] = {
        "sub": grant["sub"],
        "school": school.id,
        "school_name": school.name,
        "role": person.role.value,
        "user_code": person.user_code,
    }
    if "profile" in scopes:
        claims |= {"given_name": person.name, "family_name": person.surname}
    if "email" in scopes and person.email:
        # Verified only while it is the address a link of ours last proved (not SPID/CIE's, nor the school's).
        claims |= {"email": person.email, "email_verified": person.email_verified}
    if "phone" in scopes and person.mobile:
        claims |= {"phone_number": person.mobile, "phone_number_verified": False}
    if "codice_fiscale" in scopes:
        claims["codice_fiscale"] = person.codice_fiscale
    count_outcome("userinfo", "answered")
    return claims
