"""The credential life after activation over HTTP: a PIN, the register's
SigV4-signed checks, a password change (README's internal-API snippet)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from chiave_local import sigv4
from tests.e2e.conftest import LocalStack, start_stack, stop_stack

API = "/v1"
SCHOOL = "RMIC817009"
ANTONIO = "SPSNTN75A30F839Y"  # antonio.esposito@example.it, no mobile
PASSWORD = "Quaderno-Blu-42"
NEW_PASSWORD = "Lavagna-Verde-77"


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[LocalStack]:
    # A school that asks no SMS code at activation: Antonio has no mobile.
    policy = tmp_path_factory.mktemp("policy") / "policy.json"
    policy.write_text(json.dumps({SCHOOL: {"otp_required_for_activation": False}}), encoding="utf-8")
    process, started, printed = start_stack("--policy", str(policy))
    if started is None:
        process.kill()
        pytest.fail(f"the local stack did not start:\n{printed}")
    yield started
    stop_stack(process)


def signed_post(stack: LocalStack, path: str, body: dict, secret: str = sigv4.VENDOR_SECRET_KEY):
    """What the register's backend does: SigV4 over the request, service execute-api."""
    data = json.dumps(body).encode()
    request = AWSRequest(
        method="POST", url=stack.base_url + path, data=data, headers={"Content-Type": "application/json"}
    )
    SigV4Auth(Credentials(sigv4.VENDOR_ACCESS_KEY, secret), "execute-api", "eu-south-1").add_auth(request)
    headers = {name: value for name, value in request.headers.items() if name != "Content-Type"}
    return stack.request("POST", path, raw=data, headers=headers)


def _activate(stack: LocalStack) -> str:
    email = "antonio.esposito@example.it"
    sent = len(stack.emails_to(email, at_least=0))
    assert stack.post(f"{API}/schools/{SCHOOL}/registrations", {"codice_fiscale": ANTONIO}).status == 202
    mail = stack.emails_to(email, at_least=sent + 1)[sent]
    token = re.search(r"#token=([A-Za-z0-9_-]{43})", mail["text"]).group(1)
    done = stack.post(f"{API}/password-resets/confirm", {"token": token, "new_password": PASSWORD})
    assert done.status == 200, done.text
    return done.json["user_code"]


def test_activate_issue_a_pin_check_it_signed_change_the_password(stack):
    user_code = _activate(stack)
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
