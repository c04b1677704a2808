"""/v1/account: the account area (/profilo) with the browser's session,
never a password. GET the overview; sign in (again) through the sign-in as
Chiave's own client; the sensitive changes after a fresh sign-in; sign out
of one device or all."""

from __future__ import annotations

import time

from chiave.api.models import (
    AcceptedResponse,
    AccountEmailRequest,
    AccountEventResponse,
    AccountMobileRequest,
    AccountOverviewResponse,
    AccountPasswordRequest,
    AccountSignOutRequest,
    AccountStepUpRequest,
    DeviceResponse,
    MobileChallengeResponse,
    PasswordChangedResponse,
    PinIssuedResponse,
    SignedOutResponse,
    TotpEnrolledResponse,
    TotpEnrolmentResponse,
    responses_of,
)
from chiave.api.resolver import (
    APIGatewayRouter,
    Response,
    accepted_response,
    build_resolver,
    json_response,
    lambda_handler,
)
from chiave.api.validation import validated
from chiave.errors import NotSignedIn, SignInExpired
from chiave.flows import account
from chiave.oidc.authorize import REQUEST_LIFETIME_S, SCHOOL_CODE
from chiave.oidc.http import (
    VERIFIER_COOKIE,
    clear_session_cookie,
    cookie,
    redirect,
    session_cookie,
    set_cookie,
)
from chiave.runtime.settings import portal_url

router = APIGatewayRouter()
FRESH_REQUIRED = (401, 403, 409, 422, 423)


def _held() -> str | None:
    return session_cookie(router)


@router.get(
    "/account",
    responses=responses_of(200, AccountOverviewResponse, 401),
    summary="The account area: who, the contacts (masked), factors, devices, the last events",
)
def get_account() -> Response[str]:
    seen = account.overview(_held(), time.time())
    answer = AccountOverviewResponse(
        school=seen.school_id,
        school_name=seen.school_name,
        register_url=seen.register_url,
        name=seen.name,
        surname=seen.surname,
        user_code=seen.user_code,
        email_hint=seen.email_hint,
        phone_hint=seen.phone_hint,
        has_password=seen.has_password,
        has_app=seen.has_app,
        has_pin=seen.has_pin,
        signed_in_at=seen.signed_in_at,
        fresh_until=seen.fresh_until,
        devices=[
            DeviceResponse(
                id=device.sid,
                signed_in_at=device.signed_in_at,
                methods=list(device.methods),
                registers=list(device.registers),
                this_device=device.this_device,
            )
            for device in seen.devices
        ],
        events=[AccountEventResponse(**event) for event in seen.events],
    )
    return json_response(router, 200, answer)


@router.get("/account/sign-in", summary="Sign in to the account area (again): on to /accedi")
def get_sign_in() -> Response[str]:
    school = (router.current_event.query_string_parameters or {}).get("scuola", "").upper()
    # A code that cannot be a school's is not carried on (the parent chooses on /accedi).
    named = school if SCHOOL_CODE.match(school) else None
    location, verifier = account.sign_in(_held(), named, time.time())
    answer = redirect(location)
    answer.headers["Set-Cookie"] = set_cookie(VERIFIER_COOKIE, verifier, REQUEST_LIFETIME_S)
    return answer


@router.get("/account/return", summary="Back from the sign-in: on to /profilo")
def get_return() -> Response[str]:
    code = (router.current_event.query_string_parameters or {}).get("code", "")
    profile = f"{portal_url().rstrip('/')}/profilo"
    try:
        account.returned(_held(), cookie(router, VERIFIER_COOKIE), code, time.time())
    except (SignInExpired, NotSignedIn):
        answer = redirect(f"{profile}?esito=expired")
    else:
        answer = redirect(profile)
    answer.headers["Set-Cookie"] = set_cookie(VERIFIER_COOKIE, "", 0)
    return answer


@router.post(
    "/account/password",
    responses=responses_of(200, PasswordChangedResponse, *FRESH_REQUIRED),
    summary="A new password (the school's rules, none of the last five), after a fresh sign-in",
)
@validated(router)
def post_password(body: AccountPasswordRequest) -> Response[str]:
    account.new_password(_held(), body.new_password, time.time())
    return json_response(router, 200, PasswordChangedResponse())


@router.post(
    "/account/email",
    status_code=202,
    responses=responses_of(202, AcceptedResponse, *FRESH_REQUIRED),
    summary="A new e-mail: a link to it, a notice to the old one (the factor proves it first)",
)
@validated(router)
def post_email(body: AccountEmailRequest) -> Response[str]:
    account.new_email(_held(), body.email, body.token, time.time())
    return accepted_response(router, "contacts_email", None)


@router.post(
    "/account/mobile",
    status_code=202,
    responses=responses_of(202, MobileChallengeResponse, *FRESH_REQUIRED),
    summary="A new mobile: an SMS code to it (the factor proves it first)",
)
@validated(router)
def post_mobile(body: AccountMobileRequest) -> Response[str]:
    started = account.new_mobile(_held(), body.mobile, body.token, time.time())
    challenge = MobileChallengeResponse.of(started)
    return json_response(router, 202, challenge)


@router.post(
    "/account/app",
    responses=responses_of(200, TotpEnrolmentResponse, *FRESH_REQUIRED),
    summary="Enrol an authenticator app: the otpauth:// URI to scan (confirmed at /totp/confirm)",
)
@validated(router)
def post_app(body: AccountStepUpRequest) -> Response[str]:
    started = account.enrol_app(_held(), body.token, time.time())
    enrolment = TotpEnrolmentResponse.of(started)
    return json_response(router, 200, enrolment)


@router.post(
    "/account/app/remove",
    responses=responses_of(200, TotpEnrolledResponse, *FRESH_REQUIRED),
    summary="Remove the authenticator app (a code from it proves the change)",
)
@validated(router)
def post_app_remove(body: AccountStepUpRequest) -> Response[str]:
    account.remove_app(_held(), body.token, time.time())
    return json_response(router, 200, TotpEnrolledResponse(enrolled=False))


@router.post(
    "/account/pin",
    status_code=201,
    responses=responses_of(201, PinIssuedResponse, *FRESH_REQUIRED),
    summary="A new PIN (shown once, or e-mailed as the school's policy says)",
)
@validated(router)
def post_pin(body: AccountStepUpRequest) -> Response[str]:
    issued = account.new_pin(_held(), body.token, time.time())
    if issued.pin is None:
        return accepted_response(router, "issue_pin", None)
    return json_response(router, 201, PinIssuedResponse(pin=issued.pin))


@router.post(
    "/account/sign-out",
    responses=responses_of(200, SignedOutResponse, 401, 422),
    summary="Sign out of one device, or of every device and register",
)
@validated(router)
def post_sign_out(body: AccountSignOutRequest) -> Response[str]:
    ended = account.sign_out(_held(), body.device, time.time())
    answer = json_response(router, 200, SignedOutResponse(devices=ended.devices, here=ended.here))
    if ended.here:
        answer.headers["Set-Cookie"] = clear_session_cookie()
    return answer


app = build_resolver(router)
handler = lambda_handler(app)
