"""The provider's endpoints over HTTP. They speak OAuth and OpenID Connect,
not SPEC §3's problem documents (an explicit exception): an error is
`{"error", "error_description"}` with its status, an AWS fault is 503
`temporarily_unavailable` with Retry-After, a bug is 500 `server_error`.
Bodies are form-encoded (token, revocation, the logout page's form)."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Callable, Mapping
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote_plus

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from chiave.runtime import budget, coldstart, faults
from chiave.runtime.faults import RETRY_AFTER_S
from chiave.runtime.observability import count_outcome, logger, metrics

if TYPE_CHECKING:
    from chiave.oidc.token import ClientCredentials

# What a provider function needs of Powertools, through this module.
__all__ = ["APIGatewayRouter", "Response"]

MAX_BODY_BYTES = 16 * 1024
# Token and userinfo answers are never cached (RFC 6749 §5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """An error the protocol names (RFC 6749 §5.2, OpenID Connect Core §3.1.2.6)."""

    def __init__(self, error: str, description: str, status: int = 400, **headers: str) -> None:
        super().__init__(error)
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers


def json_answer(status: int, document: Mapping[str, Any] | list[Any], **headers: str) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(document, ensure_ascii=False),
        # Cache-Control given (public documents) replaces no-store.
        headers={**NO_STORE, **headers} if "Cache-Control" not in headers else headers,
    )


def error_answer(error: OAuthError) -> Response[str]:
    count_outcome("oidc", f"error_{error.error}")
    document = {"error": error.error, "error_description": error.description}
    return json_answer(error.status, document, **error.headers)


def form(app: APIGatewayRestResolver | Router) -> dict[str, str]:
    """A form-encoded body's parameters; a parameter given twice is an error (RFC 6749 §3.1)."""
    event = app.current_event
    declared = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if declared != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded")
    return single_values(parse_qs(event.decoded_body or "", keep_blank_values=True))


def single_values(parsed: Mapping[str, list[str]]) -> dict[str, str]:
    repeated = sorted(name for name, values in parsed.items() if len(values) > 1)
    if repeated:
        raise OAuthError("invalid_request", f"parameter given more than once: {', '.join(repeated)}")
    return {name: values[0] for name, values in parsed.items()}


def query(app: APIGatewayRestResolver | Router) -> dict[str, str]:
    """The query string's parameters, each once (RFC 6749 §3.1)."""
    return single_values(app.current_event.multi_value_query_string_parameters or {})


def basic_credentials(app: APIGatewayRestResolver | Router) -> ClientCredentials | None:
    """client_secret_basic (RFC 6749 §2.3.1): the id and secret, form-encoded, in Basic."""
    from chiave.oidc.token import ClientCredentials

    header = app.current_event.headers.get("authorization") or ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return ClientCredentials(unquote_plus(client_id), unquote_plus(secret)) if client_id and secret else None


