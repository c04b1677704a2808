"""The local stack's HTTP server: the API under /{stage}, as API Gateway
routes it from template.yaml, and the /_local helpers of SPEC §4."""

from __future__ import annotations

import base64
import json
import re
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from chiave_local import apigw, openapi, sent
from chiave_local import template as tpl
from chiave_local.runtime import Functions

# API Gateway's own payload limit is 10 MB; the functions refuse far less.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
_INVOKE = re.compile(r"^/_local/invoke/([A-Za-z0-9]+)$")
_SWAGGER_ASSETS = {
    "/docs/swagger-ui-bundle.min.js": ("swagger-ui-bundle.min.js", "application/javascript"),
    "/docs/swagger-ui.min.css": ("swagger-ui.min.css", "text/css"),
}


class LocalStack(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], functions: Functions) -> None:
        super().__init__(address, Handler)
        self.functions = functions
        self.openapi_document = openapi.render()


class Handler(BaseHTTPRequestHandler):
    server: LocalStack
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the functions log JSON; the access log would only repeat it

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def _dispatch(self, method: str) -> None:
        path, _, query = self.path.partition("?")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._send_json(400, {"message": "Bad Request"})
            return
        if length < 0 or length > MAX_REQUEST_BYTES:
            self._gateway_response("REQUEST_TOO_LARGE")
            return
        body = self.rfile.read(length) if length else b""
        stage_prefix = f"/{tpl.api_stage()}/"
        if path.startswith(stage_prefix):
            self._api(method, path[len(stage_prefix) - 1 :], query, body)
        elif method == "GET" and path == "/_local/outbox":
            self._send_json(200, sent.outbox(self.server.functions.deployment.region))
        elif method == "GET" and path == "/_local/info":
            deployment = self.server.functions.deployment
            self._send_json(
                200,
                {
                    "aws_endpoint_url": deployment.endpoint_url,
                    "region": deployment.region,
                    "resources": deployment.physical,
                },
            )
        elif method == "POST" and (found := _INVOKE.match(path)):
            self._invoke(found.group(1), body)
        elif method == "GET" and path in ("/docs", "/docs/"):
            self._send(200, "text/html; charset=utf-8", self._swagger_page().encode())
        elif method == "GET" and path == "/docs/openapi.json":
            self._send(200, "application/json", self.server.openapi_document.encode())
        elif method == "GET" and path in ("/attiva", "/recupera"):
            # Where e-mailed links point locally; the token stays in the fragment.
            page = resources.files("chiave_local").joinpath("portal_placeholder.html").read_bytes()
            self._send(200, "text/html; charset=utf-8", page)
        elif method == "GET" and path in _SWAGGER_ASSETS:
            name, content_type = _SWAGGER_ASSETS[path]
            asset = resources.files("aws_lambda_powertools.event_handler.openapi.swagger_ui") / name
            self._send(200, content_type, asset.read_bytes())
        else:
            self._send_json(404, {"message": "not a route of the API (under /v1/) nor of the local stack"})

    def _api(self, method: str, path: str, query: str, body: bytes) -> None:
        matched = apigw.match_route(method, path)
        if matched is None:  # API Gateway answers this itself
            self._gateway_response("MISSING_AUTHENTICATION_TOKEN")
            return
        route, parameters = matched
        event = apigw.proxy_event(
            route,
            parameters,
            path,
            query,
            list(self.headers.items()),
            body,
            source_ip=self.client_address[0],
            host=self.headers.get("Host", "127.0.0.1"),
        )
        try:
            result = self.server.functions.invoke(route.function_id, event)
        except Exception:  # the integration failed: API Gateway's 5XX response
            traceback.print_exc()
            self._gateway_response("DEFAULT_5XX")
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
        try:
            event = json.loads(body or b"{}")
        except ValueError:
            self._send_json(400, {"message": "the event must be JSON"})
            return
        self._send_json(200, self.server.functions.invoke(function_id, event))

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

    def _gateway_response(self, kind: str) -> None:
        response = tpl.gateway_responses()[kind]
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
        self.wfile.write(data)
