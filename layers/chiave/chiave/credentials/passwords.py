"""Password rules (SPEC §5) and argon2id hashing (SPEC §6).

A rejection names every rule that failed, so a page can show them all at once.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from chiave.policy import PasswordProfile

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MAX_LENGTH = 128
ARGON2_TIME_COST = 3
ARGON2_MEMORY_KIB = 19_456
# Name parts shorter than this are too common inside ordinary words to refuse.
MIN_CONTEXT_WORD_LENGTH = 3
# A common word padded with digits or symbols ("Juventus2024!") is still common.
MIN_COMMON_CORE_LENGTH = 6


@dataclass(frozen=True)
class ProfileRules:
    min_length: int
    composition: bool


PROFILES: dict[str, ProfileRules] = {
    "registro": ProfileRules(min_length=8, composition=True),
    "nist": ProfileRules(min_length=15, composition=False),
}


def normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("chiave").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def _is_common(lowered: str) -> bool:
    listed = common_passwords()
    if lowered in listed:
        return True
    core = lowered.strip("0123456789!?.,;:-_@#$%&*+=/\\|~^'\"()[]{}<> ")
    return len(core) >= MIN_COMMON_CORE_LENGTH and core in listed


def _is_special(char: str) -> bool:
    return not char.isalnum() and not char.isspace()


def failed_rules(password: str, profile: PasswordProfile, context_words: Iterable[str] = ()) -> list[str]:
    """The names of the rules `password` breaks; empty when it is acceptable."""
    rules = PROFILES[profile]
    candidate = normalise(password)
    failures: list[str] = []
    if len(candidate) < rules.min_length:
        failures.append("min_length")
    if len(candidate) > MAX_LENGTH:
        failures.append("max_length")
    if rules.composition:
        if not any(char.isdigit() for char in candidate):
            failures.append("digit")
        if not any(char.isupper() for char in candidate):
            failures.append("uppercase")
        if not any(char.islower() for char in candidate):
            failures.append("lowercase")
        if not any(_is_special(char) for char in candidate):
            failures.append("special")
    lowered = candidate.casefold()
    if _is_common(lowered):
        failures.append("common")
    for word in context_words:
        folded = normalise(word).casefold()
        parts = [folded, *folded.split()] if " " in folded else [folded]
        if any(len(part) >= MIN_CONTEXT_WORD_LENGTH and part in lowered for part in parts):
            failures.append("personal_data")
            break
    return failures


def rule_description(rule: str, profile: PasswordProfile, language: str) -> str:
    min_length = PROFILES[profile].min_length
    texts = {
        "min_length": (f"almeno {min_length} caratteri", f"at least {min_length} characters"),
        "max_length": (f"al massimo {MAX_LENGTH} caratteri", f"at most {MAX_LENGTH} characters"),
        "digit": ("almeno una cifra", "at least one digit"),
        "uppercase": ("almeno una lettera maiuscola", "at least one upper-case letter"),
        "lowercase": ("almeno una lettera minuscola", "at least one lower-case letter"),
        "special": ("almeno un carattere speciale", "at least one special character"),
        "common": ("non deve essere una password comune", "must not be a common password"),
        "personal_data": (
            "non deve contenere codice fiscale, nome, cognome o codice utente",
            "must not contain the codice fiscale, name, surname or user code",
        ),
        "history": (
            "non deve essere la password attuale né una delle quattro precedenti",
            "must be neither the current password nor one of the four before it",
        ),
    }
    italian, english = texts[rule]
    return english if language == "en" else italian


def profile_rules(profile: PasswordProfile) -> list[str]:
    """Every rule of a profile, in the order a page would list them."""
    base = ["min_length", "max_length"]
    if PROFILES[profile].composition:
        base += ["digit", "uppercase", "lowercase", "special"]
    return [*base, "common", "personal_data"]


@cache
def _hasher() -> PasswordHasher:
    # Imported on first use: only the flows that hash pay for it at cold start.
    from argon2 import PasswordHasher, Type

    # One pass above OWASP's minimum for argon2id (m = 19 MiB, t = 2, p = 1):
    # a verification costs 33-43 ms of CPU here (docs/PERFORMANCE.md, `make
    # bench`), within the 60 ms budget. Hashes made with older parameters
    # are rehashed at the next successful login.
    return PasswordHasher(
        time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=1, type=Type.ID
    )


def hash_secret(secret: str) -> str:
    return _hasher().hash(normalise(secret))


def verify_secret(stored_hash: str, secret: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(stored_hash, normalise(secret))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


@cache
def _dummy_hash() -> str:
    # A hash of nothing anyone knows, with the current parameters.
    import secrets

    return hash_secret(secrets.token_urlsafe(32))


def warm_hashing() -> None:
    """Before SnapStart's snapshot, in the flows that hash (only they register
    it: the other functions never pay argon2's set-up)."""
    _hasher()


def warm_verifying() -> None:
    """Before the snapshot, in the flows that verify a login or a PIN: the
    dummy hash too, so that the first unknown login is not the slow one."""
    _hasher()
    _dummy_hash()


def warm_rules() -> None:
    """Before the snapshot, in the flows that check a new password: the list."""
    common_passwords()


def verify_any(stored_hashes: Iterable[str], secret: str) -> str | None:
    """The stored hash `secret` matches, if any. With no hash at all (an
    unknown login, an account without a password) the same argon2 work is
    done against a fixed dummy hash, so the answer's timing tells nothing."""
    candidates = list(stored_hashes)
    if not candidates:
        verify_secret(_dummy_hash(), secret)
        return None
    return next((stored for stored in candidates if verify_secret(stored, secret)), None)
