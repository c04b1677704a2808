"""Routes are declared once: the template's API events, the code's routes,
the committed OpenAPI document and the sample events must agree."""

from __future__ import annotations

import json

import pytest

from chiave_local.docgen import openapi
from chiave_local.emulator import apigw
from chiave_local.emulator import template as tpl
from chiave_local.emulator.events import EVENTS, load_event
from chiave_local.emulator.runtime import load_module


def _code_routes(spec: tpl.FunctionSpec) -> set[tuple[str, str]]:
    paths = load_module(spec).app.get_openapi_schema().paths or {}
    return {
        (method.upper(), path)
        for path, item in paths.items()
        for method in ("get", "post", "put", "patch", "delete")
        if getattr(item, method, None) is not None
    }


def test_each_function_serves_exactly_the_routes_its_template_events_declare():
    for spec in tpl.functions().values():
        if not spec.routes:
            continue
        declared = {(route.method, route.path) for route in spec.routes}
        assert _code_routes(spec) == declared, spec.logical_id


def test_the_template_declares_the_spec_s_routes():
    stage = tpl.api_stage()
    routes = {(route.method, f"/{stage}{route.path}") for route in tpl.api_routes()}
    assert routes == {
        ("POST", "/v1/schools/{school}/registrations"),
        ("POST", "/v1/schools/{school}/password-resets"),
        ("POST", "/v1/password-resets/confirm"),
        ("POST", "/v1/flows/status"),
        ("POST", "/v1/otp/send"),
        ("POST", "/v1/otp/verify"),
        ("POST", "/v1/pins"),
        ("POST", "/v1/passwords/change"),
        ("POST", "/v1/internal/credentials/verify"),
        ("POST", "/v1/internal/pins/verify"),
        ("POST", "/v1/temporary-codes/redeem"),
        ("POST", "/v1/contacts/email"),
        ("POST", "/v1/contacts/mobile"),
        ("POST", "/v1/contacts/confirm"),
        ("POST", "/v1/totp/enrol"),
        ("POST", "/v1/totp/confirm"),
        # SPEC §6: a change without a second factor, confirmed by e-mail, after the cool-off.
        ("POST", "/v1/factor-changes/confirm"),
        ("POST", "/v1/factor-changes/cancel"),
        ("POST", "/v1/factor-changes/complete"),
        # The sign-in for the registers, an OpenID Connect provider (docs/SIGN_IN.md).
        ("GET", "/v1/oidc/.well-known/openid-configuration"),
        ("GET", "/v1/oidc/jwks"),
        ("GET", "/v1/oidc/authorize"),
        ("POST", "/v1/sign-in"),
        ("POST", "/v1/oidc/token"),
        ("GET", "/v1/oidc/userinfo"),
        ("POST", "/v1/oidc/userinfo"),
        ("POST", "/v1/oidc/revoke"),
        ("GET", "/v1/oidc/end-session"),
        ("POST", "/v1/oidc/end-session"),
        # Chiave in the SPID/CIE federation: the intermediate and each school's leaf (docs/SPID_CIE.md).
        ("GET", "/v1/oidc/federation/.well-known/openid-federation"),
        ("GET", "/v1/oidc/federation/fetch"),
        ("GET", "/v1/oidc/federation/list"),
        ("GET", "/v1/oidc/rp/{school}/.well-known/openid-federation"),
        # Entra con SPID / CIE: to a provider and back, and the providers to choose from.
        ("GET", "/v1/oidc/rp/{school}/start"),
        ("GET", "/v1/oidc/rp/{school}/callback"),
        ("GET", "/v1/oidc/providers"),
        # The account area (/profilo): the session, never a password.
        ("GET", "/v1/account"),
        ("GET", "/v1/account/sign-in"),
        ("GET", "/v1/account/return"),
        ("POST", "/v1/account/password"),
        ("POST", "/v1/account/email"),
        ("POST", "/v1/account/mobile"),
        ("POST", "/v1/account/app"),
        ("POST", "/v1/account/app/remove"),
        ("POST", "/v1/account/pin"),
        ("POST", "/v1/account/sign-out"),
    }


def test_the_committed_reference_is_current():
    from chiave_local.docgen import reference

    committed = reference.REFERENCE_PATH.read_text("utf-8")
    assert committed == reference.render(), "docs/REFERENCE.md drifted: run `make openapi`"


