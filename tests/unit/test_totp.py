"""Authenticator app codes (RFC 6238): the window around now, and nothing else."""

from __future__ import annotations

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chiave.credentials import totp

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = 1_795_000_000.0


@pytest.mark.parametrize("offset_steps", [-1, 0, 1])
def test_a_code_of_the_step_before_now_or_after_passes_with_its_step(offset_steps):
    # Given the app's code of a step within one of now (clocks drift, typing takes time)
    at = NOW + offset_steps * totp.STEP_S
    code = pyotp.TOTP(SECRET).at(at)
    # Then it matches, and names its own step (what replay protection records)
    assert totp.matching_step(SECRET, code, NOW) == int(at) // totp.STEP_S


@pytest.mark.parametrize("offset_steps", [-3, -2, 2, 3])
def test_a_code_outside_the_window_is_refused(offset_steps):
    code = pyotp.TOTP(SECRET).at(NOW + offset_steps * totp.STEP_S)
    window = {pyotp.TOTP(SECRET).at(NOW + step * totp.STEP_S) for step in (-1, 0, 1)}
    if code not in window:  # one chance in a million that two steps share a code
        assert totp.matching_step(SECRET, code, NOW) is None


@given(st.text(alphabet="0123456789", min_size=6, max_size=6))
def test_any_six_digits_match_at_most_the_window_s_codes(code):
    window = {pyotp.TOTP(SECRET).at(NOW + step * totp.STEP_S) for step in (-1, 0, 1)}
    assert (totp.matching_step(SECRET, code, NOW) is not None) == (code in window)


def test_the_uri_names_the_issuer_and_the_account_for_the_app():
    uri = totp.provisioning_uri(SECRET, "123456782", "Registro IC Esempio")
    assert uri.startswith("otpauth://totp/Registro%20IC%20Esempio:123456782?")
    assert f"secret={SECRET}" in uri and "issuer=Registro%20IC%20Esempio" in uri
