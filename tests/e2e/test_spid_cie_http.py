"""Entra con SPID / CIE over HTTP, as `make run` serves it: the stack, and
beside it the local federation (spid-cie-oidc's provider, two profiles).
A register's request goes to Chiave's sign-in, then to the local provider
(its login and consent pages, driven as a browser would), back to Chiave,
and to the register with a code its token endpoint exchanges for an ID
token. Each broken response the provider can send is refused, with the
sign-in page saying so and nothing linked."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from tests.e2e.conftest import LocalStack, running_stack

# One stack and federation for the module, on one worker: each costs seconds to start.
pytestmark = pytest.mark.xdist_group("spid_cie_http")
SCHOOL = "RMIC817009"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
LEVEL_2 = "https://www.spid.gov.it/SpidL2"
CODICI = {
    "maria.rossi": "RSSMRA82C52H501K",
    "luca.bianchi": "BNCLCU79S05F205Y",
    "giulia.verdi": "VRDGLI85L61H501C",
    "maria.rossi.omocodia": "RSSMRA82C52H50MC",
}


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    yield from running_stack("--federation")


def _challenge() -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


def _query(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def sign_in(
    stack: LocalStack, profile: str, username: str, broken: str = "", browser: requests.Session | None = None
) -> tuple[requests.Session, str, dict[str, Any]]:
    """The whole walk, as a browser: where Chiave's callback sent the browser, and what the register knows."""
    info = stack.request("GET", "/_local/info").json
    client, local = info["demo_client"], info["federation"]["local"]
    callback = f"{stack.base_url}/_local/registro/callback"
    browser = browser or requests.Session()
    # A register sends the parent to Chiave's sign-in
    asked = browser.get(
        f"{stack.base_url}/oidc/authorize",
        params={
            "client_id": client["client_id"],
            "redirect_uri": callback,
            "response_type": "code",
            "scope": "openid",
            "state": "register-state",
            "nonce": "register-nonce",
            "code_challenge": _challenge(),
            "code_challenge_method": "S256",
            "school": SCHOOL,
        },
        allow_redirects=False,
    )
    request_id = _query(asked.headers["Location"])["richiesta"]
    # The sign-in page's "Entra con SPID" (or CIE): to the provider
    started = browser.get(
        f"{stack.base_url}/oidc/rp/{SCHOOL}/start",
        params={"richiesta": request_id, "provider": local["providers"][profile]},
        allow_redirects=False,
    )
    at_provider = started.headers["Location"]
    login_page = browser.get(at_provider, allow_redirects=False)
    assert login_page.status_code == 200, login_page.text[:500]
    hidden = re.search(r'name="authz_request_object" value="([^"]+)"', login_page.text)
    assert hidden is not None
    logged_in = browser.post(
        at_provider.split("?")[0],
        data={"username": username, "password": "password", "authz_request_object": hidden.group(1)},
        allow_redirects=False,
    )
    consent = urljoin(at_provider, logged_in.headers["Location"])
    agreed = browser.post(consent, data={"agree": "True", "test": broken}, allow_redirects=False)
    back = browser.get(agreed.headers["Location"], allow_redirects=False)
    assert back.status_code == 302
    landed = back.headers["Location"]
    register: dict[str, Any] = {"callback": agreed.headers["Location"]}
    if landed.startswith(callback):
        exchanged = requests.post(
            f"{stack.base_url}/oidc/token",
            data={
                "grant_type": "authorization_code",
                "code": _query(landed)["code"],
                "redirect_uri": callback,
                "code_verifier": VERIFIER,
            },
            auth=(client["client_id"], client["client_secret"]),
            timeout=10,
        )
        assert exchanged.status_code == 200, exchanged.text
        id_token = exchanged.json()["id_token"]
        payload = id_token.split(".")[1]
        import json

        register["id_token"] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return browser, landed, register


@pytest.mark.parametrize(("profile", "username"), [("spid", "maria.rossi"), ("cie", "luca.bianchi")])
def test_a_parent_signs_in_with_spid_or_cie_and_the_register_gets_the_level(stack, profile, username):
    codice_fiscale = CODICI[username]
    # When the parent signs in at the local provider and agrees
    _browser, landed, register = sign_in(stack, profile, username)
    # Then the register has its code, and its ID token says how the parent signed in
    assert landed.startswith(f"{stack.base_url}/_local/registro/callback?code=")
    assert register["id_token"]["acr"] == LEVEL_2 and register["id_token"]["amr"] == [profile]
    # And the account is linked: active, a user code, no password set
    person = stack.person(SCHOOL, codice_fiscale)
    assert person["status"] == "active" and person["user_code"] and person["last_identity"] == profile
    assert "password_hash" not in person
    actions = {(item["action"], item["details"].get("via")) for item in stack.audit(SCHOOL, codice_fiscale)}
    assert ("identity_linked", profile) in actions


BROKEN = {
    # The package's relying-party test modes, which the local provider now sends
    "send_auth_code_no_code": "provider_error",
    "send_auth_code_no_state": "expired",
    "unsigned_id_token": "provider_error",
    "id_token_with_wrong_signature": "provider_error",
}


@pytest.mark.parametrize("profile", ["spid", "cie"])
@pytest.mark.parametrize(("broken", "outcome"), BROKEN.items())
def test_each_broken_response_is_refused_with_a_page_and_nothing_linked(stack, profile, broken, outcome):
    codice_fiscale = CODICI["giulia.verdi"]
    _browser, landed, register = sign_in(stack, profile, "giulia.verdi", broken)
    assert landed == f"{stack.base_url}/accedi?scuola={SCHOOL}&esito={outcome}"
    assert "id_token" not in register
    person = stack.person(SCHOOL, codice_fiscale)
    assert person["status"] == "pending" and "user_code" not in person
    assert stack.audit(SCHOOL, codice_fiscale) == []


@pytest.mark.parametrize(
    ("username", "outcome"),
    [
        ("sofia.colombo", "student_primo_ciclo"),  # a primo-ciclo school: parents only
        ("paolo.neri", "not_in_anagrafica"),  # nobody of the school
        ("maria.rossi.omocodia", "not_in_anagrafica"),  # an omocode is another person, never Maria
    ],
)
def test_who_is_not_the_school_s_to_sign_in_is_told_so(stack, username, outcome):
    _browser, landed, _register = sign_in(stack, "spid", username)
    assert landed == f"{stack.base_url}/accedi?scuola={SCHOOL}&esito={outcome}"
    if username in CODICI:
        assert stack.person(SCHOOL, CODICI[username]) is None


def test_a_replayed_callback_signs_nobody_in(stack):
    # Given a sign-in that came back once
    browser, _landed, register = sign_in(stack, "spid", "maria.rossi")
    assert "id_token" in register
    # When the same callback (its code and state) comes again
    again = browser.get(register["callback"], allow_redirects=False)
    # Then the state is spent: the sign-in page says to start again
    assert again.headers["Location"] == f"{stack.base_url}/accedi?scuola={SCHOOL}&esito=expired"
