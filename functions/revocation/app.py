"""POST /oidc/revoke: a register's backend revokes a token it holds (RFC 7009)."""

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
from chiave.oidc.revocation import revoke
from chiave.oidc.token import authenticated_client

router = APIGatewayRouter()


@router.post("/oidc/revoke")
def post_revoke() -> Response[str]:
    now = time.time()
    params = form(router)
    client = authenticated_client(basic_credentials(router), params, now)
    revoke(client, params, now)
    return json_answer(200, {})


app = build_provider_resolver(router)
handler = provider_handler(app)
