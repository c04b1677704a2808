"""How long the sign-in's grants live. A code (OpenID Connect Core §3.1.3.2,
RFC 9700 §4.2.1) works once within 60 seconds, and its replay, however
late, revokes what it issued. The browser's session ends after 30 minutes
unused or 8 hours in all. The clock is moved forward rather than waited for."""

from __future__ import annotations

import time

import pytest

from chiave_local.emulator.events import query_of
from tests.integration.helpers import (
    activate,
    authorize,
    register_client,
    signed_in_code,
    signed_in_session,
    token_request,
)

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


def _signed_in_at_once(stack, load_event, cookie: str) -> bool:
    """A register's request is answered with a code, no sign-in page."""
    return "code" in query_of(authorize(stack, load_event, cookie=cookie).headers["Location"])


@pytest.mark.parametrize(
    ("uses", "alive"),
    [
        ([29 * 60], True),  # used within the idle limit
        ([31 * 60], False),  # left idle half an hour
        ([20 * 60, 45 * 60, 70 * 60], True),  # each use keeps it alive
        ([25 * 60 * i for i in range(1, 20)] + [8 * 3600 + 60], False),  # kept alive, yet ends at 8 h
    ],
    ids=["recent", "idle", "kept-alive", "absolute"],
)
def test_the_session_ends_when_left_idle_or_at_its_absolute_end(stack, load_event, later, uses, alive):
    # Given Maria signed in at Chiave's page
    register_client(stack)
    cookie = signed_in_session(stack, load_event, activate(stack, load_event, MARIA))
    # When registers ask for her at these moments
    for moment in uses[:-1]:
        later(moment)
        assert _signed_in_at_once(stack, load_event, cookie), moment
    later(uses[-1])
    # Then the last is answered at once only while the session lives
    assert _signed_in_at_once(stack, load_event, cookie) is alive