def bearer_token(app: APIGatewayRestResolver | Router) -> str | None:
    """The access token of `Authorization: Bearer` (RFC 6750 §2.1)."""
    scheme, _, value = (app.current_event.headers.get("authorization") or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


SESSION_COOKIE = "__Host-chiave-session"
# The account area's PKCE verifier, while its sign-in is under way (chiave.oidc.account_client).
VERIFIER_COOKIE = "__Host-chiave-profilo"


def cookie(app: APIGatewayRestResolver | Router, name: str) -> str | None:
    """A cookie the browser sent, if any."""
    header = app.current_event.headers.get("cookie") or ""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def session_cookie(app: APIGatewayRestResolver | Router) -> str | None:
    """The browser's session cookie, if it sent one."""
    return cookie(app, SESSION_COOKIE)


def set_cookie(name: str, value: str, max_age_s: int) -> str:
    """`__Host-` (Secure, Path=/, no Domain), HttpOnly, SameSite=Lax so a
    redirect back from the sign-in (or a register) still carries it."""
    return f"{name}={value}; Max-Age={max_age_s}; Path=/; Secure; HttpOnly; SameSite=Lax"


def set_session_cookie(value: str, max_age_s: int) -> str:
    return set_cookie(SESSION_COOKIE, value, max_age_s)


def redirect(location: str) -> Response[str]:
    return Response(status_code=302, body="", headers={"Location": location, **NO_STORE})


def clear_session_cookie() -> str:
    return set_cookie(SESSION_COOKIE, "", 0)


def page(
    status: int,
    title_it: str,
    text_it: str,
    title_en: str,
    text_en: str,
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """A page for the person, in both languages: what happened, and what to
    do; with `form`, a button that posts those parameters back here."""
    button = ""
    if form is not None:
        fields = "".join(
            f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
            for name, value in form.items()
        )
        button = (
            f'<form method="post">{fields}<button type="submit" style="font-size:1.1rem;padding:.5rem 1rem">'
            "Esci · Sign out</button></form>"
        )
    body = (
        '<!doctype html><html lang="it"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title_it)} · {html.escape(title_en)}</title></head>"
        '<body style="font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem">'
        f"<h1>{html.escape(title_it)}</h1><p>{html.escape(text_it)}</p>{button}"
        f'<h2 lang="en">{html.escape(title_en)}</h2><p lang="en">{html.escape(text_en)}</p>'
        "</body></html>"
    )
    security = {
        **NO_STORE,
        "Content-Security-Policy": (
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
        ),
        "X-Frame-Options": "DENY",
    }
    return Response(
        status_code=status,
        content_type="text/html; charset=utf-8",
        body=body,
        headers={**security, **(headers or {})},
    )


def error_page(error: str, description_it: str, description_en: str) -> Response[str]:
    """What went wrong, for the person; never a redirect to an address nobody registered."""
    count_outcome("oidc", f"page_{error}")
    return page(
        400,
        "Accesso non riuscito",
        f"{description_it} ({error})",
        "Sign-in failed",
        f"{description_en} ({error})",
    )


def build_provider_resolver(*routers: Router) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver()
    for router in routers:
        app.include_router(router)

    @app.exception_handler(OAuthError)
    def on_oauth_error(error: OAuthError) -> Response[str]:
        return error_answer(error)

    @app.not_found
    def on_not_found(_error: Exception) -> Response[str]:
        return error_answer(OAuthError("invalid_request", "not an endpoint of this provider", 404))

    @app.exception_handler(list(faults.AWS_FAILURES))
    def on_aws_failure(error: Exception) -> Response[str]:
        if faults.is_transient(error):
            logger.warning("AWS dependency failed", extra={"error": faults.error_code(error)})
            unavailable = OAuthError(
                "temporarily_unavailable",
                "the service is busy: try again in a few seconds",
                503,
                **{"Retry-After": str(RETRY_AFTER_S)},
            )
            return error_answer(unavailable)
        return _server_error(error)

    @app.exception_handler(Exception)
    def on_unexpected(error: Exception) -> Response[str]:
        return _server_error(error)

    return app


def _server_error(error: Exception) -> Response[str]:
    logger.exception("unexpected error", extra={"error_type": type(error).__name__})
    return error_answer(OAuthError("server_error", "an unexpected error: it has been logged", 500))


def provider_handler(
    app: APIGatewayRestResolver,
) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda entry point of a provider function: logs correlated by
    request id, metrics flushed per invocation, an oversized body refused."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if len(event.get("body") or "") > MAX_BODY_BYTES * 4 // 3 + 4:
            too_large = OAuthError("invalid_request", "the body is too large", 413)
            return {
                "statusCode": 413,
                "headers": {"Content-Type": "application/json", **NO_STORE},
                "body": json.dumps({"error": too_large.error, "error_description": too_large.description}),
                "isBase64Encoded": False,
            }
        with budget.invocation(context):
            return app.resolve(event, context)

    coldstart.ready()
    return handler
