"""Steps several integration tests share."""

from __future__ import annotations

import re
import time
from typing import Any

from chiave_local.emulator.events import (
    authorize_event,
    client_authorization,
    query_of,
    sign_in_event,
    token_event,
)

PASSWORD = "Quaderno-Blu-42"


def token_in(mail: dict[str, Any]) -> str:
    """The link token an e-mail carries."""
    found = re.search(r"#token=([A-Za-z0-9_-]{43})", mail["text"])
    assert found, "no link in the e-mail"
    return found.group(1)


def last_token(stack: Any) -> str:
    return token_in(stack.deliver()[-1])


def texts(stack: Any) -> list[dict[str, Any]]:
    """Every SMS sent so far, once the outbox is delivered."""
    from chiave_local.demo import sent
    from tests.integration.conftest import REGION

    stack.deliver()
    return sent.outbox(REGION)["sms"]


def last_sms_code(stack: Any) -> str:
    found = re.search(r"#(\d{6,8})$", texts(stack)[-1]["text"])
    assert found, "no code in the last SMS"
    return found.group(1)


def confirm(
    stack: Any, load_event: Any, token: str, password: str = PASSWORD, key: str | None = None, **headers: str
) -> Any:
    body = {"token": token, "new_password": password} | ({"confirmation_key": key} if key else {})
    event = load_event("confirm_reset", body=body, headers=headers)
    return stack.call("ConfirmResetFunction", event)


def activate(stack: Any, load_event: Any, cf: str, password: str = PASSWORD) -> str:
    """Register and confirm; returns the user code."""
    registered = stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": cf}))
    assert registered.status == 202
    response = confirm(stack, load_event, last_token(stack), password)
    assert response.status == 200, response.body
    user_code: str = response.body["user_code"]
    return user_code


def request_reset(stack: Any, load_event: Any, identifier: str) -> Any:
    event = load_event("request_reset", body={"identifier": identifier})
    return stack.call("RequestResetFunction", event)


def unknown_codes(count: int) -> list[str]:
    """Valid codici fiscali of people in no anagrafica."""
    from chiave_local.demo.seed import generated_codes

    return generated_codes(count, "BNC")


SCHOOL = "RMIC817009"


def issue_pin(stack: Any, load_event: Any, login: str, password: str = PASSWORD, **fields: Any) -> Any:
    body = {"school": SCHOOL, "login": login, "password": password, **fields}
    return stack.call("IssuePinFunction", load_event("issue_pin", body=body))


def change_password(stack: Any, load_event: Any, login: str, current: str, new: str) -> Any:
    body = {"school": SCHOOL, "login": login, "current_password": current, "new_password": new}
    return stack.call("ChangePasswordFunction", load_event("change_password", body=body))


def verify_credentials(
    stack: Any, load_event: Any, login: str, password: str = PASSWORD, **kwargs: Any
) -> Any:
    body = {"school": SCHOOL, "login": login, "password": password}
    return stack.call("VerifyCredentialsFunction", load_event("verify_credentials", body=body, **kwargs))


def verify_pin(stack: Any, load_event: Any, user_code: str, pin: str) -> Any:
    body = {"school": SCHOOL, "user_code": user_code, "pin": pin}
    return stack.call("VerifyPinFunction", load_event("verify_pin", body=body))


NEW_PASSWORD = "Lavagna-Verde-77"


def paper_code_redemption(stack: Any, load_event: Any) -> Any:
    """A temporary code the office hands over on paper (Giulia has no e-mail), as a redeem event."""
    paper = stack.functions.invoke("OpsFunction", load_event("ops_issue_temporary_code"))
    body = {
        "school": SCHOOL,
        "login": "VRDGLI85L61H501C",
        "temporary_code": paper["temporary_code"],
        "new_password": NEW_PASSWORD,
    }
    return load_event("redeem_temporary_code", body=body)


def ops(stack: Any, sample: str = "ops", **fields: Any) -> dict[str, Any]:
    """The ops function's answer to a sample event with `fields` changed (None: removed)."""
    from chiave_local.emulator.events import load_event

    event = {**load_event(sample), **fields}
    event = {name: value for name, value in event.items() if value is not None}
    result: dict[str, Any] = stack.functions.invoke("OpsFunction", event)
    # Every answer names its invocation (CloudTrail ties it to the caller); the rest is the action's.
    assert result.pop("request_id"), result
    return result


