"""A code from an authenticator app, checked against a flow: what
verify-otp (for an account with an app) and the enrolment's confirmation
share. Wrong codes count on the flow like wrong SMS codes do, never past
the school's `otp_max_attempts`."""

from __future__ import annotations

from typing import NoReturn

from chiave.credentials import totp
from chiave.domain import Flow
from chiave.errors import OtpExpired, OtpInvalid, OtpLocked
from chiave.runtime.observability import count_outcome
from chiave.store import challenges


def max_attempts(flow: Flow) -> int:
    assert flow.otp_terms is not None
    return flow.otp_terms.max_attempts


def matching_step(flow_name: str, flow: Flow, code: str, now: float) -> int:
    """The time step of the app's code; a wrong one is counted and refused."""
    assert flow.totp_sealed is not None
    limit = max_attempts(flow)
    if flow.otp_failures >= limit:
        raise OtpLocked(otp_method="app")
    secret = totp.unseal(flow.totp_sealed, flow.school_id, flow.codice_fiscale)
    step = totp.matching_step(secret, code, now)
    if step is None:
        refuse(flow_name, flow)
    return step


def refuse(flow_name: str, flow: Flow) -> NoReturn:
    """Count a wrong (or replayed) code and say how many are left."""
    limit = max_attempts(flow)
    failures = challenges.count_app_code_failure(flow, limit)
    count_outcome(flow_name, "wrong_app_code")
    if failures is None:  # used or locked meanwhile
        raise OtpLocked(otp_method="app") if flow.otp_failures + 1 >= limit else OtpExpired(otp_method="app")
    if failures >= limit:
        raise OtpLocked(otp_method="app")
    raise OtpInvalid(attempts_left=limit - failures, otp_method="app")
