"""The local federation's entities: the trust anchor, a SPID-profile and a
CIE-profile provider below it, each with a trust mark the anchor issued;
and the onboarding of an intermediate (Chiave's), as a federation's
operator does it: its configuration read, its keys recorded."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from cryptojwt.jwk.jwk import key_from_jwk_dict
from django.contrib.auth import get_user_model
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
PROVIDER_NAMES = {"spid": "SPID locale", "cie": "CIE id locale"}
TEST_PASSWORD = "password"  # noqa: S105 - the local federation's test users
# People of the demo anagrafica (local/chiave_local/demo/demo_anagrafica.csv),
# and two who are not in it: a stranger, and an omocode of Maria Rossi's codice
# fiscale (another person, never folded into hers: SPEC §6).
TEST_USERS = [
    {
        "username": "maria.rossi",
        "given_name": "Maria",
        "family_name": "Rossi",
        "fiscal_number": "TINIT-RSSMRA82C52H501K",
        "email": "maria.rossi@example.it",
        "who": "genitore",
    },
    {
        "username": "luca.bianchi",
        "given_name": "Luca",
        "family_name": "Bianchi",
        "fiscal_number": "TINIT-BNCLCU79S05F205Y",
        "email": "luca.bianchi@example.it",
        "who": "genitore",
    },
    {
        "username": "giulia.verdi",
        "given_name": "Giulia",
        "family_name": "Verdi",
        "fiscal_number": "TINIT-VRDGLI85L61H501C",
        "email": "giulia.verdi@example.it",
        "who": "genitore",
    },
    {
        "username": "sofia.colombo",
        "given_name": "Sofia",
        "family_name": "Colombo",
        "fiscal_number": "TINIT-CLMSFO12P54H501O",
        "email": "sofia.colombo@example.it",
        "who": "studentessa (primo ciclo)",
    },
    {
        "username": "paolo.neri",
        "given_name": "Paolo",
        "family_name": "Neri",
        "fiscal_number": "TINIT-NREPLA80A01H501B",
        "email": "paolo.neri@example.it",
        "who": "non in anagrafica",
    },
    {
        "username": "maria.rossi.omocodia",
        "given_name": "Maria",
        "family_name": "Rossi",
        "fiscal_number": "TINIT-RSSMRA82C52H50MC",
        "email": "altra.maria@example.it",
        "who": "omocodice di Maria Rossi: un'altra persona",
    },
]


def trust_anchor_id(base: str) -> str:
    return f"{base}/"


def mark_type(base: str, profile: str) -> str:
    return f"{base}/openid_provider/{profile}"


def _provider_metadata(
    entity_id: str, name: str, levels: list[str], core_jwks: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "issuer": entity_id,
        "organization_name": name,
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
        # One intermediate (Chiave's) between a leaf and the anchor; the package allows none by default.
        constraints={"max_path_length": 1},
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
        # The provider signs ID tokens and userinfo with its core key (its views find it by `use`),
        # not with its federation keys.
        provider.jwks_core = [{**provider.jwks_core[0], "use": "sig"}]
        core = [key_from_jwk_dict(jwk).serialize(private=False) for jwk in provider.jwks_core]
        metadata = _provider_metadata(entity_id, PROVIDER_NAMES[name], LEVELS, core)
        provider.metadata = {"openid_provider": metadata}
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
    for person in TEST_USERS:
        user = get_user_model().objects.create_user(
            username=person["username"],
            password=TEST_PASSWORD,
            email=person["email"],
            first_name=person["given_name"],
            last_name=person["family_name"],
        )
        user.attributes = {
            FISCAL_NUMBER: person["fiscal_number"],
            "given_name": person["given_name"],
            "family_name": person["family_name"],
            "email": person["email"],
        }
        user.save()
    return {
        "trust_anchor": anchor.sub,
        "trust_anchor_jwks": {"keys": anchor.public_jwks},
        "providers": providers,
        "trust_mark_types": {name: mark_type(base, name) for name in providers},
        "test_users": [{**person, "password": TEST_PASSWORD} for person in TEST_USERS],
    }


def onboard(subject: str) -> dict[str, Any]:
    """The anchor's operator onboards an intermediate: its configuration read
    and checked against its own keys, then its keys recorded as a descendant."""
    configuration_url = f"{subject.rstrip('/')}/.well-known/openid-federation"
    with urllib.request.urlopen(configuration_url, timeout=30) as answer:  # noqa: S310
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
