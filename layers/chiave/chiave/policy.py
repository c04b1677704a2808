"""Per-school policy (SPEC §5): defaults and the bounds an override must respect.

An override outside its bound is refused with a clear error, never clamped.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

E164Prefix = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{0,3}$")]
PasswordProfile = Literal["registro", "nist"]
Disclosure = Literal["private", "explicit"]
Language = Literal["it", "en"]


DEFAULT_AUDIT_RETENTION_DAYS = 400


class Policy(BaseModel):
    # Strict: `true` is not a count and "7" is not a length; refuse, don't coerce.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    activation_link_lifetime_s: int = Field(259_200, ge=600, le=604_800)
    reset_link_lifetime_s: int = Field(3_600, ge=300, le=86_400)
    otp_length: int = Field(6, ge=6, le=8)
    otp_lifetime_s: int = Field(300, ge=60, le=600)
    otp_max_attempts: int = Field(5, ge=1, le=10)
    otp_max_sends_per_flow: int = Field(5, ge=1, le=10)
    otp_resend_cooldown_s: int = Field(60, ge=0, le=600)
    sms_per_number_per_day: int = Field(10, ge=1, le=50)
    sms_allowed_prefixes: list[E164Prefix] = Field(default_factory=lambda: ["+39"], min_length=1)
    requests_per_identifier_per_hour: int = Field(5, ge=1, le=100)
    requests_per_ip_per_hour: int = Field(100, ge=10, le=10_000)
    # Register and every kind of reset together; credential-change notices are never capped.
    link_emails_per_recipient_per_hour: int = Field(5, ge=1, le=20)
    login_max_failures: int = Field(10, ge=1, le=100)
    login_lock_s: int = Field(900, ge=60, le=86_400)
    pin_length: int = Field(6, ge=5, le=8)
    pin_max_attempts: int = Field(5, ge=1, le=10)
    otp_required_for_activation: bool = True
    otp_required_for_reset: bool = False
    password_profile: PasswordProfile = "registro"  # noqa: S105 - a profile name
    disclosure: Disclosure = "private"
    pin_delivery: Literal["response", "email"] = "response"
    in_person_identification: bool = False
    language: Language = "it"
    # SMS-pumping budget: every SMS of the school, a day.
    sms_per_school_per_day: int = Field(500, ge=10, le=100_000)
    otp_required_for_pin: bool = False
    # How long an account's audit items are kept (GDPR art. 5(1)(e); art. 15 reads them).
    audit_retention_days: int = Field(DEFAULT_AUDIT_RETENTION_DAYS, ge=30, le=3_650)
    # The age of digital consent in Italy: younger students' credentials are their parents' matter.
    student_min_age: int = Field(14, ge=0, le=18)


class PolicyError(ValueError):
    """An override that breaks a bound; the message names each offending key."""


def policy_from_overrides(overrides: dict[str, Any]) -> Policy:
    try:
        return Policy.model_validate(overrides)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or 'policy'}: {issue['msg']}"
            for issue in error.errors(include_url=False, include_input=False)
        )
        raise PolicyError(f"invalid school policy: {problems}") from None


def overrides_of(policy: Policy) -> dict[str, Any]:
    """What differs from the defaults: the form stored on the school item."""
    return policy.model_dump(mode="json", exclude_defaults=True)
