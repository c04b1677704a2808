"""send-otp and verify-otp: activation "a due vie" (link + SMS code), and
each limit of SPEC §5, against moto."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest

from chiave.credentials import pepper
from chiave.store import schools
from tests.integration.helpers import (
    PASSWORD,
    activate,
    confirm,
    last_sms_code,
    last_token,
    request_reset,
    texts,
)

MARIA = "RSSMRA82C52H501K"  # +393331234567 on file
LUCA = "BNCLCU79S05F205Y"  # no mobile on file


def _link(stack, load_event, cf=MARIA, source_ip=None, **policy):
    stack.set_policy(**{"otp_required_for_activation": True, **policy})
    registered = stack.call(
        "RegisterFunction", load_event("register", body={"codice_fiscale": cf}, source_ip=source_ip)
    )
    assert registered.status == 202, registered.body
    return last_token(stack)


def _send(stack, load_event, token, **overrides):
    return stack.call("SendOtpFunction", load_event("send_otp", body={"token": token}, **overrides))


def _verify(stack, load_event, token, code):
    return stack.call("VerifyOtpFunction", load_event("verify_otp", body={"token": token, "code": code}))


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


def test_activation_a_due_vie_link_then_sms_code_then_password(stack, load_event):
    # Given a school on the default policy (a code is required) and a parent's link
    token = _link(stack, load_event)
    assert confirm(stack, load_event, token).body["code"] == "otp_required"
    # When the parent asks for a code
    sent_answer = _send(stack, load_event, token)
    # Then it goes to the number on file, told by a hint, within one SMS part
    assert sent_answer.status == 202
    assert sent_answer.body == {"phone_hint": "+39 *** *** **67", "expires_in": 300, "resend_after": 60}
    message = texts(stack)[-1]
    assert message["to"] == "+393331234567"
    assert len(message["text"]) <= 160 and message["text"].endswith(
        f"@registro.example.it #{last_sms_code(stack)}"
    )
    # When the code is entered, Then the flow is verified and the password can be set
    assert _verify(stack, load_event, token, last_sms_code(stack)).body == {"verified": True}
    status = stack.call("FlowStatusFunction", load_event("flow_status", body={"token": token})).body
    assert status["otp_verified"] is True and "otp_resend_after" not in status
    assert confirm(stack, load_event, token, PASSWORD).status == 200


def test_a_school_may_require_the_code_for_resets_too(stack, load_event):
    token = _link(stack, load_event, otp_required_for_activation=False)
    assert confirm(stack, load_event, token).status == 200
    stack.set_policy(otp_required_for_activation=False, otp_required_for_reset=True)
    reset = stack.call("RequestResetFunction", load_event("request_reset", body={"identifier": MARIA}))
    assert reset.status == 202
    token = last_token(stack)
    assert confirm(stack, load_event, token, "Altra-Password-7").body["code"] == "otp_required"
    assert _send(stack, load_event, token).status == 202
    assert _verify(stack, load_event, token, last_sms_code(stack)).status == 200
    assert confirm(stack, load_event, token, "Altra-Password-7").status == 200


def test_wrong_codes_count_down_then_lock_and_a_resend_does_not_reset_them(stack, load_event):
    token = _link(stack, load_event, otp_max_attempts=3, otp_resend_cooldown_s=0)
    _send(stack, load_event, token)
    first = _verify(stack, load_event, token, _wrong(last_sms_code(stack)))
    assert (first.status, first.body["code"], first.body["attempts_left"]) == (400, "otp_invalid", 2)
    # A resend replaces the code but keeps its failures
    _send(stack, load_event, token)
    code = last_sms_code(stack)
    assert _verify(stack, load_event, token, _wrong(code)).body["attempts_left"] == 1
    locked = _verify(stack, load_event, token, _wrong(code))
    assert (locked.status, locked.body["code"]) == (429, "otp_locked")
    # Dead: even the right code is refused
    assert _verify(stack, load_event, token, code).body["code"] == "otp_locked"
    # A new send gives a new code with fresh attempts (and counts as a send)
    _send(stack, load_event, token)
    assert _verify(stack, load_event, token, last_sms_code(stack)).status == 200


def test_a_code_past_its_lifetime_is_refused_and_a_code_never_verifies_twice(stack, load_event):
    token = _link(stack, load_event)
    _send(stack, load_event, token)
    code = last_sms_code(stack)
    with mock.patch("time.time", return_value=time.time() + 301):
        expired = _verify(stack, load_event, token, code)
    assert (expired.status, expired.body["code"]) == (410, "otp_expired")
    # A fresh code (after the cooldown), used once
    with mock.patch("time.time", return_value=time.time() + 61):
        _send(stack, load_event, token)
    code = last_sms_code(stack)
    assert _verify(stack, load_event, token, code).status == 200
    assert _verify(stack, load_event, token, code).body["code"] == "otp_expired"


def test_resends_wait_for_the_cooldown_and_stop_at_the_sends_per_flow(stack, load_event):
    token = _link(stack, load_event, otp_max_sends_per_flow=2, otp_resend_cooldown_s=60)
    assert _send(stack, load_event, token).status == 202
    early = _send(stack, load_event, token)
    assert (early.status, early.body["code"]) == (429, "rate_limited")
    assert 55 <= int(early.headers["Retry-After"]) <= 60
    later = time.time() + 61
    with mock.patch("time.time", return_value=later):
        assert _send(stack, load_event, token).status == 202
    with mock.patch("time.time", return_value=later + 61):
        exhausted = _send(stack, load_event, token)
    assert (exhausted.status, exhausted.body["code"]) == (429, "rate_limited")
    assert len(texts(stack)) == 2


@pytest.mark.parametrize(
    "policy, cap",
    [({"sms_per_number_per_day": 2}, "per number"), ({"sms_per_school_per_day": 10}, "per school")],
)
def test_daily_sms_caps_stop_sending(stack, load_event, policy, cap):
    # Given a cap, and links enough to reach it (each link sends once)
    allowed = next(iter(policy.values()))
    answers = []
    for _ in range(allowed + 1):
        token = _link(
            stack,
            load_event,
            **policy,
            requests_per_identifier_per_hour=100,
            link_emails_per_recipient_per_hour=20,
        )
        answers.append(_send(stack, load_event, token).status)
    # Then the SMS past the cap is refused, and nothing more was sent
    assert answers == [202] * allowed + [429], cap
    assert len(texts(stack)) == allowed


def _reset_link(stack, load_event, cf, **policy):
    """An active account's reset link under a school that asks for the SMS code on reset."""
    stack.set_policy(otp_required_for_activation=False)
    activate(stack, load_event, cf)
    stack.set_policy(otp_required_for_activation=False, otp_required_for_reset=True, **policy)
    assert request_reset(stack, load_event, cf).status == 202
    return last_token(stack)


