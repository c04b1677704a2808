"""Request and response bodies of the HTTP API (SPEC §3)."""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, IPvAnyAddress, StringConstraints

from chiave.domain import PasswordSet
from chiave.italian import clock
from chiave.runtime import coldstart

if TYPE_CHECKING:
    from chiave.flows.contacts import MobileChallenge
    from chiave.flows.totp import Enrolment


def _printable(value: str) -> str:
    # NUL, other control characters and lone surrogates cannot be stored or
    # mailed: refuse them here rather than fail later.
    if any(ord(char) < 32 or ord(char) == 127 or 0xD800 <= ord(char) <= 0xDFFF for char in value):
        raise ValueError("contains control characters or invalid Unicode")
    return value


Printable = AfterValidator(_printable)
CodiceFiscaleText = Annotated[str, StringConstraints(min_length=1, max_length=32), Printable]
IdentifierText = Annotated[str, StringConstraints(min_length=1, max_length=254), Printable]
TokenText = Annotated[str, StringConstraints(min_length=1, max_length=128), Printable]
# Longer than the 128-character rule, so an over-long password is told which
# rule it breaks instead of failing validation.
PasswordText = Annotated[str, StringConstraints(min_length=1, max_length=1024), Printable]


# A codice meccanografico as given (any case), the school's id once valid:
# normalised here, so no handler or flow upper-cases it again.
SchoolCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{4}[A-Za-z0-9]{6}$", to_upper=True),
]


class Body(BaseModel):
    """A request or response body. Its validator and serializer are built
    when first used (a function uses two or three of these models), or
    before SnapStart's snapshot (`warm_up`)."""

    model_config = ConfigDict(defer_build=True)


class Request(Body):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegistrationRequest(Request):
    codice_fiscale: CodiceFiscaleText = Field(description="Codice fiscale (spaces, case ignored)")


class PasswordResetRequest(Request):
    identifier: IdentifierText = Field(description="Codice fiscale, user code or e-mail")
    request: TokenText | None = Field(
        None,
        description="From the sign-in page: the register's authorization request, answered once the new "
        "password is set",
    )


class TokenRequest(Request):
    token: TokenText = Field(description="The token from the link's fragment")


class ConfirmRequest(TokenRequest):
    new_password: PasswordText
    confirmation_key: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{22,64}$")] | None = Field(
        None,
        description="A random key the page makes for this confirmation: sent again with the same "
        "key (its answer lost), the confirmation gets its first answer; a used link answers "
        "nothing else",
    )


class OtpVerifyRequest(TokenRequest):
    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6,8}$")] = Field(
        description="The code from the SMS"
    )


class LoginRequest(Request):
    school: SchoolCode = Field(description="The school's codice meccanografico")
    login: IdentifierText = Field(description="User code (9 digits) or e-mail")


StepUpToken = Annotated[
    TokenText | None,
    Field(
        description="The token a 403 otp_required answer gave, once its code (the app's, or by SMS "
        "to the mobile on file) is verified"
    ),
]


class SteppedUpRequest(LoginRequest):
    """A login and password, and what proves the account's factor besides."""

    password: PasswordText
    token: StepUpToken = None


class PinRequest(SteppedUpRequest):
    pass


class SignInRequest(SteppedUpRequest):
    """The sign-in page's answer to a register's authorization request."""

    request: TokenText = Field(description="The authorization request, as /accedi?richiesta= names it")


class SignedInResponse(Body):
    redirect: str = Field(description="Where the browser goes next: the register, with the code")


class PinIssuedResponse(Body):
    pin: str = Field(description="Shown once: it is stored only as a hash")


class ChangePasswordRequest(LoginRequest):
    current_password: PasswordText
    new_password: PasswordText


class RedeemRequest(LoginRequest):
    login: IdentifierText = Field(description="User code, e-mail or codice fiscale")
    temporary_code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 -]{10,14}$")] = Field(
        description="The code the school issued (any case; spaces and dashes ignored)"
    )
    new_password: PasswordText
    request: TokenText | None = Field(
        None, description="From the sign-in page: the register's authorization request, answered at once"
    )


def _email_address(value: str) -> str:
    from chiave.italian.anagrafica import normalise_email

    normalised = normalise_email(value)
    if normalised is None:
        raise ValueError("indirizzo e-mail mancante")
    return normalised


def _mobile_number(value: str) -> str:
    from chiave.italian import phone

    try:
        normalised = phone.normalise_mobile(value)
    except phone.NotAMobile as error:
        raise ValueError(str(error)) from None
    if normalised is None:
        raise ValueError("numero di cellulare mancante")
    return normalised


EmailText = Annotated[
    str, StringConstraints(min_length=3, max_length=254), Printable, AfterValidator(_email_address)
]
MobileText = Annotated[
    str, StringConstraints(min_length=3, max_length=32), Printable, AfterValidator(_mobile_number)
]


