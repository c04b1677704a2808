"""POST /v1/flows/status: what a link is for, and which password rules apply."""

from __future__ import annotations

import time
from dataclasses import asdict

from chiave.api.models import FlowStatusResponse, TokenRequest, responses_of
from chiave.api.resolver import (
    APIGatewayRouter,
    Response,
    build_resolver,
    json_response,
    lambda_handler,
    request_language,
)
from chiave.api.validation import validated
from chiave.flows.flow_status import flow_status

router = APIGatewayRouter()


@router.post(
    "/flows/status",
    responses=responses_of(200, FlowStatusResponse, 410),
    summary="Describe the flow a link token stands for",
)
@validated(router)
def post_flow_status(body: TokenRequest) -> Response[str]:
    status = flow_status(body.token, time.time(), request_language(router))
    return json_response(router, 200, FlowStatusResponse.model_validate(asdict(status)))


app = build_resolver(router)
handler = lambda_handler(app)
