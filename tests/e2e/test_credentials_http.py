"""The credential life after activation over HTTP: a PIN, the register's
SigV4-signed checks, a password change (docs/ARCHITECTURE.md's internal-API snippet), the
holder's own contacts and an authenticator app."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from chiave_local.emulator import sigv4
from chiave_local.emulator.events import EVENTS
from tests.e2e.conftest import LocalStack, stack_with_policy

API = "/v1"
SCHOOL = "RMIC817009"
ANTONIO = "SPSNTN75A30F839Y"  # antonio.esposito@example.it, no mobile
MARIA = "RSSMRA82C52H501K"  # maria.rossi@example.it, +393331234567
MARIA_MOBILE = "+393331234567"
NEW_EMAIL = "maria.nuova@example.it"
NEW_MOBILE = "+393471234567"
PASSWORD = "Quaderno-Blu-42"
NEW_PASSWORD = "Lavagna-Verde-77"


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[LocalStack]:
    # A school that asks no SMS code at activation (Antonio has no mobile) and
    # identifies its parents in person (Istanze OnLine).
    overrides = {
        "otp_required_for_activation": False,
        "in_person_identification": True,
        "otp_required_for_reset": True,
    }
    yield from stack_with_policy(tmp_path_factory, {SCHOOL: overrides})


def signed_post(stack: LocalStack, path: str, body: dict, secret: str = sigv4.VENDOR_SECRET_KEY):
    """What the register's backend does: SigV4 over the request, service execute-api."""
    data = json.dumps(body).encode()
    request = AWSRequest(
        method="POST", url=stack.base_url + path, data=data, headers={"Content-Type": "application/json"}
    )
    SigV4Auth(Credentials(sigv4.VENDOR_ACCESS_KEY, secret), "execute-api", "eu-south-1").add_auth(request)
    headers = {name: value for name, value in request.headers.items() if name != "Content-Type"}
    return stack.request("POST", path, raw=data, headers=headers)


def _identify(stack: LocalStack, cf: str) -> dict:
    """What the office does from the console, through the local stack's invoke."""
    event = json.loads((EVENTS / "ops_record_identification.json").read_text("utf-8"))
    answer = stack.post("/_local/invoke/OpsFunction", {**event, "codice_fiscale": cf})
    assert answer.status == 200
    return answer.json


def _activate(stack: LocalStack, cf: str = ANTONIO, email: str = "antonio.esposito@example.it") -> str:
    sent = len(stack.emails_to(email, at_least=0))
    assert stack.post(f"{API}/schools/{SCHOOL}/registrations", {"codice_fiscale": cf}).status == 202
    mail = stack.emails_to(email, at_least=sent + 1)[sent]
    token = re.search(r"#token=([A-Za-z0-9_-]{43})", mail["text"]).group(1)
    done = stack.post(f"{API}/password-resets/confirm", {"token": token, "new_password": PASSWORD})
    assert done.status == 200, done.text
    return done.json["user_code"]


def test_in_person_identification_then_a_pin(stack):
    # Given Luca activated his credentials at a school that identifies in person
    user_code = _activate(stack, "BNCLCU79S05F205Y", "luca.bianchi@example.it")
    login = {"school": SCHOOL, "login": user_code, "password": PASSWORD}
    # Then he cannot get a PIN yet
    refused = stack.post(f"{API}/pins", login)
    assert (refused.status, refused.json["code"]) == (403, "account_unavailable")
    # When the office records his identification from the console
    assert _identify(stack, "BNCLCU79S05F205Y")["status"] == "active"
    # Then he is told by e-mail, and the PIN works
    assert any("attive" in mail["subject"] for mail in stack.emails_to("luca.bianchi@example.it", at_least=3))
    assert stack.post(f"{API}/pins", login).status == 201


def test_activate_issue_a_pin_check_it_signed_change_the_password(stack):
    user_code = _activate(stack)
    _identify(stack, ANTONIO)
    # When Antonio asks for a PIN with his user code and password
    issued = stack.post(f"{API}/pins", {"school": SCHOOL, "login": user_code, "password": PASSWORD})
    assert issued.status == 201, issued.text
    pin = issued.json["pin"]
    # Then the register's backend, signing with its role, checks the PIN and the password
    checked = signed_post(
        stack, f"{API}/internal/pins/verify", {"school": SCHOOL, "user_code": user_code, "pin": pin}
    )
    assert (checked.status, checked.json) == (200, {"verified": True, "user_code": user_code})
    credentials = {"school": SCHOOL, "login": user_code, "password": PASSWORD, "client_ip": "198.51.100.7"}
    account = signed_post(stack, f"{API}/internal/credentials/verify", credentials)
    assert account.status == 200 and account.json["codice_fiscale"] == ANTONIO
    # When he changes his password
    change = {
        "school": SCHOOL,
        "login": user_code,
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
    }
    assert stack.post(f"{API}/passwords/change", change).status == 200
    # Then the old password is refused and the new one accepted
    assert signed_post(stack, f"{API}/internal/credentials/verify", credentials).status == 401
    renewed = signed_post(
        stack, f"{API}/internal/credentials/verify", {**credentials, "password": NEW_PASSWORD}
    )
    assert renewed.status == 200


