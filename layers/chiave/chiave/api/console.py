"""The console's entry point: an ops event (invoked from the AWS console, or
`/_local/invoke` locally) validated, run, and always answered with a clear
result or a clear error, never a stack trace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ConfigDict, Field, StringConstraints, ValidationError, model_validator

from chiave import budget, coldstart, faults
from chiave.api.models import CodiceFiscaleText, Printable, Request, SchoolCode
from chiave.api.problems import field_errors
from chiave.errors import DomainError
from chiave.flows.ops import Action, DocumentType, Identification, OpsRequest
from chiave.messages import CATALOGUE
from chiave.observability import count_outcome, logger, metrics

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


class OpsEvent(Request):
    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Action
    operator: OperatorText = Field(description="Who acts: the operator's name or e-mail")
    school: SchoolCode
    codice_fiscale: CodiceFiscaleText | None = None
    user_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{9}$")] | None = None
    reason: ReasonText = Field(description="Why: the request or ticket it answers")
    identification: IdentificationFields | None = Field(None, description="record_identification only")

    @model_validator(mode="after")
    def one_person(self) -> OpsEvent:
        if (self.codice_fiscale is None) == (self.user_code is None):
            raise ValueError("name the person by codice_fiscale or by user_code, not both")
        if (self.identification is None) == (self.action == "record_identification"):
            raise ValueError("identification: for record_identification, and only for it")
        return self


def _error(code: str, **extra: Any) -> dict[str, Any]:
    message = CATALOGUE[code]
    count_outcome("ops", f"refused_{code}")
    error = {"code": code, "message": message.detail_it, "message_en": message.detail_en, **extra}
    return {"ok": False, "error": error}


def _bug(error: Exception) -> dict[str, Any]:
    logger.exception("ops action failed", extra={"error": type(error).__name__})
    return _error("internal_error")


def console_handler(
    run: Callable[[OpsRequest, float], dict[str, Any]], clock: Callable[[], float]
) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    @logger.inject_lambda_context
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            parsed = OpsEvent.model_validate(event)
        except ValidationError as error:
            issues = error.errors(include_input=False)
            # The model's own rule (a value error of the whole event) is explained as such.
            across = [i for i in issues if not i.get("loc") and i.get("type") == "value_error"]
            fields = field_errors([issue for issue in issues if issue not in across], "it")
            return _error("validation_error", errors=fields + [ACROSS_FIELDS for _ in across])
        request = OpsRequest(
            action=parsed.action,
            operator=parsed.operator,
            school_id=parsed.school.upper(),
            codice_fiscale=parsed.codice_fiscale,
            user_code=parsed.user_code,
            reason=parsed.reason,
            request_id=context.aws_request_id,
            identification=(
                Identification(**parsed.identification.model_dump()) if parsed.identification else None
            ),
        )
        try:
            with budget.invocation(context):
                result = run(request, clock())
        except DomainError as error:
            return _error(error.code)
        except (ClientError, BotoCoreError) as error:
            if not faults.is_transient(error):
                return _bug(error)
            # Every action is one transaction: a failure changed nothing.
            logger.warning("AWS dependency failed", extra={"error": type(error).__name__})
            return _error("service_unavailable")
        except Exception as error:
            return _bug(error)
        return {"ok": True, "action": request.action, "school": request.school_id, **result}

    coldstart.ready()
    return handler
