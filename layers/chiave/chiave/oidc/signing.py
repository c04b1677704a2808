"""The sign-in's signing keys: ID tokens signed RS256 in KMS (the private key
never leaves it), the public keys published as a JWK Set.

joserfc writes and reads the JOSE grammar (headers, base64url, compact
serialisation); KMS computes the signature, through a JWS algorithm of our
own registered with joserfc under its RS256 name. KMS signs the SHA-256 of
the signing input (`MessageType=DIGEST`): a federation's Entity
Configuration can outgrow the 4,096 bytes KMS signs raw, and one way serves
every key (the sign-in's, the federation's: `sign(claims, key_id=...)`). The key that signs is
`SIGNING_KEY_ID`; `NEXT_SIGNING_KEY_ID`, when set, is published and signs
nothing: the next key before a rotation, or the last one after it
(docs/SIGN_IN.md). A key's `kid` is its RFC 7638 thumbprint.

joserfc and cryptography load on first use: only the sign-in's functions
pay for them."""

from __future__ import annotations

import hashlib
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from chiave.runtime import coldstart
from chiave.runtime.aws import kms
from chiave.runtime.settings import settings

if TYPE_CHECKING:
    from joserfc.jwk import RSAKey

ALGORITHM = "RS256"
KMS_ALGORITHM: Final = "RSASSA_PKCS1_V1_5_SHA_256"


# The KMS key behind each public key this container has read, by its kid.
_kms_key_of: dict[str, str] = {}


@cache
def _public_half(key_id: str, use: str, alg: str) -> RSAKey:
    """A KMS key's public half as a JWK, its kid the RFC 7638 thumbprint (one GetPublicKey per container)."""
    from joserfc.jwk import RSAKey

    der = kms().get_public_key(KeyId=key_id)["PublicKey"]
    key = RSAKey.import_key(der, parameters={"use": use, "alg": alg})
    key.ensure_kid()
    return key


def public_key(key_id: str) -> RSAKey:
    """A signing key's public half; what signs with it is this KMS key."""
    key = _public_half(key_id, "sig", ALGORITHM)
    _kms_key_of[str(key.kid)] = key_id
    return key


def encryption_key(key_id: str) -> RSAKey:
    """An encryption key's public half (RSA-OAEP-256): what a provider encrypts to; only KMS opens it."""
    return _public_half(key_id, "enc", "RSA-OAEP-256")


def _published_ids() -> list[str]:
    current = settings()
    return [key_id for key_id in (current.signing_key_id, current.next_signing_key_id) if key_id]


def jwks() -> dict[str, Any]:
    """The JWK Set the relying parties verify ID tokens with."""
    return {"keys": [public_key(key_id).as_dict(private=False) for key_id in _published_ids()]}


@cache
def _registry() -> Any:
    """joserfc's JWS registry with RS256 computed by KMS, and nothing else."""
    from joserfc.jwa import JWSAlgModel
    from joserfc.jws import JWSRegistry

    class KmsRS256(JWSAlgModel):
        name = ALGORITHM
        description = "RSASSA-PKCS1-v1_5 using SHA-256, computed by AWS KMS"
        recommended = True
        key_type = "RSA"

        def sign(self, msg: bytes, key: RSAKey) -> bytes:
            signed = kms().sign(
                KeyId=_kms_key_of[str(key.kid)],
                Message=hashlib.sha256(msg).digest(),
                MessageType="DIGEST",
                SigningAlgorithm=KMS_ALGORITHM,
            )
            return bytes(signed["Signature"])

        def verify(self, msg: bytes, sig: bytes, key: RSAKey) -> bool:
            raise NotImplementedError("Chiave signs; relying parties verify")

    class KmsRegistry(JWSRegistry):
        # joserfc keeps its algorithms on the class: ours, apart from its defaults.
        algorithms = {ALGORITHM: KmsRS256()}  # noqa: RUF012
        recommended = [ALGORITHM]  # noqa: RUF012

    return KmsRegistry(algorithms=[ALGORITHM])


# Before SnapStart's snapshot: joserfc and cryptography loaded, the KMS client
# made (no key is read: that differs per deployment and happens after restore).
coldstart.on_warm_up(_registry)
coldstart.on_warm_up(kms)


def sign(claims: dict[str, Any], key_id: str | None = None, typ: str = "JWT") -> str:
    """A signed JWT of `claims`, by a KMS key (one Sign): the sign-in's
    signing key unless another is named."""
    from joserfc import jwt

    key = public_key(key_id or settings().signing_key_id)
    header = {"alg": ALGORITHM, "kid": key.kid, "typ": typ}
    return jwt.encode(header, claims, key, registry=_registry())


def issued_id_token(token: str, issuer: str) -> dict[str, Any] | None:
    """The claims of an ID token this issuer signed with a published key,
    expired or not (an `id_token_hint`); None if it is not one."""
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    try:
        keys = KeySet.import_key_set(jwks())  # type: ignore[arg-type]
        claims: dict[str, Any] = jwt.decode(token, keys, algorithms=[ALGORITHM]).claims
    except (JoseError, ValueError, TypeError):
        return None
    if claims.get("iss") != issuer or not isinstance(claims.get("aud"), str):
        return None
    return claims


def forget() -> None:
    """Tests switch KMS between sessions."""
    _public_half.cache_clear()