def test_the_openapi_document_validates_with_no_unused_or_dangling_schema():
    from openapi_spec_validator import validate

    document = json.loads(openapi.OPENAPI_PATH.read_text("utf-8"))
    validate(document)
    schemas = set(document["components"]["schemas"])
    referenced = openapi._refs(document)
    assert referenced - schemas == set(), "dangling"
    assert schemas - referenced == set(), "unused"


def test_the_committed_openapi_document_is_current():
    committed = openapi.OPENAPI_PATH.read_text("utf-8")
    assert committed == openapi.render(), "docs/openapi.json drifted: run `make openapi`"


def test_sample_api_events_match_their_function_s_route():
    for spec in tpl.functions().values():
        for route in spec.routes:
            sample = EVENTS / f"{spec.sample_event(route)}.json"
            event = load_event(sample.stem)
            matched = apigw.match_route(event["httpMethod"], event["path"])
            assert matched is not None and matched[0] == route, sample.name
            assert event["resource"] == route.path


def test_the_sample_sqs_event_carries_an_outbox_message():
    record = json.loads((EVENTS / "notify.json").read_text("utf-8"))["Records"][0]
    assert json.loads(record["body"])["notices"][0]["template"] == "activation"


def test_api_gateway_s_own_responses_are_our_problem_documents():
    from chiave.api.problems import problem

    codes = {
        "MISSING_AUTHENTICATION_TOKEN": "not_found",
        "THROTTLED": "rate_limited",
        "REQUEST_TOO_LARGE": "payload_too_large",
        "DEFAULT_5XX": "service_unavailable",
        "ACCESS_DENIED": "forbidden",
        "INVALID_SIGNATURE": "forbidden",
    }
    responses = tpl.gateway_responses()
    assert set(responses) == set(codes)
    for kind, code in codes.items():
        status, headers, body = problem(code, "it")
        assert (responses[kind].status, responses[kind].body) == (status, body), kind
        assert responses[kind].headers == headers


def test_api_gateway_s_own_responses_on_the_sign_in_speak_oauth():
    # RFC 6749 §5.2 and RFC 6750 §3.1: {"error", "error_description"}, never a problem document
    oauth_errors = {"invalid_request", "access_denied", "temporarily_unavailable"}
    responses = tpl.gateway_responses(tpl.PROVIDER_API)
    assert {"MISSING_AUTHENTICATION_TOKEN", "THROTTLED", "DEFAULT_5XX", "ACCESS_DENIED"} <= set(responses)
    for kind, response in responses.items():
        document = json.loads(response.body)
        assert set(document) == {"error", "error_description"} and document["error"] in oauth_errors, kind
        assert response.headers["Content-Type"] == "application/json", kind
        assert response.headers["Cache-Control"] == "no-store", kind
    # An AWS fault or a throttle tells the register to come back (item 2: 503 with Retry-After)
    assert (responses["DEFAULT_5XX"].status, responses["DEFAULT_5XX"].headers["Retry-After"]) == (503, "5")
    assert json.loads(responses["THROTTLED"].body)["error"] == "temporarily_unavailable"


SPEC = tpl.ROOT.parent / "shared" / "SPEC.md"


def _spec_statuses() -> dict[str, int]:
    """Problem code -> status, from SPEC §3's table (`code` | status | ...)."""
    statuses = {}
    section = SPEC.read_text("utf-8").split("## 3.")[1].split("## 4.")[0]
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`"):
            continue
        codes = [code.strip().strip("`") for code in cells[0].split("/")]
        numbers = [number.strip() for number in cells[1].split("/")]
        if not all(number.isdigit() for number in numbers):
            continue
        for code, number in zip(codes, numbers * len(codes) if len(numbers) == 1 else numbers, strict=False):
            statuses[code] = int(number)
    return statuses


def test_each_problem_code_has_the_status_the_spec_gives_it():
    from chiave.api.messages import CATALOGUE

    if not SPEC.exists():  # CI and the sessions have ../shared beside the clone
        pytest.skip(f"no {SPEC} beside this clone")
    spec = _spec_statuses()
    assert {"service_unavailable", "token_used", "payload_too_large"} <= set(spec)
    for code, message in CATALOGUE.items():
        if code in spec:
            assert message.status == spec[code], code
