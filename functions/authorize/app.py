"""GET /oidc/authorize: a register sends the person here to sign in."""

from __future__ import annotations

import time

from chiave.oidc.authorize import ErrorPage, authorize
from chiave.oidc.http import (
    APIGatewayRouter,
    Response,
    build_provider_resolver,
    error_page,
    provider_handler,
    query,
    redirect,
    session_cookie,
)

router = APIGatewayRouter()


@router.get("/oidc/authorize")
def get_authorize() -> Response[str]:
    outcome = authorize(query(router), session_cookie(router), time.time())
    if isinstance(outcome, ErrorPage):
        return error_page(outcome.error, outcome.description_it, outcome.description_en)
    return redirect(outcome.location)


app = build_provider_resolver(router)
handler = provider_handler(app)
