"""The local stack's HTTP server: the API under /{stage}, as API Gateway
routes it from template.yaml, and the /_local helpers of SPEC §4."""

from __future__ import annotations

import base64
import json
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from chiave.api.problems import negotiate_language, problem
from chiave.store import directory
from chiave_local.demo import portal, registro, sent
from chiave_local.docgen import openapi
from chiave_local.emulator import apigw, sigv4
from chiave_local.emulator import template as tpl
from chiave_local.emulator.runtime import Invoker

# API Gateway's own payload limit is 10 MB; the functions refuse far less.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
READ_TIMEOUT_S = 1.0
IDLE_TIMEOUT_S = 10.0
# The names the local stack answers to: a request naming any other host was
# sent by a page that made its own name resolve to 127.0.0.1 (DNS rebinding).
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
VIEWER_ADDRESS = "cloudfront-viewer-address"
_INVOKE = re.compile(r"^/_local/invoke/([A-Za-z0-9]+)$")
_SWAGGER_ASSETS = {
    "/docs/swagger-ui-bundle.min.js": ("swagger-ui-bundle.min.js", "application/javascript"),
    "/docs/swagger-ui.min.css": ("swagger-ui.min.css", "text/css"),
}


class LocalStack(ThreadingHTTPServer):
    daemon_threads = True
    # A burst of parents must queue, not be reset (socketserver's default is 5).
    request_queue_size = 512

    def __init__(self, address: tuple[str, int], functions: Invoker) -> None:
        super().__init__(address, Handler)
        self.functions = functions
        self.openapi_document = openapi.render()
        # The demo register's client of the sign-in, once the seed made it.
        self.demo_client: dict[str, str] = {}
        self.demo_register: registro.DemoRegister | None = None
        # The local SPID/CIE federation's anchor, providers and trust mark types, when make run started it.
        self.local_federation: dict[str, Any] = {}


class FramingError(Exception):
    """A request whose body cannot be read as framed (a lying length, bad chunks)."""