def test_no_mobile_or_a_number_outside_the_prefixes_gets_a_clear_problem_and_no_sms(stack, load_event):
    # (A registration under "a due vie" sends no such link at all: test_register.)
    missing = _send(stack, load_event, _reset_link(stack, load_event, LUCA))
    assert (missing.status, missing.body["code"]) == (422, "mobile_missing")
    assert "segreteria" in missing.body["detail"]
    outside = _send(stack, load_event, _reset_link(stack, load_event, MARIA, sms_allowed_prefixes=["+41"]))
    assert (outside.status, outside.body["code"]) == (422, "mobile_not_allowed")
    assert texts(stack) == []


def test_ops_switch_stops_every_sms(stack, load_event):
    token = _link(stack, load_event)
    with stack.env():
        schools.set_sms_switch(False, changed_by="ops@example.it", reason="SMS pumping", now=time.time())
    refused = _send(stack, load_event, token)
    assert (refused.status, refused.body["code"]) == (503, "sms_unavailable")
    assert refused.headers["Retry-After"] == "3600"
    assert texts(stack) == []
    # And switched on again, the same link sends
    with stack.env():
        schools.set_sms_switch(True, changed_by="ops@example.it", reason="over", now=time.time())
    assert _send(stack, load_event, token).status == 202


def test_a_flow_that_needs_no_code_sends_none(stack, load_event):
    token = _link(stack, load_event, otp_required_for_activation=False)
    refused = _send(stack, load_event, token)
    assert (refused.status, refused.body["code"]) == (409, "otp_not_needed")


