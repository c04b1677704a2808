"""POST /v1/otp/send: an SMS code to the mobile the school has on file."""

from __future__ import annotations

import time

from chiave.api.models import OtpSentResponse, TokenRequest, responses_of
from chiave.api.resolver import (
    APIGatewayRouter,
    Response,
    build_resolver,
    client_ip,
    json_response,
    lambda_handler,
)
from chiave.api.validation import validated
from chiave.flows.send_otp import send_otp

router = APIGatewayRouter()


@router.post(
    "/otp/send",
    status_code=202,
    responses=responses_of(202, OtpSentResponse, 409, 410),
    summary="Send (or send again) the SMS code of a link's flow",
)
@validated(router)
def post_send_otp(body: TokenRequest) -> Response[str]:
    sent = send_otp(body.token, client_ip(router), time.time())
    return json_response(
        router,
        202,
        OtpSentResponse(
            phone_hint=sent.phone_hint, expires_in=sent.expires_in, resend_after=sent.resend_after
        ),
    )


app = build_resolver(router)
handler = lambda_handler(app)
