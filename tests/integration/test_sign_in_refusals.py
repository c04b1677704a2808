"""What the sign-in refuses, with only what each party has: a register
whose client the operator disabled, an account the school disabled, a login
locked by wrong passwords (the same lockout as every login: no second copy);
and an account the office disables, revokes or erases: its sessions and
token families end with it, in the same transaction."""

from __future__ import annotations

import pytest

from chiave_local.emulator.events import authorize_event, query_of
from tests.integration.helpers import (
    PASSWORD,
    activate,
    authorize,
    ops,
    register_client,
    sign_in_answer,
    signed_in_code,
    signed_in_session,
    token_request,
)

MARIA = "RSSMRA82C52H501K"


def _request(stack, load_event) -> str:
    return query_of(authorize(stack, load_event).headers["Location"])["richiesta"]


def test_a_disabled_client_can_neither_send_anyone_nor_exchange_a_code_it_holds(stack, load_event):
    # Given a register holding a fresh code, and then its client disabled by the operator
    secret, user_code = register_client(stack), activate(stack, load_event, MARIA)
    code = signed_in_code(stack, load_event, user_code)
    from chiave_local.emulator.events import load_event as sample

    assert stack.functions.invoke("ConfigureClientFunction", sample("configure_client_disable"))["ok"]
    # When it sends someone to sign in: an error page, never a redirect
    page = stack.functions.invoke("AuthorizeFunction", authorize_event())  # HTML: not parsed
    assert page["statusCode"] == 400 and "Location" not in (page.get("multiValueHeaders") or {})
    assert "non è registrato" in page["body"]
    # When it exchanges the code with its right secret: refused as a client
    answer = token_request(stack, load_event, secret, code=code)
    assert (answer.status, answer.body["error"]) == (401, "invalid_client")


def test_an_account_the_school_disabled_does_not_sign_in_even_with_its_password(stack, load_event):
    register_client(stack)
    user_code = activate(stack, load_event, MARIA)
    assert ops(stack, "ops_disable")["ok"]
    answer = sign_in_answer(stack, load_event, _request(stack, load_event), user_code, PASSWORD)
    assert answer.status in (401, 403), answer.body
    assert "redirect" not in answer.body and "Set-Cookie" not in answer.headers


def test_a_locked_login_is_refused_with_retry_after_even_with_the_right_password(stack, load_event):
    # Given wrong passwords until the login locks
    register_client(stack)
    user_code = activate(stack, load_event, MARIA)
    statuses = []
    for _ in range(20):
        wrong = sign_in_answer(stack, load_event, _request(stack, load_event), user_code, "Sbagliata-1!")
        statuses.append(wrong.status)
        if wrong.status == 423:
            break
    assert statuses[-1] == 423, statuses
    # When the right password comes: still 423, with when to try again, and no session
    right = sign_in_answer(stack, load_event, _request(stack, load_event), user_code, PASSWORD)
    assert right.status == 423 and int(right.headers["Retry-After"]) > 0
    assert right.body["code"] == "account_locked" and "Set-Cookie" not in right.headers


@pytest.mark.parametrize("room", [80, 1], ids=["in-the-transaction", "more-than-it-holds"])
@pytest.mark.parametrize("action", ["ops_disable", "ops_revoke", "ops_erase"])
def test_the_console_s_disable_revoke_and_erase_end_the_account_s_sessions_and_token_families(
    stack, load_event, monkeypatch, action, room
):
    # (room: how many sessions and families one transaction takes; the others end right after it)
    from chiave.store import grants

    monkeypatch.setattr(grants, "ENDED_IN_TRANSACTION", room)
    # Given Maria signed in at a register: a browser session and a refresh token family
    secret, user_code = register_client(stack), activate(stack, load_event, MARIA)
    cookie = signed_in_session(stack, load_event, user_code)
    code = query_of(authorize(stack, load_event, cookie=cookie).headers["Location"])["code"]
    issued = token_request(stack, load_event, secret, code=code).body
    # When the school's office disables, revokes or erases her account
    answer = ops(stack, action)
    assert answer["ok"], answer
    # Then the browser's session no longer signs her in: the register gets the sign-in page
    again = authorize(stack, load_event, cookie=cookie)
    assert "richiesta" in query_of(again.headers["Location"])
    # And neither the refresh token nor the access token works any more
    refreshed = token_request(
        stack, load_event, secret, grant_type="refresh_token", refresh_token=issued["refresh_token"]
    )
    assert (refreshed.status, refreshed.body["error"]) == (400, "invalid_grant")
    bearer = {"Authorization": f"Bearer {issued['access_token']}"}
    assert stack.call("UserinfoFunction", load_event("userinfo", headers=bearer)).status == 401


def test_disabling_again_ends_what_a_first_run_could_not(stack, load_event, monkeypatch):
    from chiave.store import grants

    # Given Maria's session and token family, and a disable whose batch after the transaction fails
    secret, user_code = register_client(stack), activate(stack, load_event, MARIA)
    cookie = signed_in_session(stack, load_event, user_code)
    code = query_of(authorize(stack, load_event, cookie=cookie).headers["Location"])["code"]
    issued = token_request(stack, load_event, secret, code=code).body
    monkeypatch.setattr(grants, "ENDED_IN_TRANSACTION", 1)
    real_end_now = grants.end_now

    def fails(rest):
        from botocore.exceptions import ClientError

        throttled = {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}
        raise ClientError(throttled, "BatchWriteItem")

    monkeypatch.setattr(grants, "end_now", fails)
    # (the account disabled in the transaction; one of its grants left by the failed batch)
    assert not ops(stack, "ops_disable")["ok"]
    monkeypatch.setattr(grants, "end_now", real_end_now)
    # When the office disables her again: nothing changes in her status, and what was left ends
    assert ops(stack, "ops_disable")["changed"] is False
    refresh = {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]}
    assert token_request(stack, load_event, secret, **refresh).body["error"] == "invalid_grant"
    assert "richiesta" in query_of(authorize(stack, load_event, cookie=cookie).headers["Location"])