class Handler(BaseHTTPRequestHandler):
    server: LocalStack
    protocol_version = "HTTP/1.1"
    # An idle keep-alive connection, or one whose headers never end, is
    # closed after this long; a body that stops coming (a Content-Length
    # longer than the body) after READ_TIMEOUT_S.
    timeout = IDLE_TIMEOUT_S

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the functions log JSON; the access log would only repeat it

    def __getattr__(self, name: str) -> Any:
        # Every method, known or not (HEAD, OPTIONS, TRACE, FOO), is answered
        # as API Gateway would, instead of http.server's HTML 501.
        if name.startswith("do_"):
            return lambda: self._dispatch(name[3:])
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What http.server refuses itself (oversized headers, a bad request
        line) gets a problem document, and the connection is closed."""
        self.close_connection = True
        if code in (HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, HTTPStatus.REQUEST_URI_TOO_LONG):
            self._gateway_response("REQUEST_TOO_LARGE")
        else:
            self._problem("malformed_request")

    def _read_body(self) -> bytes:
        self.connection.settimeout(READ_TIMEOUT_S)
        try:
            return self._read_framed_body()
        finally:
            self.connection.settimeout(IDLE_TIMEOUT_S)

    def _read_framed_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunks()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise FramingError() from None
        if length < 0:
            raise FramingError()
        if length > MAX_REQUEST_BYTES:
            raise OverflowError()
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            raise FramingError()
        return body

    def _read_chunks(self) -> bytes:
        body = b""
        while True:
            size_line = self.rfile.readline(64)
            try:
                size = int(size_line.split(b";")[0].strip(), 16)
            except ValueError:
                raise FramingError() from None
            if size < 0:
                raise FramingError()
            if len(body) + size > MAX_REQUEST_BYTES:
                raise OverflowError()
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return body
            chunk = self.rfile.read(size + 2)
            if len(chunk) < size + 2:
                raise FramingError()
            body += chunk[:size]

    def _dispatch(self, method: str) -> None:
        path, _, query = self.path.partition("?")
        try:
            body = self._read_body()
        except OverflowError:
            self.close_connection = True
            self._gateway_response("REQUEST_TOO_LARGE")
            return
        except (FramingError, TimeoutError):
            self.close_connection = True
            self._problem("malformed_request")
            return
        if method == "HEAD":
            self.close_connection = True
        if not _loopback(self.headers.get("Host")):
            # A page elsewhere whose name was made to resolve here (DNS rebinding) reaches nothing.
            self.close_connection = True
            self._send_json(421, {"message": f"this stack answers only {', '.join(LOOPBACK_NAMES)}"})
            return
        request = Incoming(method, path, query, body)
        for route in ROUTES:
            if (method in route.methods or "ANY" in route.methods) and (found := route.match(path)):
                route.serve(self, request, found)
                return
        self._send_json(404, {"message": "not a route of the API (under /v1/) nor of the local stack"})

    # ---- what each route serves (ROUTES below says which is which) ----------------------

    def _stage(self, request: Incoming, _found: object) -> None:
        path = request.path[len(tpl.api_stage()) + 1 :]
        self._api(tpl.API, request.method, path, request.query, request.body)

    def _provider(self, request: Incoming, _found: object) -> None:
        # As CloudFront does: the provider's paths go to its own API's stage.
        self._api(tpl.PROVIDER_API, request.method, request.path, request.query, request.body)

    def _outbox(self, request: Incoming, _found: object) -> None:
        # ?since=N: only what was sent after the first N (a load test's mailbox);
        # ?to=address and ?last=N: the newest N sent there (each e-mail's `token`).
        asked = parse_qs(request.query)
        since, last = asked.get("since", ["0"])[-1], asked.get("last", [""])[-1]
        region = self.server.functions.deployment.region
        outbox = sent.outbox(region, int(since) if since.isdigit() else 0)
        chosen = portal.with_tokens(
            outbox, asked.get("to", [None])[-1], int(last) if last.isdigit() else None
        )
        self._send_json(200, chosen)

    def _mailbox(self, _request: Incoming, _found: object) -> None:
        region = self.server.functions.deployment.region
        self._send(200, "text/html; charset=utf-8", portal.mailbox(sent.outbox(region)))

    def _info(self, _request: Incoming, _found: object) -> None:
        deployment = self.server.functions.deployment
        origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._send_json(
            200,
            {
                "aws_endpoint_url": deployment.endpoint_url,
                "region": deployment.region,
                "resources": deployment.physical,
                # The sign-in: its issuer, and the demo register's client (made by the seed).
                "issuer": f"{origin}/oidc",
                "demo_client": self.server.demo_client,
                # The SPID/CIE federation: the trust anchor, Chiave's intermediate, each school's leaf.
                "federation": {
                    "trust_anchor": deployment.refs["TrustAnchor"],
                    "intermediate": f"{origin}/oidc/federation",
                    "leaves": f"{origin}/oidc/federation/list",
                    **({"local": self.server.local_federation} if self.server.local_federation else {}),
                },
            },
        )

    def _registro(self, request: Incoming, _found: object) -> None:
        if self.server.demo_register is None:
            self._send_json(404, {"message": "no demo register in this stack"})
            return
        target = f"{request.path}?{request.query}" if request.query else request.path
        try:
            answer = self.server.demo_register.forward(
                request.method, target, dict(self.headers.items()), request.body
            )
        except registro.Unavailable as missing:
            self._send_json(503, {"message": str(missing)})
            return
        except OSError as failed:  # the register's process died or hung: say so, never a reset connection
            self._send_json(502, {"message": f"the demo register did not answer: {failed}"})
            return
        status, content_type, data, headers = answer
        self._send(status, content_type, data, headers)

    def _invoke_route(self, request: Incoming, found: re.Match[str]) -> None:
        self._invoke(found.group(1), request.body)

    def _docs(self, _request: Incoming, _found: object) -> None:
        self._send(200, "text/html; charset=utf-8", self._swagger_page().encode())

    def _openapi(self, _request: Incoming, _found: object) -> None:
        self._send(200, "application/json", self.server.openapi_document.encode())

    def _page(self, _request: Incoming, found: tuple[str, bytes]) -> None:
        # The demo school's portal: where e-mailed links point; the token stays in the fragment.
        self._send(200, found[0], found[1], portal.SECURITY_HEADERS)

    def _school_list(self, request: Incoming, _found: object) -> None:
        # What CloudFront serves from the pages' bucket: what the configuration action published.
        deployment = self.server.functions.deployment
        s3 = deployment.client("s3")
        try:
            published = s3.get_object(Bucket=deployment.refs["PortalBucket"], Key=request.path.lstrip("/"))
        except s3.exceptions.NoSuchKey:
            self._send_json(404, {})
            return
        headers = {**portal.SECURITY_HEADERS, "Cache-Control": published["CacheControl"]}
        self._send(200, published["ContentType"], published["Body"].read(), headers)

    def _swagger_asset(self, request: Incoming, _found: object) -> None:
        name, content_type = _SWAGGER_ASSETS[request.path]
        asset = resources.files("aws_lambda_powertools.event_handler.openapi.swagger_ui") / name
        self._send(200, content_type, asset.read_bytes())

    def _api(self, api: str, method: str, path: str, query: str, body: bytes) -> None:
        matched = apigw.match_route(method, path, api)
        if matched is None:  # API Gateway answers this itself
            self._gateway_response("MISSING_AUTHENTICATION_TOKEN", api)
            return
        route, parameters = matched
        if route.iam:
            host = self.headers.get("Host", "127.0.0.1")
            url = f"http://{host}{self.path}"
            refused = sigv4.refusal(method, url, dict(self.headers.items()), body)
            if refused:
                self._gateway_response(refused, api)
                return
        event = apigw.proxy_event(
            route,
            parameters,
            path,
            query,
            # The internal routes are called on execute-api itself (SigV4), not through CloudFront.
            list(self.headers.items()) if route.iam else self._as_cloudfront_forwards(),
            body,
            source_ip=self.client_address[0],
            host=self.headers.get("Host", "127.0.0.1"),
            signed_by=sigv4.VENDOR_ROLE_SESSION_ARN if route.iam else None,
        )
        try:
            result = self.server.functions.invoke(route.function_id, event)
        except Exception:  # the integration failed: API Gateway's 5XX response
            traceback.print_exc()
            self._gateway_response("DEFAULT_5XX", api)
            return
        headers = dict(result.get("headers") or {})
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers[name] = values[-1]
        payload = result.get("body") or ""
        data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode("utf-8")
        content_type = headers.pop("Content-Type", headers.pop("content-type", "application/json"))
        self._send(int(result.get("statusCode", 200)), content_type, data, headers)

    def _invoke(self, function_id: str, body: bytes) -> None:
        if function_id not in self.server.functions.specs:
            self._send_json(404, {"message": f"no function {function_id} in template.yaml"})
            return
        filled: dict[str, str] = {}
        if portal.TOKEN_PLACEHOLDER.encode() in body:
            # A sample that needs a live link: the newest one e-mailed, said in a header.
            newest = portal.newest_link(sent.outbox(self.server.functions.deployment.region))
            if newest is None:
                self._send_json(409, {"message": "no e-mail with a link yet: register or ask a reset first"})
                return
            body = body.replace(portal.TOKEN_PLACEHOLDER.encode(), newest["token"].encode())
            filled["X-Chiave-Local-Token"] = f"the newest link, e-mailed to {newest['to']}"
        try:
            event = json.loads(body or b"{}")
        except ValueError:
            self._send_json(400, {"message": "the event must be JSON"})
            return
        try:
            result = self.server.functions.invoke(function_id, event)
        except Exception as error:  # as Lambda's Invoke reports a function error
            self._send(
                200,
                "application/json",
                json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)[-2000:]}).encode(),
                {"X-Amz-Function-Error": "Unhandled"},
            )
            return
        self._send(200, "application/json", json.dumps(result, ensure_ascii=False).encode(), filled)

    def _swagger_page(self) -> str:
        from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import (
            generate_swagger_html,
        )

        return generate_swagger_html(
            spec=self.server.openapi_document,
            swagger_js="/docs/swagger-ui-bundle.min.js",
            swagger_css="/docs/swagger-ui.min.css",
            swagger_base_url="/docs",
            oauth2_config=None,
        )

    def _problem(self, code: str) -> None:
        # Headers may not have been read (a bad request line).
        received = getattr(self, "headers", None)
        language = negotiate_language(received.get("Accept-Language") if received else None)
        status, headers, document = problem(code, language)
        content_type = headers.pop("Content-Type")
        self._send(status, content_type, document.encode(), headers)

    def _as_cloudfront_forwards(self) -> list[tuple[str, str]]:
        """The request's headers as CloudFront sends them on: the parent's own
        address in CloudFront-Viewer-Address, whatever a client claimed there."""
        host, port = self.client_address[:2]
        headers = [(name, value) for name, value in self.headers.items() if name.lower() != VIEWER_ADDRESS]
        return [*headers, ("CloudFront-Viewer-Address", f"{host}:{port}")]

    def _gateway_response(self, kind: str, api: str = tpl.API) -> None:
        response = tpl.gateway_responses(api, self.server.functions.deployment.resolve)[kind]
        headers = dict(response.headers)
        content_type = headers.pop("Content-Type", "application/json")
        self._send(response.status, content_type, response.body.encode(), headers)

    def _send_json(self, status: int, document: Any) -> None:
        self._send(status, "application/json", json.dumps(document, ensure_ascii=False).encode())

    def _send(
        self, status: int, content_type: str, data: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


@dataclass(frozen=True)
class Incoming:
    """A request as read: its method, path, query string and whole body."""

    method: str
    path: str
    query: str
    body: bytes


@dataclass(frozen=True)
class Route:
    """What the server answers: for these methods, a path `match` accepts
    (what it returns is handed to `serve`), served by a Handler method."""

    methods: frozenset[str]
    match: Callable[[str], Any]
    serve: Callable[[Handler, Incoming, Any], None]


def _loopback(host: str | None) -> bool:
    """A Host header naming the loopback (any port); none at all is an
    HTTP/1.0 client, never a browser."""
    if host is None:
        return True
    name = host.strip().lower()
    name = name[: name.rindex("]") + 1] if name.startswith("[") and "]" in name else name.rsplit(":", 1)[0]
    return name in LOOPBACK_NAMES


def _exact(*paths: str) -> Callable[[str], bool]:
    return lambda path: path in paths


def _published_school(path: str) -> bool:
    """The public list of schools, or one school's public profile."""
    return path == f"/{directory.KEY}" or bool(re.fullmatch(r"/scuole/[A-Z0-9]{10}\.json", path))


def _in_stage(path: str) -> bool:
    return path.startswith(f"/{tpl.api_stage()}/")


GET, HEAD = frozenset({"GET"}), frozenset({"GET", "HEAD"})
# First match wins: the API under its stage takes every method, as API Gateway does.
ROUTES = (
    Route(frozenset({"ANY"}), _in_stage, Handler._stage),
    Route(frozenset({"ANY"}), lambda path: path.startswith("/oidc/"), Handler._provider),
    Route(GET, _exact("/_local/outbox"), Handler._outbox),
    Route(GET, _exact("/_local/mailbox"), Handler._mailbox),
    Route(GET, _exact("/_local/info"), Handler._info),
    Route(frozenset({"GET", "POST"}), lambda path: path.startswith(registro.PREFIX), Handler._registro),
    Route(frozenset({"POST"}), _INVOKE.match, Handler._invoke_route),
    Route(GET, _exact("/docs", "/docs/"), Handler._docs),
    Route(GET, _exact("/openapi.json", "/docs/openapi.json"), Handler._openapi),
    Route(HEAD, _published_school, Handler._school_list),
    Route(HEAD, portal.page, Handler._page),
    Route(GET, _exact(*_SWAGGER_ASSETS), Handler._swagger_asset),
)
