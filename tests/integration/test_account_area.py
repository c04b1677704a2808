"""The account area (/v1/account): the parent's own, with the browser's
session and never a password. Each sensitive change is refused without a
fresh sign-in (the session signed in more than FRESH_S ago) and made after
signing in again through the sign-in, as Chiave's own client; the change is
its flow's own (rules, factor step-up, notices, audit). Signing out ends one
device or every session and refresh family, and tells the registers."""

from __future__ import annotations

import time

import pyotp
import pytest

from chiave.credentials import tokens
from chiave.steps import session
from chiave.store import keys
from chiave_local.emulator.events import query_of, sign_in_event
from tests.integration.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    activate,
    authorize,
    change_factor,
    register_client,
    sign_in_answer,
    signed_in_session,
    token_request,
)

MARIA = "RSSMRA82C52H501K"


@pytest.fixture
def maria(stack, load_event) -> tuple[str, str, str]:
    """Maria signed in at the register just now: her user code, her session cookie
    (`name=value`), and the register's client secret."""
    secret = register_client(stack)
    user_code = activate(stack, load_event, MARIA)
    return user_code, signed_in_session(stack, load_event, user_code), secret


def _account(stack, load_event, sample: str, cookie: str | None, **body):
    headers = {"Cookie": cookie or ""}
    return stack.call("AccountFunction", load_event(sample, body=body or None, headers=headers))


def _signed_in_ago(stack, cookie: str, seconds: int) -> None:
    """As if the session had signed in `seconds` ago."""
    table = stack.deployment.refs["Table"]
    key = keys.session(tokens.token_hash(cookie.split("=", 1)[1]))
    stack.deployment.client("dynamodb").update_item(
        TableName=table,
        Key={name: {"S": value} for name, value in key.items()},
        UpdateExpression="SET auth_time = :then",
        ExpressionAttributeValues={":then": {"N": str(int(time.time()) - seconds)}},
    )


def _sign_in_again(stack, load_event, cookie: str, login: str, password: str = PASSWORD) -> str:
    """The account area's sign-in: on to /accedi, the password there, back to the account area.
    Returns where the return sends the browser."""
    started = stack.call("AccountFunction", load_event("account_sign-in", headers={"Cookie": cookie}))
    assert started.status == 302, started.body
    verifier = started.headers["Set-Cookie"].split(";")[0]
    request = query_of(started.headers["Location"])["richiesta"]
    event = sign_in_event(request, login, password)
    event["headers"]["Cookie"] = cookie
    signed = stack.call("SignInFunction", event)
    assert signed.status == 200, signed.body
    assert signed.headers["Set-Cookie"].split(";")[0] == cookie  # the same session, signed in again
    back = query_of(signed.body["redirect"])
    returned = load_event("account_return", headers={"Cookie": f"{cookie}; {verifier}"})
    returned["queryStringParameters"] = back
    answer = stack.call("AccountFunction", returned)
    assert answer.status == 302
    return answer.headers["Location"]


def test_the_overview_shows_her_own_without_a_password_and_nothing_without_a_session(
    stack, load_event, maria
):
    user_code, cookie, _secret = maria
    # When she opens the account area with her session
    seen = _account(stack, load_event, "account_account", cookie)
    # Then she sees her school, her contacts masked, this device and the register it entered, the sign-in
    assert seen.status == 200, seen.body
    assert (
        seen.body["user_code"] == user_code
        and "@" in seen.body["email_hint"]
        and "*" in seen.body["email_hint"]
    )
    (device,) = seen.body["devices"]
    assert device["this_device"] and device["registers"] == ["Registro elettronico dimostrativo"]
    assert "signed_in" in [event["action"] for event in seen.body["events"]]
    # And without a session, or with a made-up one: 401, a problem saying to sign in
    for cookie_sent in (None, "__Host-chiave-session=" + "x" * 43):
        refused = _account(stack, load_event, "account_account", cookie_sent)
        assert (refused.status, refused.body["code"]) == (401, "not_signed_in")


