"""POST /v1/contacts/email, /v1/contacts/mobile, /v1/contacts/confirm: the
account's own e-mail and mobile, changed once the new one is proved."""

from __future__ import annotations

import time

from chiave.api.models import (
    AcceptedResponse,
    ContactChangedResponse,
    EmailChangeRequest,
    MobileChallengeResponse,
    MobileChangeRequest,
    TokenRequest,
    responses_of,
)
from chiave.api.resolver import (
    APIGatewayRouter,
    Response,
    accepted_response,
    build_resolver,
    client_ip,
    json_response,
    lambda_handler,
)
from chiave.api.validation import validated
from chiave.flows.contacts import confirm_contact, request_email_change, request_mobile_change
from chiave.steps import step_up

router = APIGatewayRouter()


@router.post(
    "/contacts/email",
    status_code=202,
    responses=responses_of(202, AcceptedResponse, 401, 403, 404, 409, 423),
    summary="Change the account's e-mail: a link to the new address, a notice to the old one",
)
@validated(router)
def post_email(body: EmailChangeRequest) -> Response[str]:
    asked = step_up.Asked(body.school, body.login, body.password, body.token, client_ip(router))
    request_email_change(asked, body.email, time.time())
    return accepted_response(router, "contacts_email", None)


@router.post(
    "/contacts/mobile",
    status_code=202,
    responses=responses_of(202, MobileChallengeResponse, 401, 403, 404, 409, 423),
    summary="Change the account's mobile: an SMS code to the new number",
)
@validated(router)
def post_mobile(body: MobileChangeRequest) -> Response[str]:
    asked = step_up.Asked(body.school, body.login, body.password, body.token, client_ip(router))
    started = request_mobile_change(asked, body.mobile, time.time())
    return json_response(
        router,
        202,
        MobileChallengeResponse.of(started),
    )


@router.post(
    "/contacts/confirm",
    responses=responses_of(200, ContactChangedResponse, 403, 410),
    summary="Confirm a new e-mail (the link's token) or mobile (the verified flow's token)",
)
@validated(router)
def post_confirm(body: TokenRequest) -> Response[str]:
    changed = confirm_contact(body.token, time.time())
    return json_response(router, 200, ContactChangedResponse(changed=changed.changed, hint=changed.hint))


app = build_resolver(router)
handler = lambda_handler(app)
