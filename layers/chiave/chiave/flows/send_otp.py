"""send-otp: an SMS code to the mobile the school has on file ("a due
vie": the link proves the mailbox, the code the phone).

A resend replaces the code but keeps its failure count (NIST SP 800-63B-4:
SMS is a restricted authenticator); once every attempt has failed the code
is dead and only a new send, counted against the flow's sends, gives
another. Every limit is counted in the transaction that stores the code
(chiave.challenges.send_code), with the outbox message's receipt."""

from __future__ import annotations

from dataclasses import dataclass

from chiave import ratelimit
from chiave.credentials import pepper, tokens
from chiave.domain import Challenge, Flow, OtpTerms, resend_after
from chiave.errors import (
    MobileMissing,
    MobileNotAllowed,
    OtpByApp,
    OtpNotNeeded,
    RateLimited,
    SmsUnavailable,
    TokenInvalid,
)
from chiave.italian import phone
from chiave.notify import outbox
from chiave.notify.outbox import Notice
from chiave.runtime import masking
from chiave.runtime.observability import count_outcome, logger
from chiave.runtime.settings import settings
from chiave.steps.reading import check_open, flow_key
from chiave.store import challenges, flows

# What a refused send tells the client while ops keep SMS switched off.
SWITCHED_OFF_RETRY_AFTER_S = 3600


@dataclass(frozen=True)
class Sent:
    phone_hint: str
    expires_in: int
    resend_after: int


def send_otp(token: str, client_ip: str, now: float) -> Sent:
    flow, challenge, sms_enabled = flows.get_flow_challenge_and_switch(flow_key(token))
    if flow is None:
        raise TokenInvalid()
    check_open(flow, now)
    terms = flow.otp_terms
    if terms is None or not flow.otp_required or flow.otp_verified:
        raise OtpNotNeeded()
    if flow.otp_by_app:
        # The stronger factor is not downgraded: a lost app is the school's to revoke.
        raise OtpByApp()
    if flow.mobile is None:
        raise MobileMissing()
    if not phone.may_receive_sms(flow.mobile, terms.allowed_prefixes):
        raise MobileNotAllowed()
    sends = challenge.sends if challenge else 0
    if sends >= terms.max_sends:
        # This link has had all its codes: a new link starts afresh.
        raise RateLimited(retry_after=max(1, int(flow.expires_at - now)))
    wait = resend_after(challenge, terms, now)
    if wait:
        raise RateLimited(retry_after=wait)
    if not sms_enabled:
        count_outcome("send_otp", "switched_off")
        raise SmsUnavailable(retry_after=SWITCHED_OFF_RETRY_AFTER_S)
    replacement, notice = new_code(flow, challenge, now)
    counters = [
        *daily_counters(flow, terms, now),
        *ratelimit.per_ip(
            flow.school_id,
            client_ip,
            terms.requests_per_ip_per_hour,
            settings().requests_per_ip_per_hour,
            now,
        ),
    ]
    message = outbox.queue([notice])
    challenges.send_code(flow, replacement, sends, counters, message.commit_id, now)
    logger.info(
        "sms code sent",
        extra={"school": flow.school_id, "to": masking.mask_phone(flow.mobile), "sends": replacement.sends},
    )
    count_outcome("send_otp", "sent")
    return sent(flow, replacement)


def sent(flow: Flow, challenge: Challenge) -> Sent:
    assert flow.mobile is not None and flow.otp_terms is not None
    return Sent(
        phone_hint=masking.phone_hint(flow.mobile),
        expires_in=challenge.expires_at - challenge.issued_at,
        resend_after=flow.otp_terms.resend_cooldown_s,
    )


def new_code(flow: Flow, previous: Challenge | None, now: float) -> tuple[Challenge, Notice]:
    """A new SMS code for `flow` (replacing `previous`) and the SMS carrying it, sealed."""
    terms, mobile = flow.otp_terms, flow.mobile
    assert terms is not None and mobile is not None
    moment = int(now)
    code, sealed = tokens.new_sealed_code(tokens.data_key(settings().outbox_key_id), terms.length)
    key = pepper.current()
    # A resend keeps the failures of a code still alive; a dead code's new one starts afresh.
    failures = previous.failures if previous and not previous.locked(terms) else 0
    replacement = Challenge(
        code_hash=pepper.code_hash(flow.token_sha256, code, key),
        pepper_version=key.version,
        issued_at=moment,
        expires_at=min(moment + terms.lifetime_s, flow.expires_at),
        sends=(previous.sends if previous else 0) + 1,
        failures=failures,
    )
    notice = Notice(
        channel="sms",
        template="otp",
        language=flow.language,
        to=mobile,
        school_name=flow.school_name,
        reply_to=flow.reply_to,
        params={
            "minutes": str(terms.lifetime_s // 60),
            "host": terms.portal_host,
            "length": str(terms.length),
        },
        sealed_token=sealed,
    )
    return replacement, notice


def daily_counters(flow: Flow, terms: OtpTerms, now: float) -> list[ratelimit.Counter]:
    """An SMS counts against its number's and its school's daily caps."""
    assert flow.mobile is not None
    return [
        ratelimit.daily("sms_number", flow.mobile, terms.per_number_per_day, now),
        ratelimit.daily("sms_school", flow.school_id, terms.per_school_per_day, now),
    ]