class EmailChangeRequest(SteppedUpRequest):
    email: EmailText = Field(description="The new personal e-mail address")


class MobileChangeRequest(SteppedUpRequest):
    mobile: MobileText = Field(description="The new mobile number (Italian unless it starts with + or 00)")


class MobileChallengeResponse(Body):
    token: str = Field(description="For send-otp (resend), verify-otp and the confirmation")
    phone_hint: str
    expires_in: int = Field(description="Seconds the code (and its token) stays valid")
    resend_after: int = Field(description="Seconds before another code may be sent")

    @classmethod
    def of(cls, started: MobileChallenge) -> MobileChallengeResponse:
        sent = started.sent
        return cls(
            token=started.token,
            phone_hint=sent.phone_hint,
            expires_in=sent.expires_in,
            resend_after=sent.resend_after,
        )


class ContactChangedResponse(Body):
    changed: str = Field(description="`email` or `mobile`")
    hint: str = Field(description="The new contact, masked")


class TotpEnrolRequest(SteppedUpRequest):
    pass


class TotpEnrolmentResponse(Body):
    enrolment: str = Field(description="The token `POST /v1/totp/confirm` takes with the app's first code")
    otpauth_uri: str = Field(description="What the app scans (the QR code's content)")
    secret: str = Field(description="The same key, to type into an app that cannot scan")
    expires_in: int = Field(description="Seconds the enrolment stays open")

    @classmethod
    def of(cls, started: Enrolment) -> TotpEnrolmentResponse:
        return cls(
            enrolment=started.token,
            otpauth_uri=started.otpauth_uri,
            secret=started.secret,
            expires_in=started.expires_in,
        )


class ChangeScheduledResponse(Body):
    change: str = Field(description="`email`, `mobile` or `app`")
    hint: str = Field(description="The new address or number, masked (empty for an app)")
    usable_from: int = Field(description="When the change may be completed: Unix time, seconds")


class ChangeCancelledResponse(Body):
    change: str = Field(description="What the cancelled change would have changed")
    cancelled: bool = True


class ChangeCompletedResponse(Body):
    """The completed change's next step, as for an account with a second
    factor: `email` (a link went to the new address), `mobile` (the SMS
    code's token and terms), `app` (the enrolment to scan and confirm)."""

    change: str
    hint: str
    mobile: MobileChallengeResponse | None = None
    app: TotpEnrolmentResponse | None = None


class TotpConfirmRequest(Request):
    enrolment: TokenText
    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")] = Field(description="A code the app shows")


class TotpEnrolledResponse(Body):
    enrolled: bool = True


class PasswordChangedResponse(Body):
    changed: bool = True


# ---- the account area (/profilo): the session, never a password -----------------------------


class AccountStepUpRequest(Request):
    """A sensitive change in the account area, with the browser's session (its cookie)."""

    token: StepUpToken = None


class AccountPasswordRequest(Request):
    new_password: PasswordText


class AccountEmailRequest(AccountStepUpRequest):
    email: EmailText = Field(description="The new personal e-mail address")


class AccountMobileRequest(AccountStepUpRequest):
    mobile: MobileText = Field(description="The new mobile number (Italian unless it starts with + or 00)")


class AccountSignOutRequest(Request):
    device: Annotated[str, StringConstraints(pattern=r"^(all|[A-Za-z0-9_-]{16,64})$")] = Field(
        description="`all` (every device and register), or one device's id"
    )


class DeviceResponse(Body):
    id: str = Field(description="The device's session id (what sign-out names)")
    signed_in_at: int = Field(description="Unix time, seconds")
    methods: list[str] = Field(description="How it signed in (amr: pwd, otp, sms, spid, cie)")
    registers: list[str] = Field(description="The registers it signed into, by name")
    this_device: bool


class AccountEventResponse(Body):
    at: int = Field(description="Unix time, seconds")
    action: str
    actor: str = Field(description="`self`, or who acted for the school")
    outcome: str


class AccountOverviewResponse(Body):
    school: str
    school_name: str
    register_url: str | None = None
    name: str
    surname: str
    user_code: str | None = None
    email_hint: str | None = None
    phone_hint: str | None = None
    has_password: bool
    has_app: bool
    has_pin: bool
    signed_in_at: int = Field(description="When this device last signed in: Unix time, seconds")
    fresh_until: int = Field(description="Until when sensitive changes need no new sign-in")
    devices: list[DeviceResponse]
    events: list[AccountEventResponse]


class SignedOutResponse(Body):
    devices: int = Field(description="How many devices (sessions) ended")
    here: bool = Field(description="This device's own session ended")


# The register's end user, for the logs of an internal call.
EndUserIp = IPvAnyAddress


