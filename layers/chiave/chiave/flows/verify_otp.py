"""verify-otp: the SMS code (or, for an account with an authenticator app,
the app's code: chiave.steps.app_codes), compared in constant time with its keyed
hash; accepted once, within its lifetime, while attempts remain. Every wrong
code is counted by a conditional update that never passes the limit, and
the right one by a conditional update that succeeds at most once."""

from __future__ import annotations

import hmac
import secrets

from chiave.credentials import pepper
from chiave.domain import Flow
from chiave.errors import OtpExpired, OtpInvalid, OtpLocked, OtpNotNeeded
from chiave.runtime.observability import count_outcome
from chiave.steps import app_codes
from chiave.steps.reading import check_open, load_flow_and_code
from chiave.store import challenges


def verify_otp(token: str, code: str, now: float) -> None:
    flow, challenge = load_flow_and_code(token)
    check_open(flow, now)
    terms = flow.otp_terms
    if terms is None or not flow.otp_required:
        raise OtpNotNeeded()
    if flow.otp_by_app:
        _verify_app_code(flow, code, now)
        return
    if challenge is None:
        raise OtpInvalid(attempts_left=terms.max_attempts)
    if challenge.used_at is not None:
        raise OtpExpired()
    if challenge.locked(terms):
        raise OtpLocked()
    if now >= challenge.expires_at:
        raise OtpExpired()
    key = pepper.version(challenge.pepper_version)
    # The same work whether or not the code is right: one keyed hash, one comparison.
    given = pepper.code_hash(flow.token_sha256, code, key) if key else secrets.token_hex(32)
    if hmac.compare_digest(given, challenge.code_hash):
        if not challenges.mark_verified(flow, challenge, terms.max_attempts, int(now)):
            raise OtpExpired()  # a concurrent verification, a resend or the flow's end won
        count_outcome("verify_otp", "verified")
        return
    failures = challenges.count_code_failure(flow, challenge, terms.max_attempts)
    if failures is None:  # replaced, used or locked meanwhile
        raise OtpLocked() if challenge.failures + 1 >= terms.max_attempts else OtpExpired()
    count_outcome("verify_otp", "wrong_code")
    if failures >= terms.max_attempts:
        raise OtpLocked()
    raise OtpInvalid(attempts_left=terms.max_attempts - failures)


def _verify_app_code(flow: Flow, code: str, now: float) -> None:
    """The app's code, once per time step for the account: a code already
    used (replayed) counts as a wrong one."""
    if flow.otp_verified:
        raise OtpExpired(otp_method="app")
    step = app_codes.matching_step("verify_otp", flow, code, now)
    outcome = challenges.mark_verified_by_app(flow, step, app_codes.max_attempts(flow), int(now))
    if outcome == "replayed":
        count_outcome("verify_otp", "replayed_app_code")
        app_codes.refuse("verify_otp", flow)
    if outcome == "lost":
        raise OtpExpired(otp_method="app")  # verified, used, locked or expired meanwhile
    count_outcome("verify_otp", "verified_by_app")
