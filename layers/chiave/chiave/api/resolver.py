"""The one place HTTP meets the domain: a resolver per function, built the
same way, with one exception handler per kind of failure (domain errors,
bad bodies, AWS failures: 503 when transient, bugs: 500), and the guard that
refuses unreadable bodies before validation."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any, Protocol

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from chiave.api.messages import ACCEPTED_MESSAGES
from chiave.api.models import AcceptedResponse
from chiave.api.problems import field_errors, negotiate_language, problem
from chiave.credentials import passwords
from chiave.errors import DomainError
from chiave.runtime import budget, coldstart, faults
from chiave.runtime.faults import ServiceUnavailable
from chiave.runtime.observability import count_outcome, logger, metrics

# What a function module needs of Powertools, through this module: its
# first import is then chiave's (chiave/__init__.py).
__all__ = ["APIGatewayRouter", "Response"]

# Every body this API takes is a few short fields.
MAX_BODY_BYTES = 8 * 1024


def _problem_response(
    code: str,
    language: str,
    extra: dict[str, Any] | None = None,
) -> Response[str]:
    status, problem_headers, body = problem(code, language, extra)
    count_outcome("problem", code)
    return Response(
        status_code=status,
        content_type=problem_headers.pop("Content-Type"),
        body=body,
        headers=problem_headers,
    )


class HasEvent(Protocol):
    """A resolver, or a router included in one: both see the current request."""

    @property
    def current_event(self) -> Any: ...


def request_language(source: HasEvent) -> str:
    return negotiate_language(source.current_event.headers.get("accept-language"))


def client_ip(source: HasEvent) -> str:
    """The parent's own address. Behind CloudFront the caller API Gateway sees
    is an edge node, shared by thousands: CloudFront names the viewer in
    CloudFront-Viewer-Address ("198.51.100.7:46532", "2001:db8::1:46532"),
    and only CloudFront reaches the public routes (the firewall's origin rule)."""
    event = source.current_event
    viewer = event.headers.get("cloudfront-viewer-address")
    if viewer and ":" in viewer:
        return str(viewer.rsplit(":", 1)[0])
    return str(event.request_context.identity.source_ip or "unknown")


def caller_arn(source: HasEvent) -> str | None:
    """Who signed an AWS_IAM request (the register vendor's role session)."""
    identity = source.current_event.request_context.identity
    return str(identity.user_arn) if identity.user_arn else None


def json_response(source: HasEvent, status: int, model: BaseModel) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=model.model_dump_json(exclude_none=True),
        headers={"Content-Language": request_language(source), "Cache-Control": "no-store"},
    )


def accepted_response(source: HasEvent, flow: str, email_hint: str | None) -> Response[str]:
    """The 202 of register and request-reset: the same for every person."""
    message = ACCEPTED_MESSAGES[flow][request_language(source) == "en"]
    return json_response(source, 202, AcceptedResponse(message=message, email_hint=email_hint))


def _domain_problem(app: APIGatewayRestResolver, error: DomainError) -> Response[str]:
    language = request_language(app)
    extra: dict[str, Any] = {}
    for fact in (
        "retry_after",
        "attempts_left",
        "token",
        "expires_in",
        "otp_method",
        "phone_hint",
        "email_hint",
        "cool_off_s",
        "usable_from",
        "max_age",
    ):
        if fact in error.facts:
            extra[fact] = error.facts[fact]
    if "rules" in error.facts:
        extra["rules"] = [
            {
                "rule": rule,
                "description": passwords.rule_description(rule, error.facts["profile"], language),
            }
            for rule in error.facts["rules"]
        ]
    return _problem_response(error.code, language, extra)


def _validation_problem(app: APIGatewayRestResolver, error: RequestValidationError) -> Response[str]:
    language = request_language(app)
    issues = list(error.errors())
    if any(issue.get("type") == "json_invalid" for issue in issues):
        return _problem_response("malformed_request", language)
    return _problem_response("validation_error", language, {"errors": field_errors(issues, language)})