# Changes of a factor or a contact (SPEC §6): the account's factor proves them first.
STEPPED_UP = {
    "contacts_email": "ContactsFunction",
    "contacts_mobile": "ContactsFunction",
    "totp_enrol": "TotpFunction",
    # The account area's, with the session's cookie (`headers`) instead of a password.
    "account_email": "AccountFunction",
    "account_mobile": "AccountFunction",
    "account_app": "AccountFunction",
    "account_remove": "AccountFunction",
    "account_pin": "AccountFunction",
}


def stepped_up_event(
    stack: Any,
    load_event: Any,
    sample: str,
    app: Any = None,
    headers: dict[str, str] | None = None,
    **body: Any,
) -> dict[str, Any]:
    """The event of a change the holder makes: asked once, her factor's code
    (the app's, given by `app`, a pyotp.TOTP; or the SMS to her mobile)
    verified on the step-up's token, the same body with that token. An
    account the step does not apply to gets the plain event."""
    function_id = STEPPED_UP[sample]
    asked = stack.call(function_id, load_event(sample, body=body, headers=headers))
    if not (asked.status == 403 and asked.body.get("code") == "otp_required" and "token" in asked.body):
        return dict(load_event(sample, body=body, headers=headers))
    token = asked.body["token"]
    if asked.body["otp_method"] == "app":
        code = app.at(time.time() + 30)  # the step after the one its enrolment used
    else:
        sent = stack.call("SendOtpFunction", load_event("send_otp", body={"token": token}))
        assert sent.status == 202, sent.body
        code = last_sms_code(stack)
    verified = stack.call("VerifyOtpFunction", load_event("verify_otp", body={"token": token, "code": code}))
    assert verified.status == 200, verified.body
    return dict(load_event(sample, body={**body, "token": token}, headers=headers))


def change_factor(
    stack: Any,
    load_event: Any,
    sample: str,
    app: Any = None,
    headers: dict[str, str] | None = None,
    **body: Any,
) -> Any:
    """A change of a factor or a contact as its holder makes it (`stepped_up_event`)."""
    return stack.call(STEPPED_UP[sample], stepped_up_event(stack, load_event, sample, app, headers, **body))


# ---- the sign-in for a register (OpenID Connect), through the handlers ------------------


def register_client(stack: Any, **fields: Any) -> str:
    """The sample client registered from the console; its secret."""
    from chiave_local.emulator.events import load_event

    answer = stack.functions.invoke("ConfigureClientFunction", {**load_event("configure_client"), **fields})
    assert answer["ok"], answer
    secret: str = answer.get("client_secret", "")  # none for private_key_jwt
    return secret


def authorize(stack: Any, load_event: Any, cookie: str | None = None, **params: str | None) -> Any:
    return stack.call("AuthorizeFunction", authorize_event(cookie, **params))


def sign_in_answer(stack: Any, load_event: Any, request: str, login: str, password: str = PASSWORD) -> Any:
    return stack.call("SignInFunction", sign_in_event(request, login, password))


def token_event_authorization(secret: str) -> str:
    """client_secret_basic for the sample client."""
    return client_authorization(secret)


def token_request(stack: Any, load_event: Any, secret: str, **form: str) -> Any:
    return stack.call("TokenFunction", token_event(secret, **form))


def signed_in_code(stack: Any, load_event: Any, login: str, password: str = PASSWORD) -> str:
    """Authorize, then the sign-in page's answer: the code the register receives."""
    asked = authorize(stack, load_event)
    assert asked.status == 302, asked
    request = query_of(asked.headers["Location"])["richiesta"]
    done = sign_in_answer(stack, load_event, request, login, password)
    assert done.status == 200, done.body
    return query_of(done.body["redirect"])["code"]


def signed_in_session(stack: Any, load_event: Any, login: str, password: str = PASSWORD) -> str:
    """Authorize, then the sign-in page's answer: the session cookie (`name=value`)."""
    request = query_of(authorize(stack, load_event).headers["Location"])["richiesta"]
    done = sign_in_answer(stack, load_event, request, login, password)
    assert done.status == 200, done.body
    return str(done.headers["Set-Cookie"].split(";")[0])


def every_call(stack: Any, function_id: str, fault: str, attempt: Any, check: Any) -> int:
    """`attempt` with the call at each position failing in turn, `check`ed
    each time; the number of positions tried before it ran unfaulted."""
    from chiave_local.emulator.calls import failing

    position = 0
    while True:
        with stack.env(function_id), failing(fault, position) as made:
            answer = attempt()
        if len(made) <= position:
            return position
        check(answer, made)
        position += 1
