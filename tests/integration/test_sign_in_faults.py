"""The sign-in's endpoints when AWS fails at any of their calls: a clear
answer (the register told to try again, or 503 with Retry-After), and nothing
half-written: a request still answerable, a code still unused, no token."""

from __future__ import annotations

from typing import Any

import pytest

from chiave.credentials import tokens
from chiave.oidc import signing
from chiave.store import grants
from chiave_local.emulator.calls import FAULTS
from chiave_local.emulator.events import CALLBACK, query_of
from tests.integration.helpers import (
    activate,
    authorize,
    every_call,
    register_client,
    sign_in_answer,
    signed_in_code,
    signed_in_session,
    token_event_authorization,
    token_request,
)

MARIA = "RSSMRA82C52H501K"


@pytest.fixture
def signed_up(stack, load_event) -> tuple[str, str]:
    """The sample client's secret, and Maria's user code."""
    return register_client(stack), activate(stack, load_event, MARIA)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_authorize_tells_the_register_to_try_again(stack, load_event, signed_up, fault):
    def check(answer, made):
        location = answer.headers.get("Location", "")
        if location:  # the client and redirect URI known: the register is told
            assert location.startswith(CALLBACK) and query_of(location)["error"] == "temporarily_unavailable"
        else:
            assert answer.status == 503 and answer.headers["Retry-After"], (answer, made)

    assert every_call(stack, "AuthorizeFunction", fault, lambda: authorize(stack, load_event), check) >= 2
    # A browser still signed in, named by an ID token: the hint's keys, the session, the code and its use
    cookie = signed_in_session(stack, load_event, signed_up[1])
    code = query_of(authorize(stack, load_event, cookie=cookie).headers["Location"])["code"]
    hint = token_request(stack, load_event, signed_up[0], code=code)

    def signed_in() -> Any:
        signing.forget()  # a new container each time: the keys are read too
        return authorize(stack, load_event, cookie=cookie, id_token_hint=hint.body["id_token"])

    assert every_call(stack, "AuthorizeFunction", fault, signed_in, check) >= 4
    assert "code" in query_of(signed_in().headers["Location"])  # the session unharmed


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_failed_sign_in_leaves_the_request_answerable_and_no_session(stack, load_event, signed_up, fault):
    _secret, user_code = signed_up
    request = query_of(authorize(stack, load_event).headers["Location"])["richiesta"]

    def check(answer, made):
        assert answer.status == 503 and answer.headers["Retry-After"], (answer.body, made)
        with stack.env("SignInFunction"):
            assert grants.get_request(tokens.token_hash(request), 0) is not None

    tried = every_call(
        stack, "SignInFunction", fault, lambda: sign_in_answer(stack, load_event, request, user_code), check
    )
    assert tried >= 3


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_failed_exchange_leaves_the_code_unused_and_issues_nothing(stack, load_event, signed_up, fault):
    secret, user_code = signed_up
    code = signed_in_code(stack, load_event, user_code)

    def check(answer, made):
        assert answer.status == 503 and answer.body["error"] == "temporarily_unavailable", (answer.body, made)
        assert answer.headers["Retry-After"]
        with stack.env("TokenFunction"):
            assert grants.get_code(tokens.token_hash(code)).used_at is None

    tried = every_call(
        stack, "TokenFunction", fault, lambda: token_request(stack, load_event, secret, code=code), check
    )
    assert tried >= 4  # the client, the code, the signature (its key, Sign), the commit


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_userinfo_answers_503_when_aws_fails(stack, load_event, signed_up, fault):
    secret, user_code = signed_up
    code = signed_in_code(stack, load_event, user_code)
    access = token_request(stack, load_event, secret, code=code).body["access_token"]
    event = load_event("userinfo", headers={"Authorization": f"Bearer {access}"})

    def check(answer, made):
        assert answer.status == 503 and answer.body["error"] == "temporarily_unavailable", (answer.body, made)

    # Two calls: the token, then its family, the person and the school in one read
    tried = every_call(stack, "UserinfoFunction", fault, lambda: stack.call("UserinfoFunction", event), check)
    assert tried == 2


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_failed_refresh_leaves_the_refresh_token_usable(stack, load_event, signed_up, fault):
    secret, user_code = signed_up
    code = signed_in_code(stack, load_event, user_code)
    refresh = token_request(stack, load_event, secret, code=code).body["refresh_token"]

    def attempt():
        return token_request(stack, load_event, secret, grant_type="refresh_token", refresh_token=refresh)

    def check(answer, made):
        assert answer.status == 503 and answer.body["error"] == "temporarily_unavailable", (answer.body, made)
        with stack.env("TokenFunction"):
            assert "used_at" not in grants.get_refresh_token(tokens.token_hash(refresh))

    assert every_call(stack, "TokenFunction", fault, attempt, check) >= 4
    # And after the faults the refresh token still works, once
    assert attempt().status == 400  # the unfaulted attempt above used it: a second use is refused


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_failed_revocation_answers_503_and_may_be_sent_again(stack, load_event, signed_up, fault):
    secret, user_code = signed_up
    code = signed_in_code(stack, load_event, user_code)
    refresh = token_request(stack, load_event, secret, code=code).body["refresh_token"]
    event = load_event("revocation", raw_body=f"token={refresh}")
    event["headers"]["Authorization"] = token_event_authorization(secret)

    def check(answer, made):
        assert answer.status == 503 and answer.body["error"] == "temporarily_unavailable", (answer.body, made)

    assert (
        every_call(stack, "RevocationFunction", fault, lambda: stack.call("RevocationFunction", event), check)
        >= 3
    )
    refused = token_request(stack, load_event, secret, grant_type="refresh_token", refresh_token=refresh)
    assert refused.body["error"] == "invalid_grant"


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_failed_sign_out_answers_503_and_the_session_is_whole(stack, load_event, signed_up, fault):
    _secret, user_code = signed_up
    asked = authorize(stack, load_event)
    request = query_of(asked.headers["Location"])["richiesta"]
    done = sign_in_answer(stack, load_event, request, user_code)
    cookie = done.headers["Set-Cookie"].split(";")[0]
    event = load_event("end_session_post", headers={"Cookie": cookie})

    def check(answer, made):
        headers = {
            **(answer.get("headers") or {}),
            **{k: v[-1] for k, v in (answer.get("multiValueHeaders") or {}).items()},
        }
        assert answer["statusCode"] == 503 and headers["Retry-After"], (answer, made)
        with stack.env("EndSessionFunction"):
            assert grants.get_session(tokens.token_hash(cookie.split("=", 1)[1]), 0) is not None

    attempt = lambda: stack.functions.invoke("EndSessionFunction", event)  # noqa: E731 - a page, not JSON
    # the client, the session read, the session ended
    assert every_call(stack, "EndSessionFunction", fault, attempt, check) == 3
