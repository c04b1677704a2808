"""The sign-in for a register over HTTP, through the local stack: a client
registered from the console, authorize with PKCE, the sign-in page's call,
the code exchanged with the client's secret, the ID token verified against
the JWKS, userinfo; and the ways it is refused. (Python's cookiejar drops
`__Host-` cookies on http: the tests carry the session cookie themselves.)"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from chiave_local.emulator.events import EVENTS
from tests.e2e.conftest import LocalStack, stack_with_policy

SCHOOL = "RMIC817009"
MARIA = "RSSMRA82C52H501K"  # maria.rossi@example.it
PASSWORD = "Quaderno-Blu-42"
CALLBACK = "https://registro.icguicciardini.example/oidc/callback"
CLIENT = "registro-demo"


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[LocalStack]:
    yield from stack_with_policy(tmp_path_factory, {SCHOOL: {"otp_required_for_activation": False}})


@pytest.fixture(scope="module")
def secret(stack) -> str:
    """The sample client registered from the console, and Maria activated."""
    event = json.loads((EVENTS / "configure_client.json").read_text("utf-8"))
    answer = stack.post("/_local/invoke/ConfigureClientFunction", event).json
    assert answer["ok"], answer
    sent = len(stack.emails_to("maria.rossi@example.it", at_least=0))
    assert stack.post(f"/v1/schools/{SCHOOL}/registrations", {"codice_fiscale": MARIA}).status == 202
    mail = stack.emails_to("maria.rossi@example.it", at_least=sent + 1)[sent]
    token = re.search(r"#token=([A-Za-z0-9_-]{43})", mail["text"]).group(1)
    assert stack.post("/v1/password-resets/confirm", {"token": token, "new_password": PASSWORD}).status == 200
    return str(answer["client_secret"])


@dataclass(frozen=True)
class Raw:
    status: int
    headers: dict[str, str]
    body: str


def raw(stack: LocalStack, method: str, path: str, body: bytes | None = None, **headers: str) -> Raw:
    """One request, no redirect followed, no cookie kept."""
    parts = urlsplit(stack.base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request(method, path, body=body, headers=headers)
    answer = connection.getresponse()
    result = Raw(answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read().decode())
    connection.close()
    return result


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_path(challenge: str, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": CLIENT,
        "redirect_uri": CALLBACK,
        "scope": "openid profile email",
        "state": "stato-123",
        "nonce": "nonce-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return "/oidc/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def query_of(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def basic(client_secret: str) -> str:
    return "Basic " + base64.b64encode(f"{CLIENT}:{client_secret}".encode()).decode()


def sign_in(stack: LocalStack, challenge: str, **extra: str) -> tuple[str, str]:
    """Authorize, then the sign-in page's call: the code and the session cookie."""
    asked = raw(stack, "GET", authorize_path(challenge, **extra))
    assert asked.status == 302, asked
    request = query_of(asked.headers["location"])["richiesta"]
    done = stack.post(
        "/v1/sign-in",
        {"request": request, "school": SCHOOL, "login": "maria.rossi@example.it", "password": PASSWORD},
    )
    assert done.status == 200, done.text
    # The session: a __Host- cookie, HttpOnly, Secure, SameSite=Lax, for the whole origin
    attributes = [part.strip() for part in done.headers["Set-Cookie"].split(";")]
    assert attributes[0].startswith("__Host-chiave-session=")
    assert {"Path=/", "Secure", "HttpOnly", "SameSite=Lax"} <= set(attributes)
    return query_of(done.json["redirect"])["code"], attributes[0]


def exchange(stack: LocalStack, client_secret: str, code: str, verifier: str, **extra: str) -> Raw:
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
    }
    return raw(
        stack,
        "POST",
        "/oidc/token",
        urlencode({**body, **extra}).encode(),
        **{"Content-Type": "application/x-www-form-urlencoded", "Authorization": basic(client_secret)},
    )


