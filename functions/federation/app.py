"""The SPID/CIE federation's endpoints (OpenID Federation 1.0): the
intermediate's and each school's Entity Configuration, the intermediate's
fetch and list endpoints. Statements are signed JWTs; errors are the
federation's `{"error", "error_description"}`."""

from __future__ import annotations

import time

from chiave.federation import publication, statements
from chiave.oidc.http import (
    APIGatewayRouter,
    Response,
    build_provider_resolver,
    json_answer,
    provider_handler,
    query,
)

router = APIGatewayRouter()
# A superior and the providers cache statements; each answer costs a KMS Sign.
CACHED = {"Cache-Control": "public, max-age=3600"}


def _statement(signed: str | None, what: str) -> Response[str]:
    if signed is None:
        refused = {"error": "not_found", "error_description": f"{what} is not in this federation"}
        return json_answer(404, refused)
    return Response(
        status_code=200, content_type=f"application/{statements.STATEMENT_TYPE}", body=signed, headers=CACHED
    )


@router.get("/oidc/federation/.well-known/openid-federation")
def get_intermediate() -> Response[str]:
    return _statement(publication.intermediate_configuration(time.time()), "the intermediate")


@router.get("/oidc/rp/<school>/.well-known/openid-federation")
def get_leaf(school: str) -> Response[str]:
    return _statement(publication.leaf_configuration(school.upper(), time.time()), "this school")


@router.get("/oidc/federation/fetch")
def get_subordinate() -> Response[str]:
    subject = query(router).get("sub")
    if not subject:
        return json_answer(400, {"error": "invalid_request", "error_description": "sub is required"})
    return _statement(publication.subordinate_statement(subject, time.time()), "sub")


@router.get("/oidc/federation/list")
def get_list() -> Response[str]:
    return json_answer(200, publication.leaves(), **CACHED)


app = build_provider_resolver(router)
handler = provider_handler(app)
