"""Temporary codes ("codice personale temporaneo", Istanze OnLine; the
school-issued first access of Spaggiari): ten characters of an alphabet
without look-alikes (no 0/O, 1/I/L), for a person the school gives
credentials to, by e-mail or on paper. Valid once, for the activation
lifetime, only to set a password; stored as an argon2id hash."""

from __future__ import annotations

from chiave.credentials import passwords

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 10

# A code the operator prints and hands over in person: valid for one school day.
HANDED_OVER_LIFETIME_S = 8 * 3600


def normalise(raw: str) -> str:
    """As typed from a sheet of paper: any case, spaces or dashes between groups."""
    return raw.strip().upper().replace(" ", "").replace("-", "")


def hash_code(code: str) -> str:
    return passwords.hash_secret(normalise(code))


def printable(code: str) -> str:
    """Two groups of five, easier to read aloud and to copy."""
    return f"{code[:5]}-{code[5:]}"
