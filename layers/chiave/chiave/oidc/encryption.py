"""What a SPID or CIE provider encrypts to a school leaf (userinfo), opened
with the leaf's encryption key in KMS: the private key never leaves it.

joserfc reads the JWE grammar and decrypts the content; the content key,
wrapped with RSA-OAEP(-256) to the leaf's public key, is unwrapped by KMS
(one Decrypt), through key-management algorithms of our own registered with
joserfc under their standard names."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, Final

from chiave.runtime import coldstart
from chiave.runtime.aws import kms

if TYPE_CHECKING:
    from mypy_boto3_kms.literals import EncryptionAlgorithmSpecType

KEY_WRAPPING: Final[dict[str, EncryptionAlgorithmSpecType]] = {
    "RSA-OAEP": "RSAES_OAEP_SHA_1",
    "RSA-OAEP-256": "RSAES_OAEP_SHA_256",
}
CONTENT = ["A128CBC-HS256", "A256CBC-HS512", "A128GCM", "A256GCM"]


class NotOpened(Exception):
    """Not a JWE this key opens (grammar, algorithm, or the content's tag)."""


@cache
def _registry(key_id: str) -> Any:
    from joserfc.errors import DecodeError
    from joserfc.jwa import JWEKeyEncryption
    from joserfc.jwe import JWERegistry, Recipient
    from joserfc.jwk import RSAKey

    class KmsUnwrap(JWEKeyEncryption):
        key_types = ["RSA"]  # noqa: RUF012

        def __init__(self, name: str, kms_algorithm: EncryptionAlgorithmSpecType) -> None:
            self.name = name
            self.description = f"{name}, the content key unwrapped by AWS KMS"
            self.recommended = True
            self.kms_algorithm = kms_algorithm

        def encrypt_cek(self, cek: bytes, recipient: Recipient[RSAKey]) -> bytes:
            raise NotImplementedError("providers encrypt; Chiave opens")

        def decrypt_cek(self, recipient: Recipient[RSAKey]) -> bytes:
            from botocore.exceptions import ClientError

            try:
                answer = kms().decrypt(
                    KeyId=key_id,
                    CiphertextBlob=recipient.encrypted_key or b"",
                    EncryptionAlgorithm=self.kms_algorithm,
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "InvalidCiphertextException":
                    raise DecodeError("the content key does not open with this key") from None
                raise
            return bytes(answer["Plaintext"])

    class KmsRegistry(JWERegistry):
        algorithms = {  # noqa: RUF012 - joserfc keeps its algorithms on the class
            "alg": {name: KmsUnwrap(name, kms_name) for name, kms_name in KEY_WRAPPING.items()},
            "enc": {name: JWERegistry.algorithms["enc"][name] for name in CONTENT},
            "zip": {},
        }

    return KmsRegistry(algorithms=[*KEY_WRAPPING, *CONTENT])


def _load_jwe() -> None:
    import joserfc.jwe  # noqa: F401 - its algorithms registered before SnapStart's snapshot


coldstart.on_warm_up(_load_jwe)


def opened(token: str, key_id: str, public_key: Any) -> str:
    """The plaintext of a compact JWE wrapped to `public_key` (the KMS key `key_id`'s public half)."""
    from joserfc import jwe
    from joserfc.errors import JoseError

    try:
        decrypted = jwe.decrypt_compact(token.strip(), public_key, registry=_registry(key_id))
    except (JoseError, ValueError, TypeError) as error:
        raise NotOpened(str(error)) from None
    return (decrypted.plaintext or b"").decode("utf-8")
