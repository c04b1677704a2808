"""POST /v1/schools/{school}/registrations: credentials by codice fiscale."""

from __future__ import annotations

import time

from chiave.api.models import ACCEPTED, RegistrationRequest, SchoolCode
from chiave.api.resolver import (
    APIGatewayRouter,
    Response,
    accepted_response,
    build_resolver,
    client_ip,
    lambda_handler,
)
from chiave.api.validation import validated
from chiave.flows.register import register

router = APIGatewayRouter()


@router.post(
    "/schools/<school>/registrations",
    status_code=202,
    responses=ACCEPTED,
    summary="Ask for credentials by codice fiscale (activation link by e-mail)",
)
@validated(router)
def post_registration(school: SchoolCode, body: RegistrationRequest) -> Response[str]:
    accepted = register(school, body.codice_fiscale, client_ip(router), time.time())
    return accepted_response(router, "register", accepted.email_hint)


app = build_resolver(router)
handler = lambda_handler(app)