def test_oidcc_server_a_full_sign_in_with_pkce_gives_a_verified_id_token_and_userinfo(stack, secret):
    issuer = stack.base_url + "/oidc"
    # Given the register discovers the provider
    discovered = raw(stack, "GET", "/oidc/.well-known/openid-configuration")
    assert json.loads(discovered.body)["issuer"] == issuer
    verifier, challenge = pkce()
    # When the person is sent to authorize, nobody signed in: the sign-in page, for the school
    asked = raw(stack, "GET", authorize_path(challenge))
    assert asked.status == 302 and asked.headers["location"].startswith(stack.base_url + "/accedi?richiesta=")
    assert query_of(asked.headers["location"])["scuola"] == SCHOOL
    page = raw(stack, "GET", urlsplit(asked.headers["location"]).path)
    assert page.status == 200 and "Entra nel registro" in page.body
    # When she signs in there
    code, _cookie = sign_in(stack, challenge)
    # Then the register exchanges the code with its secret and the verifier
    answer = exchange(stack, secret, code, verifier)
    assert answer.status == 200, answer.body
    assert answer.headers["cache-control"] == "no-store"
    tokens = json.loads(answer.body)
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "openid profile email"
    # And the ID token verifies against the JWKS, for this client, with the nonce
    keys = KeySet.import_key_set(json.loads(raw(stack, "GET", "/oidc/jwks").body))
    claims = jwt.decode(tokens["id_token"], keys, algorithms=["RS256"]).claims
    assert (claims["iss"], claims["aud"], claims["nonce"]) == (issuer, CLIENT, "nonce-456")
    assert claims["acr"] == "urn:chiave:acr:password" and claims["amr"] == ["pwd"]
    assert MARIA not in json.dumps(claims) and claims["sub"] and claims["school"] == SCHOOL
    # And userinfo answers the scopes' claims, never the codice fiscale (not in scope):
    # oidcc-userinfo-get, oidcc-userinfo-post-header
    for method in ("GET", "POST"):
        info = raw(stack, method, "/oidc/userinfo", Authorization=f"Bearer {tokens['access_token']}")
        assert info.status == 200, info.body
        person = json.loads(info.body)
        assert (person["sub"], person["given_name"], person["family_name"]) == (
            claims["sub"],
            "Maria",
            "Rossi",
        )
        assert person["email"] == "maria.rossi@example.it" and "codice_fiscale" not in person


def test_oidcc_codereuse_a_code_works_once_and_its_replay_revokes_the_token(stack, secret):
    verifier, challenge = pkce()
    code, _cookie = sign_in(stack, challenge)
    first = json.loads(exchange(stack, secret, code, verifier).body)
    replayed = exchange(stack, secret, code, verifier)
    assert (replayed.status, json.loads(replayed.body)["error"]) == (400, "invalid_grant")
    revoked = raw(stack, "GET", "/oidc/userinfo", Authorization=f"Bearer {first['access_token']}")
    assert revoked.status == 401 and "invalid_token" in revoked.headers["www-authenticate"]


def test_a_wrong_pkce_verifier_or_client_secret_is_refused(stack, secret):
    verifier, challenge = pkce()
    code, _cookie = sign_in(stack, challenge)
    wrong_verifier = exchange(stack, secret, code, pkce()[0])
    assert json.loads(wrong_verifier.body)["error"] == "invalid_grant"
    wrong_secret = exchange(stack, "x" * 43, code, verifier)
    assert wrong_secret.status == 401 and json.loads(wrong_secret.body)["error"] == "invalid_client"
    assert wrong_secret.headers["www-authenticate"].startswith("Basic")


def test_a_browser_signed_in_gets_its_code_at_once_unless_prompt_login_or_max_age(stack, secret):
    _verifier, challenge = pkce()
    _code, cookie = sign_in(stack, challenge)
    # Given the session cookie: a new request gets its code straight back, with state and iss
    again = raw(stack, "GET", authorize_path(challenge), Cookie=cookie)
    back = query_of(again.headers["location"])
    assert again.headers["location"].startswith(CALLBACK) and back["state"] == "stato-123" and "code" in back
    assert back["iss"] == stack.base_url + "/oidc"
    # oidcc-prompt-login: asked to sign in again, the page again
    login = raw(stack, "GET", authorize_path(challenge, prompt="login"), Cookie=cookie)
    assert "/accedi?" in login.headers["location"]
    # oidcc-max-age-1: a sign-in older than a second is not enough
    time.sleep(1.1)
    aged = raw(stack, "GET", authorize_path(challenge, max_age="1"), Cookie=cookie)
    assert "/accedi?" in aged.headers["location"]


def test_oidcc_prompt_none_not_logged_in_answers_login_required(stack, secret):
    _verifier, challenge = pkce()
    answer = raw(stack, "GET", authorize_path(challenge, prompt="none"))
    back = query_of(answer.headers["location"])
    assert answer.headers["location"].startswith(CALLBACK)
    assert (back["error"], back["state"]) == ("login_required", "stato-123")


