"""POST /v1/factor-changes/confirm, /cancel, /complete: a change asked for
without a second factor, confirmed from the account's e-mail, completed
after the school's cool-off, or cancelled before."""

from __future__ import annotations

import time

from chiave.api.models import (
    ChangeCancelledResponse,
    ChangeCompletedResponse,
    ChangeScheduledResponse,
    MobileChallengeResponse,
    TokenRequest,
    TotpEnrolmentResponse,
    responses_of,
)
from chiave.api.resolver import APIGatewayRouter, Response, build_resolver, json_response, lambda_handler
from chiave.api.validation import validated
from chiave.flows import factor_changes

router = APIGatewayRouter()


@router.post(
    "/factor-changes/confirm",
    responses=responses_of(200, ChangeScheduledResponse, 400, 404, 410),
    summary="Confirm a change from the account's e-mail: it waits the cool-off, with a notice to cancel it",
)
@validated(router)
def post_confirm(body: TokenRequest) -> Response[str]:
    scheduled = factor_changes.confirm(body.token, time.time())
    return json_response(
        router,
        200,
        ChangeScheduledResponse(
            change=scheduled.change, hint=scheduled.hint, usable_from=scheduled.usable_from
        ),
    )


@router.post(
    "/factor-changes/cancel",
    responses=responses_of(200, ChangeCancelledResponse, 400, 404, 410),
    summary="Cancel a change asked without a second factor, at any time before it is completed",
)
@validated(router)
def post_cancel(body: TokenRequest) -> Response[str]:
    change = factor_changes.cancel(body.token, time.time())
    return json_response(router, 200, ChangeCancelledResponse(change=change))


@router.post(
    "/factor-changes/complete",
    responses=responses_of(200, ChangeCompletedResponse, 400, 403, 404, 410, 429, 503),
    summary="Complete a scheduled change after its cool-off: its next step as with a second factor",
)
@validated(router)
def post_complete(body: TokenRequest) -> Response[str]:
    done = factor_changes.complete(body.token, time.time())
    mobile = done.mobile and MobileChallengeResponse.of(done.mobile)
    app = done.enrolment and TotpEnrolmentResponse.of(done.enrolment)
    answer = ChangeCompletedResponse(change=done.change, hint=done.hint, mobile=mobile, app=app)
    return json_response(router, 200, answer)


app = build_resolver(router)
handler = lambda_handler(app)
