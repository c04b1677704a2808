"""Authenticator apps (TOTP, RFC 6238, through pyotp): 30-second steps,
6 digits, SHA-1, which every app reads from an `otpauth://` URI.

The secret is encrypted at rest with KMS (`Encrypt`, a key of its own,
`TotpKey`, with the account as encryption context), not with a key derived
from the pepper: no library here offers an authenticated cipher, and
encryption is not written by hand. Enrolment makes one Encrypt call; a
container decrypts each account's secret once (one Decrypt, then cached in
memory like the pepper). Only the functions that check app codes may
decrypt (verify-otp, the enrolment's confirmation)."""

from __future__ import annotations

import base64
import hmac
from functools import lru_cache

from chiave.runtime import coldstart
from chiave.runtime.aws import kms
from chiave.runtime.settings import settings
from chiave.store import keys

STEP_S = 30
DIGITS = 6
# A code of the step before or after also passes: phone clocks drift, typing takes time.
WINDOW_STEPS = 1


def new_secret() -> str:
    """160 random bits in base32 (RFC 4226's recommended length)."""
    import pyotp

    return pyotp.random_base32()


def provisioning_uri(secret: str, account_name: str, issuer: str) -> str:
    """What the app scans as a QR code (or takes as a link on the phone itself)."""
    import pyotp

    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).provisioning_uri(
        name=account_name, issuer_name=issuer
    )


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step whose code `code` is, within the window; None if none.
    Every step of the window is computed and compared in constant time."""
    import pyotp

    app = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S)
    current = int(now) // STEP_S
    matched = None
    for step in range(current - WINDOW_STEPS, current + WINDOW_STEPS + 1):
        if hmac.compare_digest(app.generate_otp(step), code):
            matched = step
    return matched


def _context(school_id: str, codice_fiscale: str) -> dict[str, str]:
    # Binds the ciphertext to its account; CloudTrail logs it, so no PII.
    return {"purpose": "totp", "account": keys.account_ref(school_id, codice_fiscale)}


def seal(secret: str, school_id: str, codice_fiscale: str) -> str:
    answer = kms().encrypt(
        KeyId=settings().totp_key_id,
        Plaintext=secret.encode("ascii"),
        EncryptionContext=_context(school_id, codice_fiscale),
    )
    return base64.b64encode(answer["CiphertextBlob"]).decode("ascii")


@lru_cache(maxsize=1024)
def unseal(sealed: str, school_id: str, codice_fiscale: str) -> str:
    answer = kms().decrypt(
        KeyId=settings().totp_key_id,
        CiphertextBlob=base64.b64decode(sealed),
        EncryptionContext=_context(school_id, codice_fiscale),
    )
    return bytes(answer["Plaintext"]).decode("ascii")


@coldstart.on_restore
def forget() -> None:
    """No secret in a SnapStart snapshot; tests switch KMS between sessions."""
    unseal.cache_clear()
