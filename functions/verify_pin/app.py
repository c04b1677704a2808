"""POST /v1/internal/pins/verify: the register's backend checks a parent's
PIN (AWS_IAM only: template.yaml)."""

from __future__ import annotations

import time

from chiave.api.models import PinCheckRequest, PinVerifiedResponse, responses_of
from chiave.api.resolver import (
    APIGatewayRouter,
    Response,
    build_resolver,
    caller_arn,
    json_response,
    lambda_handler,
)
from chiave.api.validation import validated
from chiave.flows.verify_pin import verify_pin

router = APIGatewayRouter()


@router.post(
    "/internal/pins/verify",
    responses=responses_of(200, PinVerifiedResponse, 401, 403, 404, 423),
    summary="Internal (AWS_IAM): check a parent's PIN for the register",
)
@validated(router)
def post_verify_pin(body: PinCheckRequest) -> Response[str]:
    end_user_ip = str(body.client_ip) if body.client_ip else None
    code = verify_pin(body.school, body.user_code, body.pin, end_user_ip, caller_arn(router), time.time())
    return json_response(router, 200, PinVerifiedResponse(user_code=code))


app = build_resolver(router)
handler = lambda_handler(app)
