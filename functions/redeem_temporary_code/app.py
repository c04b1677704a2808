"""POST /v1/temporary-codes/redeem: a password set with the school's temporary code."""

from __future__ import annotations

import time

from chiave.api.models import CompletedResponse, RedeemRequest, responses_of
from chiave.api.resolver import (
    APIGatewayRouter,
    Response,
    build_resolver,
    client_ip,
    json_response,
    lambda_handler,
)
from chiave.api.validation import validated
from chiave.flows.redeem_temporary_code import redeem
from chiave.oidc.authorize import SESSION_LIFETIME_S
from chiave.oidc.http import set_session_cookie

router = APIGatewayRouter()


@router.post(
    "/temporary-codes/redeem",
    responses=responses_of(200, CompletedResponse, 401, 403, 404, 410, 423),
    summary="Set a password with the temporary code the school issued",
)
@validated(router)
def post_redeem(body: RedeemRequest) -> Response[str]:
    school, address = body.school, client_ip(router)
    redeemed = redeem(
        school, body.login, body.temporary_code, body.new_password, address, time.time(), body.request
    )
    answer = json_response(router, 200, CompletedResponse.of(redeemed))
    if redeemed.session_cookie is not None:  # from the sign-in page: signed in at the register too
        answer.headers["Set-Cookie"] = set_session_cookie(redeemed.session_cookie, SESSION_LIFETIME_S)
    return answer


app = build_resolver(router)
handler = lambda_handler(app)
