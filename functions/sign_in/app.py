"""POST /v1/sign-in: the sign-in page answers a register's authorization
request with a login and password (and the second factor, when asked)."""

from __future__ import annotations

import time

from chiave.api.models import SignedInResponse, SignInRequest, responses_of
from chiave.api.resolver import (
    APIGatewayRouter,
    Response,
    build_resolver,
    client_ip,
    json_response,
    lambda_handler,
)
from chiave.api.validation import validated
from chiave.flows.sign_in import sign_in
from chiave.oidc.http import session_cookie, set_session_cookie
from chiave.steps import step_up

router = APIGatewayRouter()


@router.post(
    "/sign-in",
    responses=responses_of(200, SignedInResponse, 401, 403, 404, 410, 423),
    summary="Sign in to a register: the answer to its authorization request",
)
@validated(router)
def post_sign_in(body: SignInRequest) -> Response[str]:
    asked = step_up.Asked(body.school, body.login, body.password, body.token, client_ip(router))
    done = sign_in(body.request, asked, time.time(), session_cookie(router))
    answer = json_response(router, 200, SignedInResponse(redirect=done.redirect))
    answer.headers["Set-Cookie"] = set_session_cookie(done.session_cookie, done.session_lifetime_s)
    return answer


app = build_resolver(router)
handler = lambda_handler(app)
