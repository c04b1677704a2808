"""The console's entry points: an event (invoked from the AWS console, or
`/_local/invoke` locally) validated, run, and always answered with a clear
result or a clear error, never a stack trace. One event model per console
function: ops actions on an account, the bulk invitation, the school report."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import (
    AfterValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from chiave.api.messages import CATALOGUE
from chiave.api.models import CodiceFiscaleText, Printable, Request, SchoolCode
from chiave.api.problems import field_errors
from chiave.domain import ClientAuthMethod, Role
from chiave.errors import DomainError
from chiave.jobs.configure_client import DEFAULT_GRACE_HOURS, ClientAction, ClientRequest
from chiave.jobs.configure_client import REQUIRED as CLIENT_REQUIRED
from chiave.jobs.configure_school import REQUIRED, SchoolAction, SchoolRequest
from chiave.jobs.invite import InvitationRequest
from chiave.jobs.ops import Action, DocumentType, Identification, OpsRequest
from chiave.jobs.school_report import ReportRequest
from chiave.runtime import budget, coldstart, faults
from chiave.runtime.observability import count_outcome, logger, metrics

OperatorText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), Printable
]
ReasonText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500), Printable]
# The rules across fields: the person named once; identification where it belongs.
ACROSS_FIELDS = {
    "field": "codice_fiscale|user_code|identification",
    "message": "indicare la persona (una sola, per codice fiscale o codice utente) e "
    "l'identificazione solo con record_identification",
}


class IdentificationFields(Request):
    document_type: DocumentType
    document_last4: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{4}$")] = Field(
        description="The last four characters of the document's number, never more"
    )
    delegate_with_written_proxy: bool = False
    form_reference: (
        Annotated[
            str,
            StringConstraints(pattern=r"^[Aa][Dd][Ee]-[A-Za-z]{4}[A-Za-z0-9]{6}-[0-9]{9}$", to_upper=True),
        ]
        | None
    ) = Field(None, description="The reference printed on the adhesion form the person signed")


class ConsoleEvent(Request):
    """What every console action's event names: who acts, why."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # The metric scope of its outcomes, and how a rule across its fields is explained.
    scope: ClassVar[str] = "ops"
    across_fields: ClassVar[dict[str, str]] = {}

    operator: OperatorText = Field(description="Who acts: the operator's name or e-mail")
    reason: ReasonText = Field(description="Why: the request or ticket it answers")

    # The job's request this event becomes.
    request_type: ClassVar[type[Any]]

    def subject(self) -> dict[str, str]:
        """What the action is about, as the job's request names it."""
        return {}

    def to_request(self, request_id: str) -> Any:
        """The job's request: the event's fields of the same name, its subject,
        stamped with the invocation's id (CloudTrail joins it to the caller)."""
        named = {field.name for field in dataclasses.fields(self.request_type)}
        values = {name: getattr(self, name) for name in type(self).model_fields if name in named}
        return self.request_type(**values, **self.subject(), request_id=request_id)


class SchoolConsoleEvent(ConsoleEvent):
    """A console action on one school (or on one of its people)."""

    school: SchoolCode

    def subject(self) -> dict[str, str]:
        return {"school_id": self.school or ""}


class OpsEvent(SchoolConsoleEvent):
    across_fields: ClassVar[dict[str, str]] = ACROSS_FIELDS
    request_type = OpsRequest

    action: Action
    codice_fiscale: CodiceFiscaleText | None = None
    user_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{9}$")] | None = None
    identification: IdentificationFields | None = Field(None, description="record_identification only")

    @model_validator(mode="after")
    def one_person(self) -> OpsEvent:
        if (self.codice_fiscale is None) == (self.user_code is None):
            raise ValueError("name the person by codice_fiscale or by user_code, not both")
        if (self.identification is None) == (self.action == "record_identification"):
            raise ValueError("identification: for record_identification, and only for it")
        return self

    def to_request(self, request_id: str) -> OpsRequest:
        request: OpsRequest = super().to_request(request_id)
        seen = self.identification
        return dataclasses.replace(
            request, identification=Identification(**seen.model_dump()) if seen else None
        )


def _error(scope: str, code: str, **extra: Any) -> dict[str, Any]:
    message = CATALOGUE[code]
    count_outcome(scope, f"refused_{code}")
    error = {"code": code, "message": message.detail_it, "message_en": message.detail_en, **extra}
    return {"ok": False, "error": error}


def _bug(scope: str, error: Exception) -> dict[str, Any]:
    logger.exception("console action failed", extra={"error": type(error).__name__})
    return _error(scope, "internal_error")


