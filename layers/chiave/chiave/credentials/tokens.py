"""Link tokens: 256 bits from `secrets`; only their SHA-256 is stored, and
the queue carries them sealed, so that only `notify` can read them.

Sealing (docs/OUTBOX.md): each container asks KMS once for a data key
(GenerateDataKey: the plaintext key and the same key encrypted under the
outbox key). A link's token is HMAC-SHA256(data key, seed) with a 256-bit
seed from `secrets`. The queued notice carries the seed and the encrypted
data key; `notify`, whose role alone may call kms:Decrypt, recovers the key
and so the token. Reading the queue or the dead-letter queue yields no
usable link; the API functions never need to decrypt anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from functools import cache, lru_cache

from chiave.runtime import coldstart
from chiave.runtime.aws import kms

TOKEN_BYTES = 32  # 256 bits
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_DERIVATION_LABEL = b"chiave/link-token/v1\x00"
_CODE_LABEL = b"chiave/sms-code/v1\x00"
DIGITS = "0123456789"


def b64url(data: bytes) -> str:
    """base64url without padding (RFC 4648 §5): tokens, PKCE challenges, subjects."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pkce_challenge(verifier: str) -> str:
    """A PKCE verifier's S256 challenge (RFC 7636 §4.2): BASE64URL(SHA-256(verifier))."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def is_well_formed(token: str) -> bool:
    """A token we could have issued; anything else is refused without a lookup."""
    return bool(_TOKEN_SHAPE.match(token))


def new_token() -> str:
    """A token handed to the client directly (a PIN's SMS step), never queued."""
    return b64url(secrets.token_bytes(TOKEN_BYTES))


@dataclass(frozen=True)
class DataKey:
    plaintext: bytes
    encrypted: str  # base64url of KMS's CiphertextBlob


@dataclass(frozen=True)
class SealedToken:
    """A token as the queue carries it: useless without kms:Decrypt."""

    encrypted_key: str
    seed: str


coldstart.on_warm_up(kms)


@cache
def data_key(key_id: str) -> DataKey:
    """This container's data key: one KMS call per container, not per request."""
    answer = kms().generate_data_key(KeyId=key_id, KeySpec="AES_256")
    return DataKey(plaintext=answer["Plaintext"], encrypted=b64url(answer["CiphertextBlob"]))


def _derive(key: bytes, seed: bytes) -> str:
    return b64url(hmac.new(key, _DERIVATION_LABEL + seed, hashlib.sha256).digest())


def new_sealed_token(key: DataKey) -> tuple[str, SealedToken]:
    """A fresh token and its sealed form, for the outbox."""
    seed = secrets.token_bytes(TOKEN_BYTES)
    return _derive(key.plaintext, seed), SealedToken(encrypted_key=key.encrypted, seed=b64url(seed))


def _derive_code(key: bytes, seed: bytes, length: int, alphabet: str) -> str:
    # 256 bits written in `alphabet`, the last `length` characters: for ten
    # characters of 32 symbols the bias is below 2^-200.
    number = int.from_bytes(hmac.new(key, _CODE_LABEL + seed, hashlib.sha256).digest(), "big")
    characters = []
    for _ in range(length):
        number, rank = divmod(number, len(alphabet))
        characters.append(alphabet[rank])
    return "".join(reversed(characters))


def new_sealed_code(key: DataKey, length: int, alphabet: str = DIGITS) -> tuple[str, SealedToken]:
    """A fresh code (an SMS code, a PIN, a temporary code) of `length`
    characters of `alphabet`, and its sealed form: sealed as a link token is,
    so the queue never holds a code either."""
    seed = secrets.token_bytes(TOKEN_BYTES)
    return _derive_code(key.plaintext, seed, length, alphabet), SealedToken(
        encrypted_key=key.encrypted, seed=b64url(seed)
    )


@lru_cache(maxsize=256)
def _decrypted_key(encrypted_key: str) -> bytes:
    # Few distinct keys (one per API container): remember each once.
    plaintext: bytes = kms().decrypt(CiphertextBlob=_unb64(encrypted_key))["Plaintext"]
    return plaintext


def unseal(sealed: SealedToken) -> str:
    """The token itself (notify only: it needs kms:Decrypt)."""
    return _derive(_decrypted_key(sealed.encrypted_key), _unb64(sealed.seed))


def unseal_code(sealed: SealedToken, length: int, alphabet: str = DIGITS) -> str:
    """The code itself (notify only)."""
    return _derive_code(_decrypted_key(sealed.encrypted_key), _unb64(sealed.seed), length, alphabet)


@coldstart.on_restore
def forget_keys() -> None:
    """Each container its own data key, also when SnapStart resumes many
    from one snapshot; tests switch KMS between sessions."""
    data_key.cache_clear()
    _decrypted_key.cache_clear()
