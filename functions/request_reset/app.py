"""POST /v1/schools/{school}/password-resets: "Password dimenticata?"."""

from __future__ import annotations

import time

from chiave.api.models import ACCEPTED, PasswordResetRequest, SchoolCode
from chiave.api.resolver import (
    APIGatewayRouter,
    Response,
    accepted_response,
    build_resolver,
    client_ip,
    lambda_handler,
)
from chiave.api.validation import validated
from chiave.flows.request_reset import request_reset

router = APIGatewayRouter()


@router.post(
    "/schools/<school>/password-resets",
    status_code=202,
    responses=ACCEPTED,
    summary="Ask for a reset link by codice fiscale, user code or e-mail",
)
@validated(router)
def post_password_reset(school: SchoolCode, body: PasswordResetRequest) -> Response[str]:
    accepted = request_reset(school, body.identifier, client_ip(router), time.time(), body.request)
    return accepted_response(router, "request_reset", accepted.email_hint)


app = build_resolver(router)
handler = lambda_handler(app)