def _subject_of(request: Any) -> dict[str, str]:
    """What an answer names its action about: the school, or the client."""
    if hasattr(request, "client_id"):
        return {"client": request.client_id}
    return {"school": request.school_id}


def console_handler(
    run: Callable[[Any, float], dict[str, Any]],
    clock: Callable[[], float],
    event_model: type[ConsoleEvent] = OpsEvent,
) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """A console function's entry point: `event_model` validated, `run` with
    its request, the answer `{"ok": ...}` whatever happened."""
    scope = event_model.scope

    def answer(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            parsed = event_model.model_validate(event)
        except ValidationError as error:
            issues = error.errors(include_input=False)
            # The model's own rule (a value error of the whole event) is explained as such.
            across = [i for i in issues if not i.get("loc") and i.get("type") == "value_error"]
            fields = field_errors([issue for issue in issues if issue not in across], "it")
            explained = [event_model.across_fields for _ in across]
            return _error(scope, "validation_error", errors=fields + explained)
        request = parsed.to_request(context.aws_request_id)
        try:
            with budget.invocation(context):
                result = run(request, clock())
        except DomainError as error:
            return _error(scope, error.code, **error.facts)
        except faults.AWS_FAILURES as error:
            if not faults.is_transient(error):
                return _bug(scope, error)
            # Every action is one transaction, or idempotent: a failure is safe to run again.
            logger.warning("AWS dependency failed", extra={"error": type(error).__name__})
            return _error(scope, "service_unavailable")
        except Exception as error:
            return _bug(scope, error)
        return {"ok": True, "action": request.action, **_subject_of(request), **result}

    @logger.inject_lambda_context
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        # Every answer names the invocation: CloudTrail's data event ties it to the IAM caller.
        return {**answer(event, context), "request_id": context.aws_request_id}

    coldstart.ready()
    return handler


ClasseText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16), Printable]


class InvitationEvent(SchoolConsoleEvent):
    """invite: everyone of the school with this role (and class) who has no account yet."""

    scope: ClassVar[str] = "invitations"
    request_type = InvitationRequest

    role: Role
    classe: ClasseText | None = Field(
        None, description="Only this class (e.g. 1A), as the anagrafica gives it"
    )


class ReportEvent(SchoolConsoleEvent):
    """school_report: the funnel and the call list, of everyone or of one role."""

    scope: ClassVar[str] = "school_report"
    request_type = ReportRequest

    role: Role | None = None


SchoolNameText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200), Printable
]
TownText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100), Printable]
# HTTPS, or plain HTTP on this machine's loopback (the local stack).
UrlText = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        max_length=300,
        pattern=r"^(https://[A-Za-z0-9.-]+(:[0-9]+)?|http://(127\.0\.0\.1|localhost)(:[0-9]+)?)(/[^\s]*)?$",
    ),
]
# What the event may set, beside who acts, where and why.
SCHOOL_FIELDS = (
    "name",
    "town",
    "fiscal_code",
    "ipa_code",
    "trust_marks",
    "primo_ciclo",
    "portal_url",
    "reply_to",
    "register_url",
    "controller",
    "dpo",
    "policy",
)


class ContactFields(Request):
    name: SchoolNameText
    email: EmailStr


class TrustMarkFields(Request):
    """A trust mark as the federation issued it: its type, and the signed JWT."""

    trust_mark_type: UrlText
    trust_mark: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=8000, pattern=r"^[\w-]+\.[\w-]+\.[\w-]+$")
    ]


