"""Entra con SPID / Entra con CIE: the browser goes to a provider from the
sign-in page (`/oidc/rp/{school}/start`) and comes back (`.../callback`);
the sign-in page lists the providers (`/oidc/providers`). Each answer to a
browser is a redirect: the provider, the register, or the sign-in page
saying what to do next."""

from __future__ import annotations

import time

from chiave.federation.trust_chain import FederationUnreachable
from chiave.flows import spid_cie
from chiave.oidc.authorize import SESSION_LIFETIME_S
from chiave.oidc.http import (
    APIGatewayRouter,
    Response,
    build_provider_resolver,
    json_answer,
    provider_handler,
    query,
    redirect,
    session_cookie,
    set_session_cookie,
)

router = APIGatewayRouter()
# The list changes when the federation does: CloudFront and browsers keep it five minutes.
LISTED = {"Cache-Control": "public, max-age=300"}


def _go(outcome: spid_cie.Outcome) -> Response[str]:
    answer = redirect(outcome.location)
    if outcome.session_cookie is not None:
        answer.headers["Set-Cookie"] = set_session_cookie(outcome.session_cookie, SESSION_LIFETIME_S)
    return answer


@router.get("/oidc/rp/<school>/start")
def get_start(school: str) -> Response[str]:
    asked = query(router)
    return _go(
        spid_cie.start(school.upper(), asked.get("richiesta", ""), asked.get("provider", ""), time.time())
    )


@router.get("/oidc/rp/<school>/callback")
def get_callback(school: str) -> Response[str]:
    return _go(spid_cie.come_back(school.upper(), query(router), time.time(), session_cookie(router)))


@router.get("/oidc/providers")
def get_providers() -> Response[str]:
    try:
        listed = spid_cie.providers_listed(time.time())
    except FederationUnreachable:
        busy = {"error": "temporarily_unavailable", "error_description": "the federation did not answer"}
        return json_answer(503, busy, **{"Retry-After": "30"})
    return json_answer(200, {"providers": listed}, **LISTED)


app = build_provider_resolver(router)
handler = provider_handler(app)
