"""POST /v1/internal/credentials/verify: the register's backend checks a
login and password (AWS_IAM only: template.yaml)."""

from __future__ import annotations

import time

from chiave.api.models import AccountResponse, CredentialsCheckRequest, responses_of
from chiave.api.resolver import (
    APIGatewayRouter,
    Response,
    build_resolver,
    caller_arn,
    json_response,
    lambda_handler,
)
from chiave.api.validation import validated
from chiave.flows.verify_credentials import verify_credentials

router = APIGatewayRouter()


@router.post(
    "/internal/credentials/verify",
    responses=responses_of(200, AccountResponse, 401, 403, 404, 423),
    summary="Internal (AWS_IAM): check a parent's login and password for the register",
)
@validated(router)
def post_verify_credentials(body: CredentialsCheckRequest) -> Response[str]:
    end_user_ip = str(body.client_ip) if body.client_ip else None
    account = verify_credentials(
        body.school, body.login, body.password, end_user_ip, caller_arn(router), time.time()
    )
    return json_response(
        router,
        200,
        AccountResponse(
            user_code=account.user_code,
            codice_fiscale=account.codice_fiscale,
            role=account.role,
            status=account.status,
            must_change_password=account.must_change_password,
        ),
    )


app = build_resolver(router)
handler = lambda_handler(app)