class CredentialsCheckRequest(LoginRequest):
    password: PasswordText
    client_ip: EndUserIp | None = Field(None, description="The register's end user, for the logs")


class AccountResponse(Body):
    user_code: str
    codice_fiscale: str
    role: str
    status: str
    must_change_password: bool


class PinCheckRequest(Request):
    school: SchoolCode = Field(description="The school's codice meccanografico")
    user_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{9}$")]
    pin: Annotated[str, StringConstraints(pattern=r"^[0-9]{5,8}$")]
    client_ip: EndUserIp | None = Field(None, description="The register's end user, for the logs")


class PinVerifiedResponse(Body):
    verified: bool = True
    user_code: str


class AcceptedResponse(Body):
    status: str = "accepted"
    message: str
    email_hint: str | None = Field(None, description="Only with disclosure `explicit`")


class AdhesionFormResponse(Body):
    """The adhesion form, as the page prints it (the e-mail attaches it as a PDF)."""

    reference: str = Field(description="What the school office's record of the identification names")
    school: str
    school_name: str
    surname: str
    name: str
    codice_fiscale: str
    user_code: str
    date: str = Field(description="When the password was set, ISO 8601 (Italian time)")


class CompletedResponse(Body):
    user_code: str
    status: str
    adhesion_form: AdhesionFormResponse | None = Field(
        None, description="Only while the account waits for in-person identification"
    )
    redirect: str | None = Field(
        None, description="With a register's request: where the browser goes next, the register with its code"
    )

    @classmethod
    def of(cls, done: PasswordSet) -> CompletedResponse:
        form = done.adhesion_form
        printed = None
        if form is not None:
            printed = AdhesionFormResponse(
                reference=form.reference,
                school=form.school_id,
                school_name=form.school_name,
                surname=form.surname,
                name=form.name,
                codice_fiscale=form.codice_fiscale,
                user_code=form.user_code,
                date=clock.iso(form.issued_at),
            )
        return cls(
            user_code=done.user_code, status=done.status.value, adhesion_form=printed, redirect=done.redirect
        )


class PasswordRuleResponse(Body):
    rule: str
    description: str


class PasswordPolicyResponse(Body):
    profile: str
    min_length: int
    max_length: int
    rules: list[PasswordRuleResponse]


class FlowStatusResponse(Body):
    purpose: str
    expires_at: int = Field(
        description="When the link stops working: Unix time, seconds since 1970-01-01 UTC"
    )
    otp_required: bool
    otp_verified: bool
    password_policy: PasswordPolicyResponse
    phone_hint: str | None = Field(None, description="Where the SMS code goes, e.g. `+39 *** *** **33`")
    otp_resend_after: int | None = Field(
        None, description="Seconds until a code can be sent (0: now); absent when none can"
    )
    otp_method: str | None = Field(
        None, description="Where the code comes from, when one is required: `sms`, or `app` (no SMS is sent)"
    )
    change: str | None = Field(
        None, description="A change made without a second factor: `email`, `mobile` or `app`"
    )
    change_hint: str | None = Field(None, description="The change's new address or number, masked")
    usable_from: int | None = Field(
        None, description="A scheduled change: when its cool-off ends (Unix time, seconds)"
    )
    register_url: str | None = Field(None, description="The school's register, the last screen's next step")
    school: str | None = Field(
        None, description="The school's code: its public profile is /scuole/{code}.json"
    )
    cool_off_s: int | None = Field(
        None, description="A change to confirm: how long it then waits, in seconds"
    )


class OtpSentResponse(Body):
    phone_hint: str
    expires_in: int = Field(description="Seconds the code (and its token) stays valid")
    resend_after: int = Field(description="Seconds before another code may be sent")


class OtpVerifiedResponse(Body):
    verified: bool = True


class ProblemResponse(Body):
    type: str
    title: str
    status: int
    detail: str
    code: str


@coldstart.on_warm_up
def warm_up() -> None:
    pending = [Body]
    while pending:
        model = pending.pop()
        model.model_rebuild()
        pending += model.__subclasses__()


def responses_of(status: int, model: type[BaseModel], *problem_statuses: int) -> dict[int, Any]:
    """OpenAPI responses: the success body and the problem documents it may get."""
    problem = {"content": {"application/problem+json": {"model": ProblemResponse}}}
    responses: dict[int, Any] = {
        status: {"description": HTTPStatus(status).phrase, "content": {"application/json": {"model": model}}}
    }
    for problem_status in sorted({400, 413, 415, 422, 429, 503, *problem_statuses}):
        responses[problem_status] = {"description": HTTPStatus(problem_status).phrase, **problem}
    return responses


# register and request-reset: 404 (unknown school; explicit disclosure), 409.
ACCEPTED = responses_of(202, AcceptedResponse, 404, 409)
