"""POST /oidc/token: a register's backend exchanges a code for its tokens."""

from __future__ import annotations

import time

from chiave.oidc.http import (
    APIGatewayRouter,
    Response,
    basic_credentials,
    build_provider_resolver,
    form,
    json_answer,
    provider_handler,
)
from chiave.oidc.token import authenticated_client, exchange

router = APIGatewayRouter()


@router.post("/oidc/token")
def post_token() -> Response[str]:
    now = time.time()
    params = form(router)
    client = authenticated_client(basic_credentials(router), params, now)
    return json_answer(200, exchange(client, params, now))


app = build_provider_resolver(router)
handler = provider_handler(app)