@pytest.mark.parametrize(
    "changes",
    [
        {"client_id": "nessuno"},
        {
            "redirect_uri": "https://registro.icguicciardini.example/altro"
        },  # oidcc-ensure-registered-redirect-uri
        {"redirect_uri": None},  # oidcc-ensure-redirect-uri-in-authorization-request
    ],
)
def test_an_unknown_client_or_redirect_uri_gets_an_error_page_never_a_redirect(stack, secret, changes):
    _verifier, challenge = pkce()
    answer = raw(stack, "GET", authorize_path(challenge, **changes))
    assert answer.status == 400 and "location" not in answer.headers
    assert answer.headers["content-type"].startswith("text/html") and "Accesso non riuscito" in answer.body


@pytest.mark.parametrize(
    "changes, error",
    [
        ({"response_type": None}, "invalid_request"),  # oidcc-response-type-missing
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"code_challenge": None}, "invalid_request"),  # PKCE required of every client
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"scope": "profile"}, "invalid_scope"),
        ({"scope": "openid codice_fiscale"}, "invalid_scope"),  # not allowed to this client
        ({"school": "RMIC00000X"}, "access_denied"),  # a school not its own
        ({"request": "eyJ..."}, "request_not_supported"),
    ],
)
def test_a_bad_request_from_a_known_client_goes_back_with_its_error(stack, secret, changes, error):
    _verifier, challenge = pkce()
    answer = raw(stack, "GET", authorize_path(challenge, **changes))
    assert answer.status == 302 and answer.headers["location"].startswith(CALLBACK)
    assert query_of(answer.headers["location"])["error"] == error


def test_oidcc_ensure_request_without_nonce_succeeds_for_code_flow(stack, secret):
    verifier, challenge = pkce()
    code, _cookie = sign_in(stack, challenge, nonce=None)
    claims = jwt.decode(
        json.loads(exchange(stack, secret, code, verifier).body)["id_token"], _keys(stack)
    ).claims
    assert "nonce" not in claims


def test_oidcc_nonce_invalid_each_id_token_carries_its_own_request_s_nonce(stack, secret):
    # Given a browser signed in with one nonce
    verifier, challenge = pkce()
    _code, cookie = sign_in(stack, challenge, nonce="primo-nonce")
    # When the register asks again with another nonce, in the same session
    again = raw(stack, "GET", authorize_path(challenge, nonce="secondo-nonce"), Cookie=cookie)
    code = query_of(again.headers["location"])["code"]
    # Then the ID token carries the second nonce, never the first
    id_token = json.loads(exchange(stack, secret, code, verifier).body)["id_token"]
    assert jwt.decode(id_token, _keys(stack)).claims["nonce"] == "secondo-nonce"


def test_oidcc_id_token_hint_signs_in_the_hinted_session_and_refuses_another(stack, secret):
    # Given a sign-in and the ID token the register received
    verifier, challenge = pkce()
    code, cookie = sign_in(stack, challenge)
    hint = json.loads(exchange(stack, secret, code, verifier).body)["id_token"]
    sub = jwt.decode(hint, _keys(stack)).claims["sub"]
    # When the register asks silently for the same person (prompt=none, id_token_hint)
    silent = raw(stack, "GET", authorize_path(challenge, prompt="none", id_token_hint=hint), Cookie=cookie)
    again = json.loads(exchange(stack, secret, query_of(silent.headers["location"])["code"], verifier).body)
    # Then it gets a code at once, for the same subject
    assert jwt.decode(again["id_token"], _keys(stack)).claims["sub"] == sub
    # When the browser holds another session, the hint's person is not signed in there
    _code, other = sign_in(stack, challenge)
    elsewhere = raw(stack, "GET", authorize_path(challenge, prompt="none", id_token_hint=hint), Cookie=other)
    assert query_of(elsewhere.headers["location"])["error"] == "login_required"
    # And a hint Chiave did not sign (its signature altered) is refused
    forged = hint[:-4] + ("AAAA" if not hint.endswith("AAAA") else "BBBB")
    refused = raw(stack, "GET", authorize_path(challenge, id_token_hint=forged), Cookie=cookie)
    assert query_of(refused.headers["location"])["error"] == "invalid_request"


def _race(count: int, attempt: Callable[[], Raw]) -> list[Raw]:
    """`count` real threads released together, each making `attempt()`."""
    start = threading.Barrier(count)

    def one(_index: int) -> Raw:
        start.wait()
        return attempt()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_a_code_raced_by_many_exchanges_issues_once_and_the_replays_revoke_it(stack, secret):
    # Given a code, stolen: eight exchanges at once, across the stack's containers
    verifier, challenge = pkce()
    code, _cookie = sign_in(stack, challenge)
    answers = _race(8, lambda: exchange(stack, secret, code, verifier))
    # Then exactly one is answered with tokens, every other is invalid_grant
    issued = [json.loads(a.body) for a in answers if a.status == 200]
    assert len(issued) == 1, [a.status for a in answers]
    assert all(json.loads(a.body)["error"] == "invalid_grant" for a in answers if a.status != 200)
    # And the replays revoked what the winner got
    assert _userinfo_status(stack, issued[0]["access_token"]) == 401


