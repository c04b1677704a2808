"""User codes (Luhn check digit) and link tokens."""

from __future__ import annotations

import base64
import hashlib

from hypothesis import given
from hypothesis import strategies as st

from chiave.credentials import tokens, user_code


def test_new_user_codes_are_nine_digits_and_valid():
    codes = {user_code.new_user_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert len(code) == 9 and code.isdigit() and code[0] != "0"
        assert user_code.is_valid(code)


@given(st.integers(min_value=0, max_value=8), st.integers(min_value=1, max_value=9))
def test_any_single_digit_typo_is_caught(position, shift):
    code = "817536758"  # a valid code
    assert user_code.is_valid(code)
    typo = code[:position] + str((int(code[position]) + shift) % 10) + code[position + 1 :]
    assert not user_code.is_valid(typo)


def test_adjacent_swaps_are_caught():
    code = "817536758"
    for position in range(8):
        swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
        if swapped != code and {code[position], code[position + 1]} != {"0", "9"}:
            assert not user_code.is_valid(swapped)


KEY = tokens.DataKey(plaintext=bytes(range(32)), encrypted="sealed-by-kms")


def test_tokens_carry_256_bits_and_are_stored_as_sha256():
    token, sealed = tokens.new_sealed_token(KEY)
    assert len(base64.urlsafe_b64decode(token + "=")) == 32
    assert tokens.is_well_formed(token)
    assert tokens.token_hash(token) == hashlib.sha256(token.encode()).hexdigest()
    assert len({tokens.new_sealed_token(KEY)[0] for _ in range(1000)}) == 1000
    # And what the queue carries is the encrypted key and a 256-bit seed, never the token
    assert sealed.encrypted_key == KEY.encrypted
    assert len(base64.urlsafe_b64decode(sealed.seed + "=")) == 32
    assert token not in repr(sealed)


def test_malformed_tokens_are_recognised():
    for token in ("", "short", "A" * 44, "A" * 42 + "=", "A" * 42 + "\u00e8"):
        assert not tokens.is_well_formed(token)
