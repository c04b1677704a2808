"""GET and POST /oidc/userinfo: what the access token lets a register read."""

from __future__ import annotations

import time

from chiave.oidc.http import (
    APIGatewayRouter,
    Response,
    bearer_token,
    build_provider_resolver,
    json_answer,
    provider_handler,
)
from chiave.oidc.userinfo import userinfo

router = APIGatewayRouter()


@router.get("/oidc/userinfo")
@router.post("/oidc/userinfo")
def get_userinfo() -> Response[str]:
    return json_answer(200, userinfo(bearer_token(router), time.time()))


app = build_provider_resolver(router)
handler = provider_handler(app)
