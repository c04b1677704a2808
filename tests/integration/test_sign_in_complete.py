"""The sign-in, complete (issue 26), through the handlers: a temporary code
from the school office signs in once, through the forced password change,
and the register receives a normal ID token; under the same rules as any
password entry."""

from __future__ import annotations

import json

from chiave_local.emulator.events import authorize_event, load_event, query_of, token_event
from tests.integration.helpers import NEW_PASSWORD, paper_code_redemption, register_client
from tests.integration.spid_cie_world import claims_of

GIULIA = "VRDGLI85L61H501C"


def _request(stack) -> str:
    asked = stack.call("AuthorizeFunction", authorize_event(school="RMIC817009"))
    return query_of(asked.headers["Location"])["richiesta"]


def _from_the_sign_in(event: dict, request: str) -> dict:
    """The redeem event as the page sends it from the sign-in: with the register's request."""
    return {**event, "body": json.dumps({**json.loads(event["body"]), "request": request})}


def _redeem_from_the_sign_in(stack, request: str, paper: dict | None = None) -> object:
    event = paper or paper_code_redemption(stack, load_event)
    return stack.call("RedeemTemporaryCodeFunction", _from_the_sign_in(event, request))


def test_a_temporary_code_signs_in_once_through_the_forced_change_and_the_register_gets_an_id_token(stack):
    secret = register_client(stack)
    # Given a register's request, and Giulia's paper code from the office
    paper = paper_code_redemption(stack, load_event)
    answer = _redeem_from_the_sign_in(stack, _request(stack), paper)
    # Then her new password is set and she is signed in: the register has its code
    assert answer.status == 200, answer.body
    assert answer.body["user_code"] and answer.body["redirect"].startswith("https://registro.")
    assert answer.headers["Set-Cookie"].startswith("__Host-chiave-session=")
    code = query_of(answer.body["redirect"])["code"]
    exchanged = stack.call("TokenFunction", token_event(secret, code=code))
    claims = claims_of(exchanged.body["id_token"])
    assert claims["acr"] == "urn:chiave:acr:password" and claims["amr"] == ["pwd"]
    # And the code is spent: it signs in once
    again = _redeem_from_the_sign_in(stack, _request(stack), paper)
    assert again.status == 401, again.body
    # And the new password is hers from now on
    signed = stack.call(
        "SignInFunction",
        load_event(
            "sign_in",
            body={
                "request": _request(stack),
                "school": "RMIC817009",
                "login": answer.body["user_code"],
                "password": NEW_PASSWORD,
            },
        ),
    )
    assert signed.status == 200, signed.body


def test_a_temporary_code_from_the_sign_in_follows_the_school_s_password_rule(stack):
    register_client(stack)
    stack.set_policy("RMIC817009", sign_in_methods=["spid", "cie"])
    answer = _redeem_from_the_sign_in(stack, _request(stack))
    # Refused before anything is spent: the code still works at the school's own page
    assert answer.status == 403 and answer.body["code"] == "passwords_not_offered"
    plain = stack.call("RedeemTemporaryCodeFunction", paper_code_redemption(stack, load_event))
    assert (plain.status == 200 and "redirect" not in plain.body) or plain.body.get("redirect") is None


def test_a_request_already_answered_or_unknown_sets_nothing(stack):
    register_client(stack)
    answer = _redeem_from_the_sign_in(stack, "A" * 43)
    assert answer.status == 410, answer.body


# ---- "Password dimenticata?" from the sign-in page: back to the register -------------------

MARIA = "RSSMRA82C52H501K"


def _reset_from_the_sign_in(stack, request: str) -> str:
    """Maria asks for a reset on the sign-in page: the link's token."""
    from tests.integration.helpers import last_token

    event = load_event("request_reset", body={"identifier": MARIA, "request": request})
    assert stack.call("RequestResetFunction", event).status == 202
    return last_token(stack)


def test_a_reset_asked_at_the_sign_in_signs_in_and_goes_back_to_the_register(stack):
    from tests.integration.helpers import activate, confirm

    secret = register_client(stack)
    activate(stack, load_event, MARIA)
    # Given a reset asked from the register's sign-in page
    token = _reset_from_the_sign_in(stack, _request(stack))
    # When she sets her new password from the link
    done = confirm(stack, load_event, token, NEW_PASSWORD)
    # Then she is signed in and goes back to the register, to its registered redirect URI only
    assert done.status == 200, done.body
    assert done.body["redirect"].startswith("https://registro.icguicciardini.example/oidc/callback?code=")
    assert done.headers["Set-Cookie"].startswith("__Host-chiave-session=")
    code = query_of(done.body["redirect"])["code"]
    exchanged = stack.call("TokenFunction", token_event(secret, code=code))
    assert claims_of(exchanged.body["id_token"])["acr"] == "urn:chiave:acr:password"


def test_a_reset_whose_request_was_answered_meanwhile_only_sets_the_password(stack):
    from tests.integration.helpers import PASSWORD, activate, confirm

    register_client(stack)
    user_code = activate(stack, load_event, MARIA)
    request = _request(stack)
    token = _reset_from_the_sign_in(stack, request)
    # Given the same request answered in another tab, with her old password
    body = {"request": request, "school": "RMIC817009", "login": user_code, "password": PASSWORD}
    assert stack.call("SignInFunction", load_event("sign_in", body=body)).status == 200
    # When she sets her new password from the link
    done = confirm(stack, load_event, token, NEW_PASSWORD)
    # Then the password is set, and nothing is answered twice
    assert done.status == 200 and done.body.get("redirect") is None and "Set-Cookie" not in done.headers


def test_a_forged_request_in_a_reset_goes_nowhere(stack):
    from tests.integration.helpers import activate, confirm

    register_client(stack)
    activate(stack, load_event, MARIA)
    # An attacker's request id (no such request): the reset works, and sends her nowhere else
    token = _reset_from_the_sign_in(stack, "B" * 43)
    done = confirm(stack, load_event, token, NEW_PASSWORD)
    assert done.status == 200 and done.body.get("redirect") is None
