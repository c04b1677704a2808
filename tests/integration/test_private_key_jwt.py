"""private_key_jwt (RFC 7523): a register's backend proves itself with a
JWT signed by one of its registered keys. Each way it is broken by someone
who has only what an attacker has: another key, a replayed assertion, an
expired one, an unsigned or MACed one, one made for another provider."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from chiave_local.emulator.events import CALLBACK, VERIFIER, query_of
from tests.integration.helpers import activate, authorize, register_client, sign_in_answer

MARIA = "RSSMRA82C52H501K"
CLIENT = "registro-con-chiavi"
KEY = RSAKey.generate_key(2048, parameters={"kid": "registro-2026", "use": "sig"})


@pytest.fixture
def code(stack, load_event) -> str:
    """A client registered with its public key, and a code it may exchange."""
    register_client(
        stack, client=CLIENT, auth_method="private_key_jwt", jwks={"keys": [KEY.as_dict(private=False)]}
    )
    user_code = activate(stack, load_event, MARIA)
    asked = authorize(stack, load_event, client_id=CLIENT)
    request = query_of(asked.headers["Location"])["richiesta"]
    done = sign_in_answer(stack, load_event, request, user_code)
    assert done.status == 200, done.body
    return query_of(done.body["redirect"])["code"]


def _issuer(stack) -> str:
    with stack.env("TokenFunction"):
        from chiave.oidc import discovery

        return discovery.issuer()


def assertion(stack, key: Any = KEY, alg: str = "RS256", **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": CLIENT,
        "sub": CLIENT,
        "aud": _issuer(stack) + "/token",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 60,
        **changes,
    }
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode({"alg": alg, "kid": "registro-2026"}, claims, key, algorithms=[alg])


def exchange(stack, load_event, code: str, signed: str) -> Any:
    fields = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": VERIFIER,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": signed,
    }
    return stack.call(
        "TokenFunction", load_event("token", raw_body=urlencode(fields), headers={"Authorization": ""})
    )


def test_a_client_with_its_key_exchanges_its_code(stack, load_event, code):
    answer = exchange(stack, load_event, code, assertion(stack))
    assert answer.status == 200, answer.body
    assert answer.body["id_token"] and answer.body["refresh_token"]


def test_the_same_assertion_works_once(stack, load_event, code):
    signed = assertion(stack)
    assert exchange(stack, load_event, code, signed).status == 200
    replayed = exchange(stack, load_event, code, signed)
    assert (replayed.status, replayed.body["error"]) == (401, "invalid_client")


def _unsigned(signed: str) -> str:
    """The same claims under {"alg": "none"}, without a signature."""
    payload = signed.split(".")[1]
    return f"eyJhbGciOiJub25lIn0.{payload}."


OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "registro-2026"})


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda stack: assertion(stack, key=OTHER_KEY), id="another key, the registered kid"),
        pytest.param(lambda stack: assertion(stack, exp=int(time.time()) - 120), id="expired"),
        pytest.param(lambda stack: assertion(stack, exp=int(time.time()) + 3600), id="living an hour"),
        pytest.param(lambda stack: assertion(stack, jti=None), id="no jti"),
        pytest.param(
            lambda stack: assertion(stack, aud="https://altro.example/oidc/token"), id="for another provider"
        ),
        pytest.param(lambda stack: assertion(stack, sub="registro-demo"), id="sub another client"),
        pytest.param(
            lambda stack: assertion(stack, key=OctKey.import_key(KEY.as_dict()["n"]), alg="HS256"),
            id="MACed with the public modulus",
        ),
        pytest.param(lambda stack: _unsigned(assertion(stack)), id="alg none"),
    ],
)
def test_an_assertion_an_attacker_could_make_is_refused(stack, load_event, code, build):
    answer = exchange(stack, load_event, code, build(stack))
    assert (answer.status, answer.body["error"]) == (401, "invalid_client"), answer.body
    # And the code is still there for the real client
    assert exchange(stack, load_event, code, assertion(stack)).status == 200