def build_resolver(*routers: Router) -> APIGatewayRestResolver:
    # Validation is chiave.api.validation's, route by route: no OpenAPI machinery at import.
    app = APIGatewayRestResolver()
    for router in routers:
        app.include_router(router)

    @app.exception_handler(DomainError)
    def on_domain_error(error: DomainError) -> Response[str]:
        return _domain_problem(app, error)

    @app.exception_handler(RequestValidationError)
    def on_validation_error(error: RequestValidationError) -> Response[str]:
        return _validation_problem(app, error)

    @app.not_found
    def on_not_found(_error: Exception) -> Response[str]:
        return _problem_response("not_found", request_language(app))

    @app.exception_handler(list(faults.AWS_FAILURES))
    def on_aws_failure(error: Exception) -> Response[str]:
        # Flows commit last, and a lost answer is resolved by the commit's
        # receipt: a transient failure that reaches here committed nothing.
        if faults.is_transient(error):
            logger.warning("AWS dependency failed", extra={"error": faults.error_code(error)})
            return _domain_problem(app, ServiceUnavailable())
        return _internal_error(app, error)

    @app.exception_handler(Exception)
    def on_unexpected(error: Exception) -> Response[str]:
        return _internal_error(app, error)

    return app


def _internal_error(app: APIGatewayRestResolver, error: Exception) -> Response[str]:
    """A bug, or a deployment that denies what the code needs: a 500."""
    logger.exception("unexpected error", extra={"error_type": type(error).__name__})
    return _problem_response("internal_error", request_language(app))


def _event_problem(headers: dict[str, str], code: str) -> dict[str, Any]:
    status, problem_headers, body = problem(code, negotiate_language(headers.get("accept-language")))
    count_outcome("problem", code)
    return {
        "statusCode": status,
        "headers": problem_headers,
        "body": body,
        "isBase64Encoded": False,
    }


def _set_content_type(event: dict[str, Any], value: str) -> None:
    """Powertools compares the media type with its letter case: give it ours."""
    for name in list(event.get("headers") or {}):
        if name.lower() == "content-type":
            event["headers"][name] = value
    for name in list(event.get("multiValueHeaders") or {}):
        if name.lower() == "content-type":
            event["multiValueHeaders"][name] = [value]


def refuse_unreadable_body(event: dict[str, Any]) -> dict[str, Any] | None:
    """Bodies the validator cannot even read get a 4xx here, not a 5xx there:
    a media type other than JSON (whatever the body), too large, not UTF-8,
    not JSON, nested past the parser's recursion limit. A JSON media type in
    any letter case reaches the validator as `application/json`."""
    headers = {key.lower(): value for key, value in (event.get("headers") or {}).items()}
    declared = headers.get("content-type")
    if declared is not None:
        if declared.split(";")[0].strip().lower() != "application/json":
            return _event_problem(headers, "unsupported_media_type")
        _set_content_type(event, "application/json")
    raw = event.get("body")
    if raw is None or raw == "":
        return None
    if len(raw) > MAX_BODY_BYTES * 4 // 3 + 4:
        return _event_problem(headers, "payload_too_large")
    try:
        data = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else raw.encode("utf-8")
        if len(data) > MAX_BODY_BYTES:
            return _event_problem(headers, "payload_too_large")
        json.loads(data.decode("utf-8"))
    except (binascii.Error, UnicodeError, ValueError, RecursionError):
        return _event_problem(headers, "malformed_request")
    return None


def lambda_handler(
    app: APIGatewayRestResolver,
) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda entry point of an API function: logs correlated by request id,
    metrics flushed per invocation, unreadable bodies refused up front."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        refused = refuse_unreadable_body(event)
        if refused is not None:
            return refused
        with budget.invocation(context):
            return app.resolve(event, context)

    coldstart.ready()
    return handler
