"""What the sign-in refuses, with only what each party has: a register
whose client the operator disabled, an account the school disabled, a login
locked by wrong passwords (the same lockout as every login: no second copy)."""

from __future__ import annotations

from chiave_local.emulator.events import authorize_event, query_of
from tests.integration.helpers import (
    PASSWORD,
    activate,
    authorize,
    ops,
    register_client,
    sign_in_answer,
    signed_in_code,
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
