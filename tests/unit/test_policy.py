"""School policy: defaults and bounds (SPEC §5)."""

from __future__ import annotations

import pytest

from chiave.policy import Policy, PolicyError, overrides_of, policy_from_overrides

BOUNDS = {
    "activation_link_lifetime_s": (600, 604_800),
    "reset_link_lifetime_s": (300, 86_400),
    "otp_length": (6, 8),
    "otp_lifetime_s": (60, 600),
    "otp_max_attempts": (1, 10),
    "otp_max_sends_per_flow": (1, 10),
    "otp_resend_cooldown_s": (0, 600),
    "sms_per_number_per_day": (1, 50),
    "requests_per_identifier_per_hour": (1, 100),
    "requests_per_ip_per_hour": (10, 10_000),
    "login_max_failures": (1, 100),
    "pin_length": (5, 8),
    "pin_max_attempts": (1, 10),
}


def test_defaults_are_the_spec_s():
    policy = Policy()
    assert policy.activation_link_lifetime_s == 259_200
    assert policy.reset_link_lifetime_s == 3_600
    assert policy.otp_required_for_activation is True
    assert policy.otp_required_for_reset is False
    assert policy.password_profile == "registro"
    assert policy.disclosure == "private"
    assert policy.sms_allowed_prefixes == ["+39"]
    assert policy.language == "it"


@pytest.mark.parametrize("key", sorted(BOUNDS))
def test_bounds_are_enforced_never_clamped(key):
    low, high = BOUNDS[key]
    assert getattr(policy_from_overrides({key: low}), key) == low
    assert getattr(policy_from_overrides({key: high}), key) == high
    for outside in (low - 1, high + 1):
        with pytest.raises(PolicyError, match=key):
            policy_from_overrides({key: outside})


@pytest.mark.parametrize(
    "overrides",
    [
        {"password_profile": "weak"},
        {"disclosure": "loud"},
        {"language": "fr"},
        {"sms_allowed_prefixes": ["39"]},
        {"sms_allowed_prefixes": []},
        {"unknown_key": 1},
        {"requests_per_identifier_per_hour": True},
        {"otp_length": "7"},
        {"otp_required_for_activation": "no"},
        {"otp_required_for_reset": 1},
    ],
)
def test_bad_values_and_unknown_keys_are_refused(overrides):
    with pytest.raises(PolicyError, match=next(iter(overrides))):
        policy_from_overrides(overrides)


def test_only_overrides_are_stored():
    policy = policy_from_overrides({"disclosure": "explicit"})
    assert overrides_of(policy) == {"disclosure": "explicit"}
    assert policy_from_overrides(overrides_of(policy)) == policy