CHANGES = {
    "account_password": {"new_password": NEW_PASSWORD},
    "account_email": {"email": "maria.nuova@example.it"},
    "account_mobile": {"mobile": "+39 347 765 4321"},
    "account_app": {},
    "account_pin": {},
}
# What each change answers once made: the flow's own answer.
MADE = {
    "account_password": lambda stack, body: body == {"changed": True},
    "account_email": lambda stack, body: "maria.nuova@example.it" in [m["to"] for m in stack.deliver()],
    "account_mobile": lambda stack, body: body["token"] and body["phone_hint"].endswith("21"),
    "account_app": lambda stack, body: body["otpauth_uri"].startswith("otpauth://totp/"),
    "account_pin": lambda stack, body: body["pin"].isdigit(),
}


@pytest.mark.parametrize("sample", sorted(CHANGES))
def test_a_sensitive_change_wants_a_fresh_sign_in_and_is_made_after_one(stack, load_event, maria, sample):
    user_code, cookie, _secret = maria
    # Given her session signed in longer ago than the account area allows
    _signed_in_ago(stack, cookie, session.FRESH_S + 60)
    # When she makes the change: refused, saying how long a sign-in lasts for it, and nothing changed
    stale = _account(stack, load_event, sample, cookie, **CHANGES[sample])
    assert (stale.status, stale.body["code"]) == (401, "fresh_sign_in_required"), stale.body
    assert stale.body["max_age"] == session.FRESH_S
    # When she signs in again through the sign-in (the password, under its lockout)
    assert _sign_in_again(stack, load_event, cookie, user_code).endswith("/profilo")
    # Then the same change, with her factor's step-up as ever, is made
    if sample == "account_password":  # a password is no factor: no step-up
        made = _account(stack, load_event, sample, cookie, **CHANGES[sample])
    else:
        made = change_factor(stack, load_event, sample, headers={"Cookie": cookie}, **CHANGES[sample])
    assert made.status in (200, 201, 202), made.body
    assert MADE[sample](stack, made.body), made.body


def test_a_new_password_from_the_account_area_follows_the_school_s_rules_and_signs_in(
    stack, load_event, maria
):
    user_code, cookie, _secret = maria
    weak = _account(stack, load_event, "account_password", cookie, new_password="password")
    assert (weak.status, weak.body["code"]) == (422, "weak_password")
    same = _account(stack, load_event, "account_password", cookie, new_password=PASSWORD)
    assert same.status == 422 and "history" in str(same.body)
    assert _account(stack, load_event, "account_password", cookie, new_password=NEW_PASSWORD).status == 200
    request = query_of(authorize(stack, load_event).headers["Location"])["richiesta"]
    assert sign_in_answer(stack, load_event, request, user_code, PASSWORD).status == 401
    request = query_of(authorize(stack, load_event).headers["Location"])["richiesta"]
    assert sign_in_answer(stack, load_event, request, user_code, NEW_PASSWORD).status == 200


def test_an_app_is_enrolled_and_removed_with_its_own_code(stack, load_event, maria):
    _user_code, cookie, _secret = maria
    started = change_factor(stack, load_event, "account_app", headers={"Cookie": cookie})
    app = pyotp.TOTP(started.body["secret"])
    confirm = load_event("totp_confirm", body={"enrolment": started.body["enrolment"], "code": app.now()})
    assert stack.call("TotpFunction", confirm).status == 200
    assert _account(stack, load_event, "account_account", cookie).body["has_app"] is True
    # Removing it asks for a code from that app (the factor she has), then removes it
    asked = _account(stack, load_event, "account_remove", cookie)
    assert (asked.status, asked.body["code"], asked.body["otp_method"]) == (403, "otp_required", "app")
    removed = change_factor(stack, load_event, "account_remove", app=app, headers={"Cookie": cookie})
    assert removed.status == 200, removed.body
    assert _account(stack, load_event, "account_account", cookie).body["has_app"] is False
    again = _account(stack, load_event, "account_remove", cookie)
    assert (again.status, again.body["code"]) == (409, "app_missing")


