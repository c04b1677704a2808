"""Sample events (events/*.json, usable with `sam local invoke -e`) with
small overrides: one helper for tests and the benchmark."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from chiave_local.emulator.template import ROOT

EVENTS = ROOT / "events"


@cache
def _event_file(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text("utf-8"))
    return loaded


def load_event(
    name: str,
    *,
    body: Any = None,
    raw_body: str | None = None,
    headers: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    source_ip: str | None = None,
) -> dict[str, Any]:
    """A sample event with overrides: `body` is JSON-encoded, `raw_body` sent as is."""
    event = copy.deepcopy(_event_file(name))
    if body is not None:
        event["body"] = json.dumps(body)
    if raw_body is not None:
        event["body"] = raw_body
    for header, value in (headers or {}).items():
        event["headers"][header] = value
        event["multiValueHeaders"][header] = [value]
    if path_parameters:
        event["pathParameters"] = {**(event["pathParameters"] or {}), **path_parameters}
        path = event["resource"]
        for parameter, value in event["pathParameters"].items():
            path = path.replace("{" + parameter + "}", value)
        event["path"] = path
    if source_ip:
        event["requestContext"]["identity"]["sourceIp"] = source_ip
    return event


# ---- a register's requests to the sign-in, from the samples (tests and bench) ----------

REGISTER_CLIENT = "registro-demo"  # events/configure_client.json's client
CALLBACK = "https://registro.icguicciardini.example/oidc/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # the authorize sample's challenge is its S256


def authorize_event(cookie: str | None = None, **params: str | None) -> dict[str, Any]:
    """The authorize sample with `params` changed (None: removed), from a browser holding `cookie`."""
    event = load_event("authorize")
    query = {**event["queryStringParameters"], **params}
    query = {name: value for name, value in query.items() if value is not None}
    event["queryStringParameters"] = query
    event["multiValueQueryStringParameters"] = {name: [value] for name, value in query.items()}
    if cookie:
        event["headers"]["Cookie"] = cookie
        event["multiValueHeaders"]["Cookie"] = [cookie]
    return event


def spid_cie_event(step: str, school: str = "RMIC817009", **params: str) -> dict[str, Any]:
    """Entra con SPID / CIE: the browser at `start` (richiesta, provider) or back at `callback`
    (code, state, iss; or error) for `school`."""
    event = load_event(f"spid_cie_{step}", path_parameters={"school": school})
    event["queryStringParameters"] = params or None
    event["multiValueQueryStringParameters"] = {name: [value] for name, value in params.items()} or None
    return event


def sign_in_event(request: str, login: str, password: str, school: str = "RMIC817009") -> dict[str, Any]:
    """The sign-in page's call for the request `authorize` kept."""
    return load_event(
        "sign_in", body={"request": request, "school": school, "login": login, "password": password}
    )


def client_authorization(secret: str, client_id: str = REGISTER_CLIENT) -> str:
    """client_secret_basic."""
    import base64

    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def token_event(secret: str, **form: str) -> dict[str, Any]:
    """The register at the token endpoint: a code (the sample's redirect URI and
    verifier), or with grant_type=refresh_token a refresh token."""
    from urllib.parse import urlencode

    fields = {"grant_type": "authorization_code", "redirect_uri": CALLBACK, "code_verifier": VERIFIER, **form}
    if fields["grant_type"] == "refresh_token":
        fields = {
            name: value for name, value in fields.items() if name in ("grant_type", "refresh_token", "scope")
        }
    return load_event(
        "token", raw_body=urlencode(fields), headers={"Authorization": client_authorization(secret)}
    )


def query_of(location: str) -> dict[str, str]:
    """A redirect's query parameters."""
    from urllib.parse import parse_qs, urlsplit

    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}
