"""A code's life (OpenID Connect Core §3.1.3.2, RFC 9700 §4.2.1): it works
once within 60 seconds, and its replay, however late, revokes what it
issued. The clock is moved forward rather than waited for."""

from __future__ import annotations

import time

import pytest

from tests.integration.helpers import activate, register_client, signed_in_code, token_request

MARIA = "RSSMRA82C52H501K"


@pytest.fixture
def later(monkeypatch):
    """Moves every clock the functions read `seconds` forward."""
    real = time.time

    def move(seconds: float) -> None:
        monkeypatch.setattr(time, "time", lambda: real() + seconds)

    return move


def _userinfo_status(stack, load_event, access_token: str) -> int:
    event = load_event("userinfo", headers={"Authorization": f"Bearer {access_token}"})
    return int(stack.call("UserinfoFunction", event).status)


def test_oidcc_codereuse_30seconds_a_late_replay_still_revokes_the_tokens(stack, load_event, later):
    # Given a code exchanged by the register
    secret, user_code = register_client(stack), activate(stack, load_event, MARIA)
    code = signed_in_code(stack, load_event, user_code)
    issued = token_request(stack, load_event, secret, code=code).body
    assert _userinfo_status(stack, load_event, issued["access_token"]) == 200
    # When the same code comes again 30 seconds later
    later(31)
    replayed = token_request(stack, load_event, secret, code=code)
    # Then it is refused, and the tokens it issued stop working
    assert (replayed.status, replayed.body["error"]) == (400, "invalid_grant")
    assert _userinfo_status(stack, load_event, issued["access_token"]) == 401


def test_a_code_not_exchanged_within_60_seconds_is_refused(stack, load_event, later):
    secret, user_code = register_client(stack), activate(stack, load_event, MARIA)
    code = signed_in_code(stack, load_event, user_code)
    later(61)
    answer = token_request(stack, load_event, secret, code=code)
    assert (answer.status, answer.body["error"]) == (400, "invalid_grant")
