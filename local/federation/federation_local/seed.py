"""The local federation's entities: the trust anchor, a SPID-profile and a
CIE-profile provider below it, each with a trust mark the anchor issued;
and the onboarding of an intermediate (Chiave's), as a federation's
operator does it: its configuration read, its keys recorded."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from spid_cie_oidc.authority.models import (
    FederationDescendant,
    FederationEntityAssignedProfile,
    FederationEntityProfile,
)
from spid_cie_oidc.entity.jwtse import unpad_jwt_payload, verify_jws
from spid_cie_oidc.entity.models import FederationEntityConfiguration

# CIE id's OpenID Connect profile names its levels with SPID's URIs.
LEVELS = [f"https://www.spid.gov.it/SpidL{level}" for level in (1, 2, 3)]
FISCAL_NUMBER = "https://attributes.eid.gov.it/fiscal_number"


def trust_anchor_id(base: str) -> str:
    return f"{base}/"


def mark_type(base: str, profile: str) -> str:
    return f"{base}/openid_provider/{profile}"


def _provider_metadata(entity_id: str, levels: list[str], core_jwks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "issuer": entity_id,
        "authorization_endpoint": f"{entity_id}/authorization",
        "token_endpoint": f"{entity_id}/token",
        "userinfo_endpoint": f"{entity_id}/userinfo",
        "revocation_endpoint": f"{entity_id}/revocation",
        "jwks": {"keys": core_jwks},
        "client_registration_types_supported": ["automatic"],
        "scopes_supported": ["openid", "offline_access", "profile", "email"],
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["pairwise"],
        "acr_values_supported": levels,
        "claims_supported": [FISCAL_NUMBER, "given_name", "family_name", "email"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "userinfo_signing_alg_values_supported": ["RS256", "ES256"],
        "userinfo_encryption_alg_values_supported": ["RSA-OAEP", "RSA-OAEP-256"],
        "userinfo_encryption_enc_values_supported": ["A128CBC-HS256", "A256GCM"],
        "request_object_signing_alg_values_supported": ["RS256", "ES256"],
        "request_parameter_supported": True,
        "code_challenge_methods_supported": ["S256"],
    }


def seed(base: str) -> dict[str, Any]:
    """The anchor and its two providers; what a test pins: the anchor's id and keys."""
    anchor = FederationEntityConfiguration.objects.create(
        sub=trust_anchor_id(base),
        entity_type="federation_entity",
        is_active=True,
        metadata={
            "federation_entity": {
                "organization_name": "Trust anchor locale (SPID/CIE)",
                "homepage_uri": base,
                "federation_fetch_endpoint": f"{base}/fetch",
                "federation_list_endpoint": f"{base}/list",
                "federation_trust_mark_status_endpoint": f"{base}/trust_mark_status",
            }
        },
        trust_mark_issuers={
            mark_type(base, "spid"): [trust_anchor_id(base)],
            mark_type(base, "cie"): [trust_anchor_id(base)],
        },
    )
    providers = {}
    for name in ("spid", "cie"):
        entity_id = f"{base}/{name}"
        provider = FederationEntityConfiguration(
            sub=entity_id, entity_type="openid_provider", is_active=True, authority_hints=[anchor.sub]
        )
        provider.metadata = {"openid_provider": _provider_metadata(entity_id, LEVELS, provider.public_jwks)}
        provider.save()
        profile = FederationEntityProfile.objects.create(
            name=f"{name}-op",
            profile_category="openid_provider",
            profile_id=mark_type(base, name),
            trust_mark_template={"organization_type": "public"},
        )
        descendant = FederationDescendant.objects.create(
            sub=entity_id,
            name=f"{name.upper()} locale",
            type="openid_provider",
            jwks=provider.public_jwks,
            is_active=True,
        )
        assigned = FederationEntityAssignedProfile.objects.create(
            descendant=descendant, profile=profile, issuer=anchor
        )
        provider.trust_marks = [assigned.trust_mark]
        provider.save()
        providers[name] = entity_id
    return {
        "trust_anchor": anchor.sub,
        "trust_anchor_jwks": {"keys": anchor.public_jwks},
        "providers": providers,
        "trust_mark_types": {name: mark_type(base, name) for name in providers},
    }


def onboard(subject: str) -> dict[str, Any]:
    """The anchor's operator onboards an intermediate: its configuration read
    and checked against its own keys, then its keys recorded as a descendant."""
    with urllib.request.urlopen(f"{subject.rstrip('/')}/.well-known/openid-federation", timeout=5) as answer:  # noqa: S310
        configuration = answer.read().decode()
    claims = unpad_jwt_payload(configuration)
    keys = claims["jwks"]["keys"]
    verify_jws(configuration, keys[0])
    FederationDescendant.objects.update_or_create(
        sub=subject,
        defaults={"name": "Chiave", "type": "federation_entity", "jwks": keys, "is_active": True},
    )
    return {"onboarded": subject, "keys": [key["kid"] for key in keys]}


def as_json(value: Any) -> str:
    return json.dumps(value, indent=2)
