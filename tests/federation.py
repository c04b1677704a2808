"""A SPID/CIE-like federation for tests, built with joserfc and none of
Chiave's code: a trust anchor, intermediates and providers, each with keys
of its own, their Entity Configurations, the superiors' subordinate
statements at their fetch endpoints, and trust marks. `fetch(url)` answers
as their servers would; tests then break one piece at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

ANCHOR = "https://trust-anchor.example"
SPID_PROVIDER = "https://spid-provider.example"
CIE_PROVIDER = "https://cie-provider.example"
INTERMEDIATE = "https://intermediate.example"
SPID_MARK = f"{ANCHOR}/openid_provider/public"
DAY = 86400

_keys: dict[str, RSAKey] = {}


def key_of(entity_id: str) -> RSAKey:
    """One 2048-bit key per entity id, made once per test session (they are slow to make)."""
    if entity_id not in _keys:
        _keys[entity_id] = RSAKey.generate_key(2048, parameters={"kid": f"{urlsplit(entity_id).hostname}-1"})
    return _keys[entity_id]


def jwks(*entities: str) -> dict[str, Any]:
    return {"keys": [key_of(entity).as_dict(private=False) for entity in entities]}


def signed(claims: dict[str, Any], signer: str, typ: str = "entity-statement+jwt", alg: str = "RS256") -> str:
    return jwt.encode({"alg": alg, "kid": key_of(signer).kid, "typ": typ}, claims, key_of(signer))


def provider_metadata(entity_id: str) -> dict[str, Any]:
    return {
        "issuer": entity_id,
        "authorization_endpoint": f"{entity_id}/authorization",
        "token_endpoint": f"{entity_id}/token",
        "userinfo_endpoint": f"{entity_id}/userinfo",
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic"],
        "acr_values_supported": [
            "https://www.spid.gov.it/SpidL1",
            "https://www.spid.gov.it/SpidL2",
            "https://www.spid.gov.it/SpidL3",
        ],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "jwks": jwks(entity_id),
    }


@dataclass
class Federation:
    """Statements by URL; `now` is the clock every statement is made against."""

    now: int
    served: dict[str, str] = field(default_factory=dict)
    # (superior, subject) -> the subordinate statement's claims, before signing
    subordinates: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def configure(self, entity_id: str, claims: dict[str, Any], signer: str | None = None) -> None:
        self.served[f"{entity_id}/.well-known/openid-federation"] = signed(claims, signer or entity_id)

    def fetch(self, url: str) -> bytes:
        parts = urlsplit(url)
        if parts.path.endswith("/fetch"):
            superior = url.split("/fetch?", 1)[0]  # the entity id its fetch endpoint hangs from
            subject = parse_qs(parts.query).get("sub", [""])[0]
            claims = self.subordinates.get((superior, subject))
            if claims is None:
                raise LookupError(url)
            signer = claims.pop("_signer", superior)
            return signed(claims, signer).encode()
        if url not in self.served:
            raise LookupError(url)
        return self.served[url].encode()

    def entity(
        self,
        entity_id: str,
        superiors: list[str],
        metadata: dict[str, Any],
        lifetime: int = DAY,
        keys_of: str | None = None,
        **extra: Any,
    ) -> None:
        """An entity's configuration, with its own keys (or, to break it, `keys_of` another's)."""
        claims = {
            "iss": entity_id,
            "sub": entity_id,
            "iat": self.now,
            "exp": self.now + lifetime,
            "jwks": jwks(keys_of or entity_id),
            "authority_hints": superiors,
            "metadata": metadata,
            **extra,
        }
        self.configure(entity_id, claims, signer=keys_of)

    def vouch(
        self,
        superior: str,
        subject: str,
        lifetime: int = DAY,
        keys: dict[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        """The superior's statement about `subject`: its keys (this federation's, or those given:
        an entity outside it, onboarded with the keys it publishes)."""
        self.subordinates[(superior, subject)] = {
            "iss": superior,
            "sub": subject,
            "iat": self.now,
            "exp": self.now + lifetime,
            "jwks": keys or jwks(subject),
            **extra,
        }

    def trust_mark(
        self, subject: str, mark_type: str = SPID_MARK, issuer: str = ANCHOR, lifetime: int = DAY
    ) -> dict:
        claims = {
            "iss": issuer,
            "sub": subject,
            "trust_mark_type": mark_type,
            "iat": self.now,
            "exp": self.now + lifetime,
        }
        return {"trust_mark_type": mark_type, "trust_mark": signed(claims, issuer, typ="trust-mark+jwt")}


def federation_entity(entity_id: str) -> dict[str, Any]:
    return {
        "federation_entity": {
            "federation_fetch_endpoint": f"{entity_id}/fetch",
            "organization_name": entity_id,
        }
    }


def spid_and_cie(now: int) -> Federation:
    """The anchor; a SPID provider straight below it; a CIE provider below an intermediate."""
    federation = Federation(now)
    federation.entity(ANCHOR, [], federation_entity(ANCHOR), trust_mark_issuers={SPID_MARK: [ANCHOR]})
    federation.entity(INTERMEDIATE, [ANCHOR], federation_entity(INTERMEDIATE))
    federation.vouch(ANCHOR, INTERMEDIATE)
    for provider, superior in ((SPID_PROVIDER, ANCHOR), (CIE_PROVIDER, INTERMEDIATE)):
        federation.entity(
            provider,
            [superior],
            {"openid_provider": provider_metadata(provider)},
            trust_marks=[federation.trust_mark(provider)],
        )
        federation.vouch(superior, provider)
    return federation
