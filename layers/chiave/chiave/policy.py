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
SignInMethod = Literal["spid", "cie", "password"]
IsoDate = Annotated[str, StringConstraints(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")]


DEFAULT_AUDIT_RETENTION_DAYS = 400


class Policy(BaseModel):
    # Strict: `true` is not a count and "7" is not a length; refuse, don't coerce.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    activation_link_lifetime_s: int = Field(
        259_200,
        ge=600,
        le=604_800,
        description="How long an activation link (register, invitation) works, in seconds",
    )
    reset_link_lifetime_s: int = Field(
        3_600, ge=300, le=86_400, description="How long a reset link works, in seconds"
    )
    otp_length: int = Field(6, ge=6, le=8, description="Digits of an SMS code")
    otp_lifetime_s: int = Field(300, ge=60, le=600, description="How long an SMS code works, in seconds")
    otp_max_attempts: int = Field(
        5, ge=1, le=10, description="Wrong codes before the code is locked (a new one must be sent)"
    )
    otp_max_sends_per_flow: int = Field(5, ge=1, le=10, description="SMS codes one link may send")
    otp_resend_cooldown_s: int = Field(
        60, ge=0, le=600, description="Seconds before another SMS code may be sent on the same link"
    )
    sms_per_number_per_day: int = Field(10, ge=1, le=50, description="SMS to one number a day")
    sms_allowed_prefixes: list[E164Prefix] = Field(
        default_factory=lambda: ["+39"],
        min_length=1,
        description="The international prefixes an SMS may go to (E.164, e.g. +39)",
    )
    requests_per_identifier_per_hour: int = Field(
        5,
        ge=1,
        le=100,
        description="Register or reset requests for one codice fiscale, user code or e-mail an hour",
    )
    requests_per_ip_per_hour: int = Field(
        100,
        ge=10,
        le=10_000,
        description="Register or reset requests from one client address an hour (the school's own limit)",
    )
    # Register and every kind of reset together; credential-change notices are never capped.
    link_emails_per_recipient_per_hour: int = Field(
        5,
        ge=1,
        le=20,
        description="Link e-mails to one address an hour, for each kind of identifier asked by (codice "
        "fiscale, user code, e-mail)",
    )
    login_max_failures: int = Field(10, ge=1, le=100, description="Wrong passwords before a login is locked")
    login_lock_s: int = Field(900, ge=60, le=86_400, description="How long a locked login waits, in seconds")
    pin_length: int = Field(6, ge=5, le=8, description="Digits of a PIN")
    pin_max_attempts: int = Field(5, ge=1, le=10, description="Wrong PINs before the PIN is locked")
    otp_required_for_activation: bool = Field(
        True, description='An SMS code is needed to activate ("a due vie")'
    )
    otp_required_for_reset: bool = Field(False, description="An SMS code is needed to reset a password")
    password_profile: PasswordProfile = Field(
        "registro",
        description="Password rules: registro (8+ characters, a digit, upper and lower case, a special "
        "character) or nist (15+ characters)",
    )
    disclosure: Disclosure = Field(
        "private",
        description="private: every answer the same whoever asks; explicit: say why (not registered, "
        "no e-mail)",
    )
    pin_delivery: Literal["response", "email"] = Field(
        "response", description="The PIN shown once in the answer, or sent by e-mail"
    )
    in_person_identification: bool = Field(
        False, description="A new account waits for identification at the school before it is active"
    )
    language: Language = Field(
        "it", description="The language of e-mails and SMS (it: Italian then English; en: English)"
    )
    # SMS-pumping budget: every SMS of the school, a day.
    sms_per_school_per_day: int = Field(
        500, ge=10, le=100_000, description="SMS of the whole school a day (a budget against SMS pumping)"
    )
    otp_required_for_pin: bool = Field(False, description="An SMS code is needed to get a PIN")
    sign_in_second_factor: bool = Field(
        False, description="Signing in to a register needs a second factor (an SMS code or the app)"
    )
    # L. 182/2025 art. 51: registers are entered with SPID or CIE (docs/COMPLIANCE.md).
    sign_in_methods: list[SignInMethod] = Field(
        default_factory=lambda: list[SignInMethod](["spid", "cie"]),
        min_length=1,
        description="How people sign in to the registers: spid, cie, password",
    )
    passwords_until: IsoDate | None = Field(
        None,
        description="A school in transition: password sign-in is also offered until this day (included), "
        "ISO date",
    )
    spid_min_level: int = Field(
        2, ge=1, le=3, description="The lowest SPID level (CIE levels alike) a sign-in is accepted at"
    )
    # Each mobile change texts a new number: an account cannot spend the school's SMS budget on them.
    mobile_changes_per_account_per_day: int = Field(
        3, ge=1, le=10, description="Changes of mobile one account may start a day (each sends an SMS)"
    )
    mobile_changes_per_account_per_month: int = Field(
        6, ge=1, le=30, description="Changes of mobile one account may start in 30 days"
    )
    factor_change_cool_off_s: int = Field(
        86_400,
        ge=3_600,
        le=604_800,
        description="How long a contact or factor changed without the current factor waits, in seconds, "
        "with a notice that can cancel it",
    )
    # How long an account's audit items are kept (GDPR art. 5(1)(e); art. 15 reads them).
    audit_retention_days: int = Field(
        DEFAULT_AUDIT_RETENTION_DAYS, ge=30, le=3_650, description="Days an account's audit items are kept"
    )
    # The age of digital consent in Italy: younger students' credentials are their parents' matter.
    student_min_age: int = Field(
        14, ge=0, le=18, description="The age below which a student gets no credentials of their own"
    )


def offers_passwords(policy: Policy, today: str) -> bool:
    """Password sign-in is offered: the school allows it, or is in transition until `today` or later
    (`today` an ISO date in Rome)."""
    return "password" in policy.sign_in_methods or (
        policy.passwords_until is not None and today <= policy.passwords_until
    )


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
