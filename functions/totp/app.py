"""POST /v1/totp/enrol, /v1/totp/confirm: an authenticator app for the account."""

from __future__ import annotations

import time

from chiave.api.models import (
    TotpConfirmRequest,
    TotpEnrolledResponse,
    TotpEnrolmentResponse,
    TotpEnrolRequest,
    responses_of,
)
from chiave.api.resolver import (
    APIGatewayRouter,
    Response,
    build_resolver,
    client_ip,
    json_response,
    lambda_handler,
)
from chiave.api.validation import validated
from chiave.flows.totp import confirm, enrol
from chiave.steps import step_up

router = APIGatewayRouter()


@router.post(
    "/totp/enrol",
    responses=responses_of(200, TotpEnrolmentResponse, 401, 403, 404, 423),
    summary="Start enrolling an authenticator app: the otpauth:// URI to scan",
)
@validated(router)
def post_enrol(body: TotpEnrolRequest) -> Response[str]:
    asked = step_up.Asked(body.school, body.login, body.password, body.token, client_ip(router))
    started = enrol(asked, time.time())
    return json_response(
        router,
        200,
        TotpEnrolmentResponse.of(started),
    )


@router.post(
    "/totp/confirm",
    responses=responses_of(200, TotpEnrolledResponse, 400, 410),
    summary="Confirm the app with one of its codes: from then on it replaces the SMS",
)
@validated(router)
def post_confirm(body: TotpConfirmRequest) -> Response[str]:
    confirm(body.enrolment, body.code, time.time())
    return json_response(router, 200, TotpEnrolledResponse())


app = build_resolver(router)
handler = lambda_handler(app)
