"""What the federation's entities say, as claims (plain data, no AWS).

The intermediate (`{origin}/oidc/federation`) and each school's leaf
(`{origin}/oidc/rp/{school}`) publish an Entity Configuration at
`{entity}/.well-known/openid-federation`: `iss == sub`, its federation keys,
`authority_hints` (its superior), `trust_marks`, its metadata. The
intermediate's fetch endpoint issues each leaf's subordinate statement and
its list endpoint names the leaves."""

from __future__ import annotations

from typing import Any

from chiave.domain import School, TrustMark

# How long a statement stands: a day, so that a superior's cache never holds
# a stale key for long, and a day's outage of Chiave does not break a chain.
STATEMENT_LIFETIME_S = 24 * 3600
WELL_KNOWN = "/.well-known/openid-federation"
STATEMENT_TYPE = "entity-statement+jwt"
# The SPID/CIE profile: RS256 everywhere; userinfo encrypted to the RP's key.
SIGNING_ALGORITHMS = ["RS256"]
ENCRYPTION_ALGORITHMS = ["RSA-OAEP-256"]
ENCRYPTION_ENCODINGS = ["A256GCM", "A128CBC-HS256"]


def intermediate_id(origin: str) -> str:
    return f"{origin.rstrip('/')}/oidc/federation"


def leaf_id(origin: str, school_id: str) -> str:
    return f"{origin.rstrip('/')}/oidc/rp/{school_id}"


def school_of(origin: str, entity_id: str) -> str | None:
    """The school a leaf's entity id names; None for any other entity."""
    prefix = leaf_id(origin, "")
    named = entity_id[len(prefix) :] if entity_id.startswith(prefix) else ""
    return named if named and "/" not in named else None


def serves(school: School) -> bool:
    """A school is a leaf once it is enabled and has its IPA code (SPID knows it by that)."""
    return school.enabled and bool(school.ipa_code)


def _timed(issuer: str, subject: str, now: float) -> dict[str, Any]:
    return {"iss": issuer, "sub": subject, "iat": int(now), "exp": int(now) + STATEMENT_LIFETIME_S}


def as_written(token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """A compact JWS's header and claims as written, not yet trusted; None if it is no such JWS."""
    import json

    from joserfc import jws
    from joserfc.errors import JoseError

    try:
        compact = jws.extract_compact(token.strip().encode())
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, UnicodeDecodeError):
        return None
    return (compact.protected, claims) if isinstance(claims, dict) else None


def trust_mark_claims(token: str) -> dict[str, Any] | None:
    """A trust mark's claims as written (its signature is the providers' to check); None if it is no JWT."""
    written = as_written(token)
    return None if written is None else written[1]


def trust_mark_problem(origin: str, school_id: str, mark: TrustMark, now: float) -> str | None:
    """Why a trust mark cannot be the school leaf's (Italian, for the console); None if it can."""
    return trust_mark_problem_for(leaf_id(origin, school_id), mark, now)


def trust_mark_problem_for(entity_id: str, mark: TrustMark, now: float) -> str | None:
    """Why a trust mark cannot be `entity_id`'s (Italian, for the console); None if it can."""
    claims = trust_mark_claims(mark.trust_mark)
    if claims is None:
        return "il trust mark non è un JWT leggibile"
    if claims.get("sub") != entity_id:
        return f"il trust mark è per {claims.get('sub')!r}, non per {entity_id}"
    if (claims.get("trust_mark_type") or claims.get("id")) != mark.trust_mark_type:
        return "il tipo del trust mark non è quello indicato"
    if isinstance(claims.get("exp"), int) and claims["exp"] <= now:
        return "il trust mark è scaduto"
    return None


def published_marks(marks: list[TrustMark] | tuple[TrustMark, ...]) -> list[dict[str, str]]:
    """Trust marks as an Entity Configuration lists them: by both names of a mark's type,
    OpenID Federation 1.0's and the `id` of the earlier drafts SPID's providers read."""
    return [
        {"trust_mark_type": m.trust_mark_type, "id": m.trust_mark_type, "trust_mark": m.trust_mark}
        for m in marks
    ]


def intermediate_configuration(
    origin: str,
    organization: str,
    trust_anchor: str,
    federation_jwks: dict[str, Any],
    trust_marks: list[dict[str, str]],
    now: float,
) -> dict[str, Any]:
    entity = intermediate_id(origin)
    return {
        **_timed(entity, entity, now),
        "jwks": federation_jwks,
        "authority_hints": [trust_anchor],
        "trust_marks": trust_marks,
        "metadata": {
            "federation_entity": {
                "organization_name": organization,
                "homepage_uri": origin,
                "federation_fetch_endpoint": f"{entity}/fetch",
                "federation_list_endpoint": f"{entity}/list",
            }
        },
    }


def leaf_configuration(
    origin: str,
    school: School,
    federation_jwks: dict[str, Any],
    relying_party_jwks: dict[str, Any],
    now: float,
) -> dict[str, Any]:
    entity = leaf_id(origin, school.id)
    trust_marks = published_marks(school.trust_marks)
    contacts = [school.reply_to] if school.reply_to else []
    return {
        **_timed(entity, entity, now),
        "jwks": federation_jwks,
        "authority_hints": [intermediate_id(origin)],
        "trust_marks": trust_marks,
        "metadata": {
            "federation_entity": {
                "organization_name": school.name,
                "homepage_uri": school.portal_url or origin,
                "contacts": contacts,
                "ipa_code": school.ipa_code,
            },
            "openid_relying_party": {
                "client_id": entity,
                "client_name": school.name,
                "client_registration_types": ["automatic"],
                "application_type": "web",
                "response_types": ["code"],
                "grant_types": ["authorization_code", "refresh_token"],
                "token_endpoint_auth_method": "private_key_jwt",
                "redirect_uris": [f"{entity}/callback"],
                "contacts": contacts,
                "jwks": relying_party_jwks,
                "id_token_signed_response_alg": SIGNING_ALGORITHMS[0],
                "userinfo_signed_response_alg": SIGNING_ALGORITHMS[0],
                "userinfo_encrypted_response_alg": ENCRYPTION_ALGORITHMS[0],
                "userinfo_encrypted_response_enc": ENCRYPTION_ENCODINGS[0],
            },
        },
    }


def subordinate_statement(
    origin: str, school_id: str, leaf_federation_jwks: dict[str, Any], now: float
) -> dict[str, Any]:
    """The intermediate's word on a leaf: who it is and the keys its own statements verify with."""
    return {**_timed(intermediate_id(origin), leaf_id(origin, school_id), now), "jwks": leaf_federation_jwks}
