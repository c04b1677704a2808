"""confirm-reset: set the password with a link token; completes both
activation and reset (SPEC §2.5)."""

from __future__ import annotations

from dataclasses import dataclass

from chiave import outbox, passwords, store, tokens
from chiave.domain import AccountStatus, Flow, Purpose
from chiave.errors import OtpRequired, TokenExpired, TokenInvalid, TokenUsed, WeakPassword
from chiave.observability import count_outcome, logger
from chiave.outbox import Notice
from chiave.user_code import new_user_code

USER_CODE_DRAWS = 5


@dataclass(frozen=True)
class Completed:
    user_code: str
    status: str


def load_open_flow(token: str, now: float) -> Flow:
    """The flow a token stands for, refused unless it is still usable.

    Expiry is checked here on every read: TTL deletes items up to two days
    late, and moto (like DynamoDB) keeps expired items until then."""
    if not tokens.is_well_formed(token):
        raise TokenInvalid()
    flow = store.get_flow(tokens.token_hash(token))
    if flow is None:
        raise TokenInvalid()
    if flow.used_at is not None:
        raise TokenUsed()
    if flow.is_expired(now):
        raise TokenExpired()
    return flow


def confirm(token: str, new_password: str, now: float) -> Completed:
    moment = int(now)
    flow = load_open_flow(token, moment)
    if flow.otp_required and not flow.otp_verified:
        raise OtpRequired()
    activation = flow.purpose is Purpose.ACTIVATION
    code = flow.user_code or new_user_code()
    context = [flow.codice_fiscale, flow.name, flow.surname, code]
    failed = passwords.failed_rules(new_password, flow.password_profile, context)
    if failed:
        count_outcome("confirm_reset", "weak_password")
        raise WeakPassword(rules=failed, profile=flow.password_profile)
    password_hash = passwords.hash_secret(new_password)
    if activation:
        new_status: AccountStatus | None = (
            AccountStatus.AWAITING_IDENTIFICATION if flow.in_person_identification else AccountStatus.ACTIVE
        )
    else:
        new_status = None
    for _draw in range(USER_CODE_DRAWS):
        try:
            store.complete_flow(flow, password_hash, code, new_status, moment)
            break
        except store.UserCodeTaken:
            code = new_user_code()
    else:
        raise RuntimeError("no free user code after several draws")
    status = (new_status or flow.account_status).value
    outbox.enqueue([_notice(flow, code)])
    logger.info("confirm-reset completed", extra={"purpose": flow.purpose.value, "school": flow.school_id})
    count_outcome("confirm_reset", f"{flow.purpose.value}_completed")
    return Completed(user_code=code, status=status)


def _notice(flow: Flow, user_code: str) -> Notice:
    """The second mail: the user code after activation, a notice after a reset.
    Never the password."""
    return Notice(
        template="activation_done" if flow.purpose is Purpose.ACTIVATION else "password_changed",
        language=flow.language,
        to=flow.email,
        school_name=flow.school_name,
        reply_to=flow.reply_to,
        params={"name": flow.name, "user_code": user_code},
    )
