"""flow status: what a link is for, so a page can show the right form."""

from __future__ import annotations

from dataclasses import dataclass

from chiave.credentials import passwords
from chiave.domain import Change, can_send_in
from chiave.errors import TokenUsed
from chiave.policy import PasswordProfile
from chiave.runtime import masking
from chiave.runtime.observability import count_outcome
from chiave.steps import step_up
from chiave.steps.reading import check_open, load_flow_and_code
from chiave.store import accounts


@dataclass(frozen=True)
class PasswordRule:
    rule: str
    description: str


@dataclass(frozen=True)
class PasswordPolicy:
    profile: PasswordProfile
    min_length: int
    max_length: int
    rules: list[PasswordRule]


@dataclass(frozen=True)
class FlowStatus:
    purpose: str
    expires_at: int
    otp_required: bool
    otp_verified: bool
    password_policy: PasswordPolicy
    phone_hint: str | None = None
    otp_resend_after: int | None = None
    # Where the code comes from: "sms", or "app" (the account's authenticator).
    otp_method: str | None = None
    # A change made without a second factor (chiave.flows.factor_changes).
    change: str | None = None
    change_hint: str | None = None
    usable_from: int | None = None
    cool_off_s: int | None = None
    register_url: str | None = None
    # The school the link is for: its pages name it (/scuole/{code}.json).
    school: str | None = None


def flow_status(token: str, now: float, language: str) -> FlowStatus:
    flow, challenge = load_flow_and_code(token)
    check_open(flow, now)
    # A credential set since this link was issued has killed it.
    epoch, _status = accounts.account_state(flow.school_id, flow.codice_fiscale)
    if epoch != flow.credential_epoch:
        raise TokenUsed()
    profile = flow.password_profile
    count_outcome("flow_status", flow.purpose.value)
    change = step_up.change_params(Change(flow.change_kind, flow.change_to)) if flow.change_kind else None
    return FlowStatus(
        change=flow.change_kind,
        change_hint=change["hint"] if change else None,
        usable_from=flow.usable_from,
        cool_off_s=flow.cool_off_s,
        register_url=flow.register_url,
        school=flow.school_id,
        purpose=flow.purpose.value,
        expires_at=flow.expires_at,
        otp_required=flow.otp_required,
        otp_verified=flow.otp_verified,
        phone_hint=(
            masking.phone_hint(flow.mobile)
            if flow.otp_required and flow.mobile and not flow.otp_by_app
            else None
        ),
        otp_method=("app" if flow.otp_by_app else "sms") if flow.otp_required else None,
        otp_resend_after=can_send_in(flow, challenge, now),
        password_policy=PasswordPolicy(
            profile=profile,
            min_length=passwords.PROFILES[profile].min_length,
            max_length=passwords.MAX_LENGTH,
            rules=[
                PasswordRule(rule, passwords.rule_description(rule, profile, language))
                for rule in passwords.profile_rules(profile)
            ],
        ),
    )