def test_the_return_takes_only_this_browser_s_own_code_once(stack, load_event, maria):
    user_code, cookie, _secret = maria
    started = stack.call("AccountFunction", load_event("account_sign-in", headers={"Cookie": cookie}))
    verifier = started.headers["Set-Cookie"].split(";")[0]
    request = query_of(started.headers["Location"])["richiesta"]
    event = sign_in_event(request, user_code, PASSWORD)
    event["headers"]["Cookie"] = cookie
    back = query_of(stack.call("SignInFunction", event).body["redirect"])

    def returned(cookies: str):
        answer = load_event("account_return", headers={"Cookie": cookies})
        answer["queryStringParameters"] = back
        return stack.call("AccountFunction", answer).headers["Location"]

    # Without the verifier this browser kept, or from another browser's session: not taken
    assert returned(cookie).endswith("esito=expired")
    other = signed_in_session(stack, load_event, user_code)
    assert returned(f"{other}; {verifier}").endswith("esito=expired")
    # With both: taken, once
    assert returned(f"{cookie}; {verifier}").endswith("/profilo")
    assert returned(f"{cookie}; {verifier}").endswith("esito=expired")


def test_signing_out_everywhere_ends_every_session_and_refresh_family(stack, load_event, maria):
    user_code, cookie, secret = maria
    other_device = signed_in_session(stack, load_event, user_code)
    code = query_of(authorize(stack, load_event, cookie=other_device).headers["Location"])["code"]
    issued = token_request(stack, load_event, secret, code=code).body
    seen = _account(stack, load_event, "account_account", cookie).body
    assert len(seen["devices"]) == 2
    # When she signs out of the other device only
    other = next(device["id"] for device in seen["devices"] if not device["this_device"])
    one = _account(stack, load_event, "account_sign-out", cookie, device=other)
    assert one.body == {"devices": 1, "here": False} and "Set-Cookie" not in one.headers
    assert "richiesta" in query_of(authorize(stack, load_event, cookie=other_device).headers["Location"])
    assert _account(stack, load_event, "account_account", cookie).status == 200
    # When she signs out everywhere: this device too, and the refresh token stops working
    everywhere = _account(stack, load_event, "account_sign-out", cookie, device="all")
    assert everywhere.body["here"] is True and "Max-Age=0" in everywhere.headers["Set-Cookie"]
    refreshed = token_request(
        stack, load_event, secret, grant_type="refresh_token", refresh_token=issued["refresh_token"]
    )
    assert (refreshed.status, refreshed.body["error"]) == (400, "invalid_grant")
    assert _account(stack, load_event, "account_account", cookie).status == 401


def test_no_account_area_route_takes_a_password():
    # The account area adds no route that accepts a password without the lockout: none takes one at all
    from chiave.api import models

    for name in dir(models):
        model = getattr(models, name)
        if isinstance(model, type) and name.startswith("Account") and issubclass(model, models.Request):
            assert not {"password", "current_password", "login"} & set(model.model_fields), name


# ---- what the registers read of her e-mail ----------------------------------------------


def _userinfo(stack, load_event, secret: str, cookie: str) -> dict:
    code = query_of(authorize(stack, load_event, cookie=cookie).headers["Location"])["code"]
    access = token_request(stack, load_event, secret, code=code).body["access_token"]
    return stack.call(
        "UserinfoFunction", load_event("userinfo", headers={"Authorization": f"Bearer {access}"})
    ).body


def test_the_e_mail_is_verified_for_the_registers_only_while_a_link_proved_it(stack, load_event, maria):
    from dataclasses import replace

    from chiave.store import people

    _user_code, cookie, secret = maria
    # Given Maria activated by the link e-mailed to her address: it is verified
    assert _userinfo(stack, load_event, secret, cookie)["email_verified"] is True
    # When the school's file gives her another address (no link proved it): it is not
    with stack.env("OpsFunction"):
        person = people.get_school_and_person("RMIC817009", MARIA)[1]
        assert person is not None
        people.put_people([replace(person, email="maria.scuola@example.it")])
    seen = _userinfo(stack, load_event, secret, cookie)
    assert (seen["email"], seen["email_verified"]) == ("maria.scuola@example.it", False)


@pytest.mark.parametrize(
    ("given", "carried"), [("rmic817009", "RMIC817009"), ("<b>x</b>", None), ("RMIC81700", None)]
)
def test_the_account_area_s_sign_in_carries_on_only_a_school_code(stack, load_event, given, carried):
    # Given a browser without a session, sent to the account area's sign-in with ?scuola=
    event = load_event("account_sign-in")
    event["queryStringParameters"] = {"scuola": given}
    # When it is sent on to the sign-in page
    location = stack.call("AccountFunction", event).headers["Location"]
    # Then only a school code goes with it (else the parent chooses there)
    assert query_of(location).get("scuola") == carried