def test_a_refresh_token_raced_by_many_rotates_once_and_the_family_ends(stack, secret):
    first = _signed_in_tokens(stack, secret)

    def refresh() -> Raw:
        return _form_post(
            stack, "/oidc/token", secret, grant_type="refresh_token", refresh_token=first["refresh_token"]
        )

    answers = _race(8, refresh)
    rotated = [json.loads(a.body) for a in answers if a.status == 200]
    assert len(rotated) == 1, [a.status for a in answers]
    # The reuse revoked the whole family: the heir's tokens stop too
    assert _userinfo_status(stack, rotated[0]["access_token"]) == 401
    heir = _form_post(
        stack, "/oidc/token", secret, grant_type="refresh_token", refresh_token=rotated[0]["refresh_token"]
    )
    assert json.loads(heir.body)["error"] == "invalid_grant"


def _keys(stack: LocalStack) -> KeySet:
    return KeySet.import_key_set(json.loads(raw(stack, "GET", "/oidc/jwks").body))


def test_a_sign_in_request_answers_once(stack, secret):
    _verifier, challenge = pkce()
    asked = raw(stack, "GET", authorize_path(challenge))
    request = query_of(asked.headers["location"])["richiesta"]
    body = {"request": request, "school": SCHOOL, "login": "maria.rossi@example.it", "password": PASSWORD}
    assert stack.post("/v1/sign-in", body).status == 200
    again = stack.post("/v1/sign-in", body)
    assert (again.status, again.json["code"]) == (410, "sign_in_expired")


def _form_post(stack: LocalStack, path: str, client_secret: str, **fields: str) -> Raw:
    return raw(
        stack,
        "POST",
        path,
        urlencode(fields).encode(),
        **{"Content-Type": "application/x-www-form-urlencoded", "Authorization": basic(client_secret)},
    )


def _signed_in_tokens(stack: LocalStack, client_secret: str) -> dict:
    verifier, challenge = pkce()
    code, _cookie = sign_in(stack, challenge)
    return json.loads(exchange(stack, client_secret, code, verifier).body)


def _userinfo_status(stack: LocalStack, access_token: str) -> int:
    return raw(stack, "GET", "/oidc/userinfo", Authorization=f"Bearer {access_token}").status


