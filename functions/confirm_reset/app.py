"""POST /v1/password-resets/confirm: set the password with a link token."""

from __future__ import annotations

import time

from chiave.api.models import CompletedResponse, ConfirmRequest, responses_of
from chiave.api.resolver import APIGatewayRouter, Response, build_resolver, json_response, lambda_handler
from chiave.api.validation import validated
from chiave.flows.confirm_reset import confirm

router = APIGatewayRouter()


@router.post(
    "/password-resets/confirm",
    responses=responses_of(200, CompletedResponse, 403, 410),
    summary="Set the password: completes an activation or a reset",
)
@validated(router)
def post_confirm(body: ConfirmRequest) -> Response[str]:
    completed = confirm(body.token, body.new_password, time.time(), body.confirmation_key)
    return json_response(router, 200, CompletedResponse.of(completed))


app = build_resolver(router)
handler = lambda_handler(app)
