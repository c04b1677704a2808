"""POST /v1/passwords/change: a new password with the current one ("Cambio password")."""

from __future__ import annotations

import time

from chiave.api.models import ChangePasswordRequest, PasswordChangedResponse, responses_of
from chiave.api.resolver import (
    APIGatewayRouter,
    Response,
    build_resolver,
    client_ip,
    json_response,
    lambda_handler,
)
from chiave.api.validation import validated
from chiave.flows.change_password import change_password

router = APIGatewayRouter()


@router.post(
    "/passwords/change",
    responses=responses_of(200, PasswordChangedResponse, 401, 403, 404, 423),
    summary="Change the password: the current one, the school's rules, none of the last five",
)
@validated(router)
def post_change_password(body: ChangePasswordRequest) -> Response[str]:
    change_password(
        body.school,
        body.login,
        body.current_password,
        body.new_password,
        client_ip(router),
        time.time(),
    )
    return json_response(router, 200, PasswordChangedResponse())


app = build_resolver(router)
handler = lambda_handler(app)