def test_oidcc_refresh_token_rotates_and_the_new_tokens_work(stack, secret):
    first = _signed_in_tokens(stack, secret)
    # When the register refreshes
    answer = _form_post(
        stack, "/oidc/token", secret, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert answer.status == 200, answer.body
    second = json.loads(answer.body)
    # Then it gets a new refresh token (rotated), a new access token, an ID token for the same person
    assert (
        second["refresh_token"] != first["refresh_token"] and second["access_token"] != first["access_token"]
    )
    keys = _keys(stack)
    before, after = (jwt.decode(t["id_token"], keys).claims for t in (first, second))
    assert (after["sub"], after["auth_time"], after["sid"]) == (
        before["sub"],
        before["auth_time"],
        before["sid"],
    )
    assert _userinfo_status(stack, second["access_token"]) == 200


def test_a_refresh_token_used_twice_revokes_its_whole_family(stack, secret):
    first = _signed_in_tokens(stack, secret)
    refreshed = json.loads(
        _form_post(
            stack, "/oidc/token", secret, grant_type="refresh_token", refresh_token=first["refresh_token"]
        ).body
    )
    # When the first refresh token is presented again (stolen and replayed)
    replayed = _form_post(
        stack, "/oidc/token", secret, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert (replayed.status, json.loads(replayed.body)["error"]) == (400, "invalid_grant")
    # Then every token of that sign-in stops working, the heir's too
    assert _userinfo_status(stack, refreshed["access_token"]) == 401
    heir = _form_post(
        stack, "/oidc/token", secret, grant_type="refresh_token", refresh_token=refreshed["refresh_token"]
    )
    assert json.loads(heir.body)["error"] == "invalid_grant"


def test_a_revoked_refresh_token_ends_the_family_and_a_revoked_access_token_ends_itself(stack, secret):
    issued = _signed_in_tokens(stack, secret)
    # RFC 7009: an access token revoked stops at once; the answer is 200 for any token
    assert _form_post(stack, "/oidc/revoke", secret, token=issued["access_token"]).status == 200
    assert _userinfo_status(stack, issued["access_token"]) == 401
    assert _form_post(stack, "/oidc/revoke", secret, token="x" * 43).status == 200
    # A refresh token revoked takes its family with it
    other = _signed_in_tokens(stack, secret)
    assert _form_post(stack, "/oidc/revoke", secret, token=other["refresh_token"]).status == 200
    assert _userinfo_status(stack, other["access_token"]) == 401
    refused = _form_post(
        stack, "/oidc/token", secret, grant_type="refresh_token", refresh_token=other["refresh_token"]
    )
    assert json.loads(refused.body)["error"] == "invalid_grant"
    # Without the client's secret, nothing is revoked
    third = _signed_in_tokens(stack, secret)
    assert _form_post(stack, "/oidc/revoke", "x" * 43, token=third["refresh_token"]).status == 401
    assert _userinfo_status(stack, third["access_token"]) == 200


def test_make_run_names_the_issuer_and_registers_a_demo_register(stack):
    info = stack.request("GET", "/_local/info").json
    assert info["issuer"] == stack.base_url + "/oidc"
    assert (
        json.loads(raw(stack, "GET", "/oidc/.well-known/openid-configuration").body)["issuer"]
        == info["issuer"]
    )
    demo = info["demo_client"]
    _verifier, challenge = pkce()
    callback = stack.base_url + "/_local/registro/callback"
    asked = raw(stack, "GET", authorize_path(challenge, client_id=demo["client_id"], redirect_uri=callback))
    assert asked.status == 302 and "/accedi?richiesta=" in asked.headers["location"]


LOGGED_OUT = "https://registro.icguicciardini.example/"


def _session_alive(stack: LocalStack, cookie: str) -> bool:
    """prompt=none answers with a code only to a live session."""
    _verifier, challenge = pkce()
    answer = raw(stack, "GET", authorize_path(challenge, prompt="none"), Cookie=cookie)
    return "code" in query_of(answer.headers["location"])


def test_rp_initiated_logout_with_the_id_token_ends_the_session_and_returns_to_the_register(stack, secret):
    verifier, challenge = pkce()
    code, cookie = sign_in(stack, challenge)
    id_token = json.loads(exchange(stack, secret, code, verifier).body)["id_token"]
    assert _session_alive(stack, cookie)
    # When the register sends her to end the session, with the ID token it holds
    params = {"id_token_hint": id_token, "post_logout_redirect_uri": LOGGED_OUT, "state": "addio"}
    answer = raw(stack, "GET", "/oidc/end-session?" + urlencode(params), Cookie=cookie)
    # Then she is back at the register's registered address, with its state, and the cookie is cleared
    assert answer.status == 302 and answer.headers["location"] == LOGGED_OUT + "?state=addio"
    assert "Max-Age=0" in answer.headers["set-cookie"]
    # And the session is gone: prompt=none finds nobody
    assert not _session_alive(stack, cookie)


def test_logout_without_a_hint_asks_first_and_only_chiave_s_page_can_confirm(stack, secret):
    _verifier, challenge = pkce()
    _code, cookie = sign_in(stack, challenge)
    # A link from anywhere shows a question, and signs nobody out
    asked = raw(stack, "GET", "/oidc/end-session?client_id=" + CLIENT, Cookie=cookie)
    assert asked.status == 200 and "Vuoi uscire?" in asked.body and "<form" in asked.body
    assert "frame-ancestors 'none'" in asked.headers["content-security-policy"]
    assert _session_alive(stack, cookie)
    # The page's form, posted with the cookie (same site), signs her out
    posted = raw(
        stack,
        "POST",
        "/oidc/end-session",
        urlencode({"client_id": CLIENT}).encode(),
        **{"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    assert posted.status == 200 and "Sei uscito" in posted.body
    assert not _session_alive(stack, cookie)


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": CLIENT, "post_logout_redirect_uri": "https://altrove.example/"},
        {"post_logout_redirect_uri": LOGGED_OUT},  # no client to have registered it
        {"id_token_hint": "eyJhbGciOiJub25lIn0.eyJhdWQiOiJyZWdpc3Ryby1kZW1vIn0."},  # unsigned
    ],
)
def test_logout_never_redirects_to_an_address_nobody_registered(stack, secret, params):
    answer = raw(stack, "GET", "/oidc/end-session?" + urlencode(params))
    assert answer.status == 400 and "location" not in answer.headers
