"""Password rules and hashing."""

from __future__ import annotations

import pytest

from chiave.credentials import passwords


@pytest.mark.parametrize(
    "password, failed",
    [
        ("Quaderno-Blu-42", []),
        ("short1!", ["min_length", "uppercase"]),
        ("alllowercase1!", ["uppercase"]),
        ("ALLUPPERCASE1!", ["lowercase"]),
        ("NoDigitsHere!", ["digit"]),
        ("NoSpecial123", ["special"]),
        ("Password1!", ["common"]),
        ("Juventus2024!", ["common"]),
        ("A1!a" * 40, ["max_length"]),
    ],
)
def test_registro_profile(password, failed):
    assert passwords.failed_rules(password, "registro") == failed


def test_nist_profile_wants_length_not_composition():
    assert passwords.failed_rules("correct horse battery staple", "nist") == []
    assert passwords.failed_rules("Short-Pass-1", "nist") == ["min_length"]


def test_context_words_are_refused_case_insensitively():
    context = ["RSSMRA82C52H501K", "Maria Grazia", "Rossi", "817536758"]
    assert passwords.failed_rules("Ciao-ROSSI-2026", "registro", context) == ["personal_data"]
    assert passwords.failed_rules("x-rssmra82c52h501k-X1", "registro", context) == ["personal_data"]
    assert passwords.failed_rules("Grazia-Mille-77", "registro", context) == ["personal_data"]
    assert passwords.failed_rules("Codice-817536758-A", "registro", context) == ["personal_data"]
    assert passwords.failed_rules("Quaderno-Blu-42", "registro", context) == []


def test_short_name_parts_do_not_block_ordinary_passwords():
    assert passwords.failed_rules("Quaderno-Blu-42", "registro", ["Li", "Bo"]) == []


def test_passwords_are_nfkc_normalised():
    # A full-width digit counts as a digit; a ligature normalises to letters.
    assert passwords.failed_rules("Quaderno-Blu-\uff14\uff12", "registro") == []
    hashed = passwords.hash_secret("ﬁne-Pass-42")
    assert passwords.verify_secret(hashed, "fine-Pass-42")


def test_hashes_are_argon2id_with_owasp_parameters_and_verify():
    hashed = passwords.hash_secret("Quaderno-Blu-42")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=3,p=1$")
    assert passwords.verify_secret(hashed, "Quaderno-Blu-42")
    assert not passwords.verify_secret(hashed, "Quaderno-Blu-43")
    assert not passwords.verify_secret("not a hash", "Quaderno-Blu-42")
    assert not passwords.needs_rehash(hashed)


def test_the_common_list_is_bundled_and_large():
    common = passwords.common_passwords()
    assert len(common) > 20_000
    assert {"password", "juventus", "qwertyuiop"} <= common


def test_every_rule_has_a_description_in_both_languages():
    for profile in ("registro", "nist"):
        for rule in passwords.profile_rules(profile):
            italian = passwords.rule_description(rule, profile, "it")
            english = passwords.rule_description(rule, profile, "en")
            assert italian and english and italian != english
