"""GET /oidc/.well-known/openid-configuration and GET /oidc/jwks: what the
sign-in's relying parties discover, and the keys they verify ID tokens with."""

from __future__ import annotations

from chiave.oidc import discovery, signing
from chiave.oidc.http import (
    APIGatewayRouter,
    Response,
    build_provider_resolver,
    json_answer,
    provider_handler,
)

router = APIGatewayRouter()
# Relying parties cache both; a new signing key is published a day before it signs.
CACHED = {"Cache-Control": "public, max-age=3600"}


@router.get("/oidc/.well-known/openid-configuration")
def get_configuration() -> Response[str]:
    return json_answer(200, discovery.configuration(), **CACHED)


@router.get("/oidc/jwks")
def get_jwks() -> Response[str]:
    return json_answer(200, signing.jwks(), **CACHED)


app = build_provider_resolver(router)
handler = provider_handler(app)
