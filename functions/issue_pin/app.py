"""POST /v1/pins: a new PIN for the register's own actions (justifying an absence)."""

from __future__ import annotations

import time

from chiave.api.models import PinIssuedResponse, PinRequest, responses_of
from chiave.api.resolver import (
    APIGatewayRouter,
    Response,
    accepted_response,
    build_resolver,
    client_ip,
    json_response,
    lambda_handler,
)
from chiave.api.validation import validated
from chiave.flows.issue_pin import issue_pin
from chiave.steps import step_up

router = APIGatewayRouter()


@router.post(
    "/pins",
    status_code=201,
    responses=responses_of(201, PinIssuedResponse, 401, 403, 404, 410, 423),
    summary="Issue a new PIN (shown once, or e-mailed as the school's policy says)",
)
@validated(router)
def post_pin(body: PinRequest) -> Response[str]:
    asked = step_up.Asked(body.school, body.login, body.password, body.token, client_ip(router))
    issued = issue_pin(asked, time.time())
    if issued.pin is None:
        return accepted_response(router, "issue_pin", None)
    return json_response(router, 201, PinIssuedResponse(pin=issued.pin))


app = build_resolver(router)
handler = lambda_handler(app)
