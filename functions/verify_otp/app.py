"""POST /v1/otp/verify: the SMS code, checked; the flow marked verified."""

from __future__ import annotations

import time

from chiave.api.models import OtpVerifiedResponse, OtpVerifyRequest, responses_of
from chiave.api.resolver import APIGatewayRouter, Response, build_resolver, json_response, lambda_handler
from chiave.api.validation import validated
from chiave.flows.verify_otp import verify_otp

router = APIGatewayRouter()


@router.post(
    "/otp/verify",
    responses=responses_of(200, OtpVerifiedResponse, 409, 410),
    summary="Check the SMS code; on success the link's flow is verified",
)
@validated(router)
def post_verify_otp(body: OtpVerifyRequest) -> Response[str]:
    verify_otp(body.token, body.code, time.time())
    return json_response(router, 200, OtpVerifiedResponse())


app = build_resolver(router)
handler = lambda_handler(app)
