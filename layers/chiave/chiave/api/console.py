"""The console's entry points: an event (invoked from the AWS console, or
`/_local/invoke` locally) validated, run, and always answered with a clear
result or a clear error, never a stack trace. One event model per console
function: ops actions on an account, the bulk invitation, the school report."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Annotated, Any, ClassVar

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ConfigDict, Field, StringConstraints, ValidationError, model_validator

from chiave.api.messages import CATALOGUE
from chiave.api.models import CodiceFiscaleText, Printable, Request, SchoolCode
from chiave.api.problems import field_errors
from chiave.domain import Role
from chiave.errors import DomainError
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


class ConsoleEvent(Request):
    """What every console action's event names: who acts, for which school, why."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # The metric scope of its outcomes, and how a rule across its fields is explained.
    scope: ClassVar[str] = "ops"
    across_fields: ClassVar[dict[str, str]] = {}

    operator: OperatorText = Field(description="Who acts: the operator's name or e-mail")
    school: SchoolCode
    reason: ReasonText = Field(description="Why: the request or ticket it answers")

    # The job's request this event becomes.
    request_type: ClassVar[type[Any]]

    def to_request(self, request_id: str) -> Any:
        """The job's request: the event's fields of the same name, the school
        as its id, stamped with the invocation's id (CloudTrail joins it to the caller)."""
        named = {field.name for field in dataclasses.fields(self.request_type)}
        values = {name: getattr(self, name) for name in type(self).model_fields if name in named}
        return self.request_type(**values, school_id=self.school, request_id=request_id)


class OpsEvent(ConsoleEvent):
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


def console_handler(
    run: Callable[[Any, float], dict[str, Any]],
    clock: Callable[[], float],
    event_model: type[ConsoleEvent] = OpsEvent,
) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """A console function's entry point: `event_model` validated, `run` with
    its request, the answer `{"ok": ...}` whatever happened."""
    scope = event_model.scope

    @logger.inject_lambda_context
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
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
            return _error(scope, error.code)
        except faults.AWS_FAILURES as error:
            if not faults.is_transient(error):
                return _bug(scope, error)
            # Every action is one transaction, or idempotent: a failure is safe to run again.
            logger.warning("AWS dependency failed", extra={"error": type(error).__name__})
            return _error(scope, "service_unavailable")
        except Exception as error:
            return _bug(scope, error)
        return {"ok": True, "action": request.action, "school": request.school_id, **result}

    coldstart.ready()
    return handler


ClasseText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16), Printable]


class InvitationEvent(ConsoleEvent):
    """invite: everyone of the school with this role (and class) who has no account yet."""

    scope: ClassVar[str] = "invitations"
    request_type = InvitationRequest

    role: Role
    classe: ClasseText | None = Field(
        None, description="Only this class (e.g. 1A), as the anagrafica gives it"
    )


class ReportEvent(ConsoleEvent):
    """school_report: the funnel and the call list, of everyone or of one role."""

    scope: ClassVar[str] = "school_report"
    request_type = ReportRequest

    role: Role | None = None