class SchoolEvent(SchoolConsoleEvent):
    """configure_school: a school created or changed (the fields given), listed, disabled or enabled."""

    scope: ClassVar[str] = "configure_school"
    across_fields: ClassVar[dict[str, str]] = {
        "field": "school|" + "|".join(REQUIRED) + "|portal_url",
        "message": "indicare la scuola (tranne che per list); nome, comune, codice fiscale, reply_to e "
        "portal_url non possono essere null; i campi della scuola solo con configure",
    }
    request_type = SchoolRequest

    action: SchoolAction = "configure"
    school: SchoolCode | None = None  # type: ignore[assignment]  # every school, for list
    name: SchoolNameText | None = None
    town: TownText | None = None
    fiscal_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{11}$")] | None = Field(
        None, description="The school's codice fiscale (11 digits)"
    )
    ipa_code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{2,32}$")] | None = Field(
        None, description="The school's code in the IPA (indicepa.gov.it)"
    )
    trust_marks: list[TrustMarkFields] | None = Field(
        None, description="The trust marks the federation issued the school's leaf (replaces the list)"
    )
    primo_ciclo: bool | None = Field(None, description="Default: what the codice meccanografico says")
    portal_url: UrlText | None = None
    reply_to: EmailStr | None = None
    register_url: UrlText | None = None
    controller: ContactFields | None = Field(
        None, description="The controller (titolare) of the privacy notice"
    )
    dpo: ContactFields | None = Field(None, description="The data protection officer (RPD)")
    policy: dict[str, Any] | None = Field(None, description="Policy overrides (SPEC §5); null: the default")

    @model_validator(mode="after")
    def where_and_what(self) -> SchoolEvent:
        given = self.model_fields_set & set(SCHOOL_FIELDS)
        if (self.school is None) != (self.action == "list"):
            raise ValueError("the school, for every action but list")
        if given and self.action != "configure":
            raise ValueError("the school's fields, with configure only")
        if any(getattr(self, name) is None for name in given & {*REQUIRED, "portal_url"}):
            raise ValueError("a required field set to null")
        return self

    def to_request(self, request_id: str) -> SchoolRequest:
        fields = {
            name: _plain(getattr(self, name)) for name in SCHOOL_FIELDS if name in self.model_fields_set
        }
        return SchoolRequest(
            action=self.action,
            operator=self.operator,
            school_id=self.school or "",
            reason=self.reason,
            request_id=request_id,
            fields=fields,
        )


def _plain(value: Any) -> Any:
    """A field as the job takes it: nested models (contacts, trust marks) as dicts."""
    if isinstance(value, Request):
        return value.model_dump()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


ClientIdText = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{2,62}$")]
ClientNameText = SchoolNameText


# Compared exactly at the sign-in (RFC 9700 §2.1): no fragment (RFC 6749 §3.1.2).
def _no_fragment(uri: str) -> str:
    if "#" in uri:
        raise ValueError("a redirect URI has no fragment")
    return uri


RedirectUriText = Annotated[UrlText, AfterValidator(_no_fragment)]
# What the event may set, beside who acts, which client and why.
CLIENT_FIELDS = (
    "name",
    "schools",
    "redirect_uris",
    "post_logout_redirect_uris",
    "backchannel_logout_uri",
    "scopes",
    "auth_method",
    "jwks",
)


class ClientEvent(ConsoleEvent):
    """configure_client: a register's client registered or changed (the fields
    given), its secret rotated, listed, disabled or enabled."""

    scope: ClassVar[str] = "configure_client"
    across_fields: ClassVar[dict[str, str]] = {
        "field": "client|" + "|".join(CLIENT_REQUIRED),
        "message": "indicare il client (tranne che per list); nome, scuole e redirect_uris non possono "
        "essere null; i campi del client solo con configure",
    }
    request_type = ClientRequest

    action: ClientAction = "configure"
    client: ClientIdText | None = Field(None, description="The client id (every client, for list)")
    name: ClientNameText | None = Field(None, description="The register's name, as the sign-in page shows it")
    schools: list[SchoolCode] | None = Field(None, min_length=1, max_length=500)
    redirect_uris: list[RedirectUriText] | None = Field(None, min_length=1, max_length=10)
    post_logout_redirect_uris: list[RedirectUriText] | None = Field(None, max_length=10)
    backchannel_logout_uri: RedirectUriText | None = Field(
        None, description="Where logout tokens go when a session that signed into the register ends"
    )
    scopes: list[Literal["openid", "profile", "email", "phone", "codice_fiscale"]] | None = None
    auth_method: ClientAuthMethod | None = None
    jwks: dict[str, Any] | None = Field(
        None, description="private_key_jwt: the client's public keys (JWK Set)"
    )
    grace_hours: int = Field(
        DEFAULT_GRACE_HOURS, ge=0, le=168, description="rotate_secret: how long the old secret still works"
    )

    @model_validator(mode="after")
    def which_and_what(self) -> ClientEvent:
        given = self.model_fields_set & set(CLIENT_FIELDS)
        if (self.client is None) != (self.action == "list"):
            raise ValueError("the client, for every action but list")
        if given and self.action != "configure":
            raise ValueError("the client's fields, with configure only")
        if any(getattr(self, name) is None for name in given & set(CLIENT_REQUIRED)):
            raise ValueError("a required field set to null")
        return self

    def to_request(self, request_id: str) -> ClientRequest:
        fields = {name: getattr(self, name) for name in CLIENT_FIELDS if name in self.model_fields_set}
        if fields.get("jwks") is not None:
            fields["jwks"] = json.dumps(fields["jwks"], sort_keys=True)
        return ClientRequest(
            action=self.action,
            operator=self.operator,
            client_id=self.client or "",
            reason=self.reason,
            request_id=request_id,
            fields=fields,
            grace_hours=self.grace_hours,
        )
