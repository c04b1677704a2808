"""POST /v1/password-resets/confirm: set the password with a link token."""

from __future__ import annotations

import time

from chiave.api.models import CompletedResponse, ConfirmRequest, responses_of
from chiave.api.resolver import APIGatewayRouter, Response, build_resolver, json_response, lambda_handler
from chiave.api.validation import validated
from chiave.flows.confirm_reset import confirm
from chiave.oidc.authorize import SESSION_LIFETIME_S
from chiave.oidc.http import set_session_cookie

router = APIGatewayRouter()


@router.post(
    "/password-resets/confirm",
    responses=responses_of(200, CompletedResponse, 403, 410),
    summary="Set the password: completes an activation or a reset",
)
@validated(router)
def post_confirm(body: ConfirmRequest) -> Response[str]:
    completed = confirm(body.token, body.new_password, time.time(), body.confirmation_key)
    answer = json_response(router, 200, CompletedResponse.of(completed))
    if completed.session_cookie is not None:  # a reset from the sign-in page: signed in at the register
        answer.headers["Set-Cookie"] = set_session_cookie(completed.session_cookie, SESSION_LIFETIME_S)
    return answer


app = build_resolver(router)
handler = lambda_handler(app)
