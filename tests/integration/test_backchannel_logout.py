"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0): when a
session ends, every register it signed into is told with a logout token
(signed by the sign-in's key, `typ` logout+jwt, the session's `sid`, the
event, no nonce), posted once the end is committed, never before and never
for an end that did not land."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from chiave_local.emulator.events import load_event as sample
from chiave_local.emulator.events import query_of
from tests.integration.helpers import (
    activate,
    authorize,
    ops,
    register_client,
    signed_in_session,
    token_request,
)

MARIA = "RSSMRA82C52H501K"
EVENT = "http://schemas.openid.net/event/backchannel-logout"


class Register:
    """A register's back-channel endpoint on loopback: what it was posted, and what it answers."""

    def __init__(self) -> None:
        self.posted: list[str] = []
        self.status = 200
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                owner.posted.append(parse_qs(body)["logout_token"][0])
                self.send_response(owner.status)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.server.server_address[1]}/backchannel-logout"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def register() -> Iterator[Register]:
    listening = Register()
    yield listening
    listening.server.shutdown()


def _signed_in_at_the_register(stack, load_event, register: Register) -> tuple[str, str]:
    """Maria signed in at the register that asked to be told: her session cookie and the ID token's sid."""
    secret = register_client(stack, backchannel_logout_uri=register.uri)
    user_code = activate(stack, load_event, MARIA)
    cookie = signed_in_session(stack, load_event, user_code)
    code = query_of(authorize(stack, load_event, cookie=cookie).headers["Location"])["code"]
    id_token = token_request(stack, load_event, secret, code=code).body["id_token"]
    return cookie, _claims(stack, id_token)[1]["sid"]


def _claims(stack, token: str) -> tuple[dict, dict]:
    """A JWT's header and claims, its signature checked by the published keys."""
    from joserfc import jwt
    from joserfc.jwk import KeySet

    from chiave.oidc import signing

    with stack.env("TokenFunction"):
        decoded = jwt.decode(token, KeySet.import_key_set(signing.jwks()), algorithms=["RS256"])
    return decoded.header, decoded.claims


def _told(stack) -> int:
    with stack.env("BackchannelLogoutFunction"):
        return stack.drain("BackchannelLogoutFunction", "LogoutQueue")


@pytest.mark.parametrize("action", ["ops_disable", "ops_revoke", "ops_erase"])
def test_the_console_ending_an_account_tells_the_register_its_session_ended(
    stack, load_event, register, action
):
    # Given Maria signed in at a register with a back-channel logout address
    _cookie, sid = _signed_in_at_the_register(stack, load_event, register)
    # When the office disables, revokes or erases her account, and the logout queue is drained
    assert ops(stack, action)["ok"]
    assert _told(stack) == 1
    # Then the register got one logout token for her session, as §2.4 says
    assert len(register.posted) == 1
    header, claims = _claims(stack, register.posted[0])
    assert header["typ"] == "logout+jwt"
    assert claims["sid"] == sid and claims["aud"] == "registro-demo" and claims["events"] == {EVENT: {}}
    assert "nonce" not in claims and claims["exp"] > claims["iat"] and claims["jti"]


def test_a_register_that_signs_the_person_out_is_not_told_but_every_other_is(stack, load_event, register):
    # Given Maria's session signed into two registers, both asking to be told
    cookie, _sid = _signed_in_at_the_register(stack, load_event, register)
    other = {**sample("configure_client"), "client": "registro-altro", "backchannel_logout_uri": register.uri}
    assert stack.functions.invoke("ConfigureClientFunction", other)["ok"]
    assert authorize(stack, load_event, cookie=cookie, client_id="registro-altro").status == 302
    # When the first register sends her to sign out (no hint: she confirms on Chiave's page)
    event = sample("end_session_post")
    event["headers"]["Cookie"] = cookie
    assert stack.call("EndSessionFunction", event).status in (200, 302)
    _told(stack)
    # Then only the other register is told
    audiences = [_claims(stack, token)[1]["aud"] for token in register.posted]
    assert audiences == ["registro-altro"]


def test_an_end_that_did_not_commit_is_never_announced(stack, load_event, register, monkeypatch):
    from chiave.notify import outbox

    # Given Maria signed in, and a disable whose transaction fails after its logout was queued
    _signed_in_at_the_register(stack, load_event, register)
    from chiave_local.emulator.calls import failing

    with stack.env("OpsFunction"), failing("throttling", operation="TransactWriteItems"):
        assert not ops(stack, "ops_disable")["ok"]
    # When the logout queue is drained after the commit's deadline
    monkeypatch.setattr(outbox, "COMMIT_GRACE_S", -3600)
    _told(stack)
    # Then the register was told nothing: her session did not end
    assert register.posted == []


def test_a_register_that_does_not_answer_is_tried_again(stack, load_event, register):
    # Given a register whose endpoint fails
    _signed_in_at_the_register(stack, load_event, register)
    register.status = 503
    assert ops(stack, "ops_revoke")["ok"]
    # When the queue hands the logout over: it stays for another try
    _told(stack)
    assert len(register.posted) == 1 and stack.release_failed("BackchannelLogoutFunction", "LogoutQueue") == 1
    # Then once the register answers, the next try delivers it
    register.status = 200
    _told(stack)
    assert len(register.posted) == 2 and stack.queued("LogoutQueue") == 0


def test_the_discovery_document_says_back_channel_logout_is_supported(stack):
    answer = stack.functions.invoke("DiscoveryFunction", sample("discovery_openid-configuration"))
    document = json.loads(answer["body"])
    assert document["backchannel_logout_supported"] is True
    assert document["backchannel_logout_session_supported"] is True
