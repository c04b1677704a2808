"""PINs (SPEC §6): `pin_length` digits from `secrets`, stored as argon2id over
an HMAC of the PIN under the pepper. A dump of the table alone cannot try the
10^6 PINs (the pepper is elsewhere); the pepper alone cannot either (argon2).
The HMAC binds the PIN to its account, so two equal PINs hash apart."""

from __future__ import annotations

import secrets

from chiave.credentials import passwords, pepper
from chiave.domain import StoredPin
from chiave.runtime import coldstart

coldstart.on_warm_up(passwords.warm_verifying)


def new_pin(length: int) -> str:
    return str(secrets.randbelow(10**length)).zfill(length)


def _keyed(key: pepper.Pepper, school_id: str, codice_fiscale: str, pin: str) -> str:
    return pepper.keyed_hash(key, "pin", school_id, codice_fiscale, pin)


def hash_pin(school_id: str, codice_fiscale: str, pin: str) -> StoredPin:
    key = pepper.current()
    return StoredPin(passwords.hash_secret(_keyed(key, school_id, codice_fiscale, pin)), key.version)


def verify_pin(stored: StoredPin | None, school_id: str, codice_fiscale: str, pin: str) -> bool:
    """Whether `pin` is the account's; without a PIN (or with a pepper version
    no longer known) the same argon2 work is done against the dummy hash."""
    key = pepper.version(stored.pepper_version) if stored else None
    if stored is None or key is None:
        passwords.verify_any([], pin)
        return False
    return passwords.verify_any([stored.hash], _keyed(key, school_id, codice_fiscale, pin)) is not None


def needs_rehash(stored: StoredPin) -> bool:
    """Older argon2 parameters or an older pepper: hash it again while the PIN is at hand."""
    return passwords.needs_rehash(stored.hash) or stored.pepper_version != pepper.current().version