def _stepped_up(stack: LocalStack, path: str, body: dict, mobile: str) -> Any:
    """A change of a factor or a contact as its holder makes it: asked once,
    the SMS code to her mobile on file verified, asked again with the token."""
    asked = stack.post(path, body)
    if asked.status != 403:
        return asked
    assert asked.json["code"] == "otp_required" and asked.json["otp_method"] == "sms", asked.text
    token = asked.json["token"]
    before = len(stack.sms_to(mobile, at_least=0))
    assert stack.post(f"{API}/otp/send", {"token": token}).status == 202
    code = re.search(r"#(\d{6})$", stack.sms_to(mobile, at_least=before + 1)[-1]["text"]).group(1)
    assert stack.post(f"{API}/otp/verify", {"token": token, "code": code}).status == 200
    return stack.post(path, {**body, "token": token})


def _token_in(mail: dict) -> str:
    return re.search(r"#token=([A-Za-z0-9_-]{43})", mail["text"]).group(1)


def test_own_contacts_then_an_authenticator_app_instead_of_sms(stack):
    # Given Maria, activated and identified
    user_code = _activate(stack, MARIA, "maria.rossi@example.it")
    _identify(stack, MARIA)
    login = {"school": SCHOOL, "login": user_code, "password": PASSWORD}
    # When she associates a new e-mail and opens the link it receives
    assert (
        _stepped_up(stack, f"{API}/contacts/email", {**login, "email": NEW_EMAIL}, MARIA_MOBILE).status == 202
    )
    link = _token_in(stack.emails_to(NEW_EMAIL, at_least=1)[0])
    changed = stack.post(f"{API}/contacts/confirm", {"token": link})
    assert (changed.status, changed.json["changed"]) == (200, "email")
    # And changes her mobile with the code sent to the new number
    new_number = {**login, "login": NEW_EMAIL, "mobile": NEW_MOBILE}
    started = _stepped_up(stack, f"{API}/contacts/mobile", new_number, MARIA_MOBILE)
    assert started.status == 202, started.text
    code = re.search(r"#(\d{6})$", stack.sms_to(NEW_MOBILE, at_least=1)[-1]["text"]).group(1)
    token = started.json["token"]
    assert stack.post(f"{API}/otp/verify", {"token": token, "code": code}).status == 200
    assert stack.post(f"{API}/contacts/confirm", {"token": token}).json["changed"] == "mobile"
    # And enrols an authenticator app (confirmed with the code of the step just past)
    enrolment = _stepped_up(stack, f"{API}/totp/enrol", {**login, "login": NEW_EMAIL}, NEW_MOBILE)
    assert enrolment.status == 200 and enrolment.json["otpauth_uri"].startswith("otpauth://totp/")
    app = pyotp.TOTP(enrolment.json["secret"])
    confirmation = {"enrolment": enrolment.json["enrolment"], "code": app.at(time.time() - 30)}
    assert stack.post(f"{API}/totp/confirm", confirmation).status == 200
    # Then a reset by her new address takes the app's code, and no SMS is sent
    texts = len(stack.sms_to(NEW_MOBILE, at_least=1))
    assert stack.post(f"{API}/schools/{SCHOOL}/password-resets", {"identifier": NEW_EMAIL}).status == 202
    # (after the three notices, which notify may send in any order with it: the newest link)
    links = [mail for mail in stack.emails_to(NEW_EMAIL, at_least=5) if "#token=" in mail["text"]]
    reset = _token_in(links[-1])
    assert stack.post(f"{API}/flows/status", {"token": reset}).json["otp_method"] == "app"
    assert stack.post(f"{API}/otp/send", {"token": reset}).json["code"] == "otp_by_app"
    assert stack.post(f"{API}/otp/verify", {"token": reset, "code": app.now()}).status == 200
    done = stack.post(f"{API}/password-resets/confirm", {"token": reset, "new_password": NEW_PASSWORD})
    assert done.status == 200, done.text
    assert len(stack.sms_to(NEW_MOBILE, at_least=0)) == texts


def test_internal_routes_refuse_what_is_not_signed_by_the_register(stack):
    body = {"school": SCHOOL, "user_code": "123456782", "pin": "123456"}
    # Unsigned: API Gateway's missing-token answer, as for a route that does not exist
    unsigned = stack.post(f"{API}/internal/pins/verify", body)
    assert (unsigned.status, unsigned.json["code"]) == (404, "not_found")
    # Signed with the wrong secret: forbidden
    forged = signed_post(stack, f"{API}/internal/pins/verify", body, secret="not-the-secret")
    assert (forged.status, forged.json["code"]) == (403, "forbidden")
    assert forged.headers["Content-Type"] == "application/problem+json"
    # A body changed after signing: forbidden
    data = json.dumps(body).encode()
    request = AWSRequest(method="POST", url=stack.base_url + f"{API}/internal/pins/verify", data=data)
    SigV4Auth(
        Credentials(sigv4.VENDOR_ACCESS_KEY, sigv4.VENDOR_SECRET_KEY), "execute-api", "eu-south-1"
    ).add_auth(request)
    tampered = stack.request(
        "POST",
        f"{API}/internal/pins/verify",
        raw=data.replace(b"123456782", b"234567897"),
        headers=dict(request.headers),
    )
    assert tampered.status == 403