def test_fifty_verifications_at_once_count_no_more_failures_than_allowed_and_succeed_once(stack, load_event):
    # Given one code and 50 parallel attempts: 45 wrong, 5 right
    token = _link(stack, load_event, otp_max_attempts=10)
    _send(stack, load_event, token)
    code = last_sms_code(stack)
    guesses = [_wrong(code)] * 45 + [code] * 5
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda guess: _verify(stack, load_event, token, guess), guesses))
    statuses = [answer.status for answer in answers]
    # Then at most one success, and never more wrong codes counted than allowed
    assert statuses.count(200) <= 1
    left = [answer.body["attempts_left"] for answer in answers if answer.body.get("code") == "otp_invalid"]
    assert len(left) <= 9 and len(set(left)) == len(left)
    assert all(status in (200, 400, 410, 429) for status in statuses)


def test_logs_hold_neither_the_code_nor_the_full_number(stack, load_event, capsys):
    token = _link(stack, load_event)
    _send(stack, load_event, token)
    code = last_sms_code(stack)
    _verify(stack, load_event, token, _wrong(code))
    logs = capsys.readouterr().out
    assert "+393331234567" not in logs and "3331234567" not in logs
    assert code not in logs


def test_send_otp_tells_the_link_holder_nothing_new(stack, load_event):
    # An unknown or malformed token gets the same answer as any bad link
    for token in ("A" * 43, "x"):
        answer = _send(stack, load_event, token)
        assert answer.status in (400, 422)
    # The hint hides all but the last two digits
    token = _link(stack, load_event)
    hint = _send(stack, load_event, token).body["phone_hint"]
    assert re.fullmatch(r"\+39 \*\*\* \*\*\* \*\*\d\d", hint)


def test_sends_count_against_the_address_like_every_other_request(stack, load_event):
    # Given a school that allows 10 requests an hour from one address
    answers = []
    for number in range(11):
        token = _link(
            stack,
            load_event,
            source_ip=f"198.51.100.{number}",
            requests_per_ip_per_hour=10,
            requests_per_identifier_per_hour=100,
            link_emails_per_recipient_per_hour=20,
            sms_per_number_per_day=50,
        )
        # When every code is asked from one address (the links from others)
        answers.append(_send(stack, load_event, token, source_ip="203.0.113.9").status)
    # Then the eleventh is refused
    assert answers == [202] * 10 + [429]


def test_a_code_made_before_a_pepper_rotation_still_verifies(stack, load_event):
    # Given a code hashed under the first pepper
    token = _link(stack, load_event, otp_resend_cooldown_s=0)
    _send(stack, load_event, token)
    code = last_sms_code(stack)
    # When ops rotate the pepper, keeping the old one, and a new container verifies
    manager = stack.deployment.client("secretsmanager")
    secret_id = stack.deployment.refs["PepperSecret"]
    old = json.loads(manager.get_secret_value(SecretId=secret_id)["SecretString"])
    rotated = {"version": "2", "pepper": "n" * 64, "previous": {old["version"]: old["pepper"]}}
    manager.put_secret_value(SecretId=secret_id, SecretString=json.dumps(rotated))
    pepper.forget()
    # Then the code made before still verifies
    assert _verify(stack, load_event, token, code).status == 200


def test_a_container_that_has_not_seen_the_rotation_reads_it_when_it_meets_a_new_version(stack):
    with stack.env("VerifyOtpFunction"):
        # Given a container that read the first pepper
        first = pepper.current()
        # When another container hashes under a rotated pepper
        manager = stack.deployment.client("secretsmanager")
        rotated = {"version": "2", "pepper": "m" * 64, "previous": {first.version: first.key.decode()}}
        manager.put_secret_value(
            SecretId=stack.deployment.refs["PepperSecret"], SecretString=json.dumps(rotated)
        )
        assert pepper.current() == first  # read once per container
        # Then meeting version 2 makes this one read the secret again, and both versions are known
        assert pepper.version("2") == pepper.Pepper("2", b"m" * 64)
        assert pepper.version(first.version) == first
        assert pepper.version("9") is None


def test_a_link_killed_by_a_later_password_sends_no_sms(stack, load_event):
    # Given two activation links, and a password set with the second
    first = _link(stack, load_event)
    second = _link(stack, load_event)
    _send(stack, load_event, second)
    assert _verify(stack, load_event, second, last_sms_code(stack)).status == 200
    assert confirm(stack, load_event, second).status == 200
    sent_before = len(texts(stack))
    # When the first link asks for a code
    refused = _send(stack, load_event, first)
    # Then it is told the link is used, and no SMS leaves
    assert (refused.status, refused.body["code"]) == (410, "token_used")
    assert len(texts(stack)) == sent_before
