"""Genuine API Gateway REST proxy events from plain HTTP requests."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, unquote

from chiave_local.emulator import template as tpl
from chiave_local.emulator.resources import ACCOUNT_ID


def match_route(method: str, path: str, api: str | None = None) -> tuple[tpl.ApiRoute, dict[str, str]] | None:
    """The route of one API (or of any) that answers this method and path, and its parameters."""
    for route in tpl.api_routes(api):
        found = route.pattern.match(path)
        if found and route.method == method:
            return route, {name: unquote(value) for name, value in found.groupdict().items()}
    return None


def proxy_event(
    route: tpl.ApiRoute,
    path_parameters: dict[str, str],
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
    host: str,
    signed_by: str | None = None,
) -> dict[str, Any]:
    """`signed_by`: the role session of an AWS_IAM route's SigV4 signature."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        single[name] = value
        multi.setdefault(name, []).append(value)
    queries = parse_qs(query, keep_blank_values=True)
    try:
        text: str | None = body.decode("utf-8") if body else None
        encoded = False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode("ascii"), True
    stage = tpl.api_stage(route.api)
    now = time.time()
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": route.method,
        "headers": single or None,
        "multiValueHeaders": multi or None,
        "queryStringParameters": {k: v[-1] for k, v in queries.items()} or None,
        "multiValueQueryStringParameters": queries or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": route.path,
            "httpMethod": route.method,
            "extendedRequestId": uuid.uuid4().hex[:16],
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{stage}{path}",
            "accountId": ACCOUNT_ID,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": host.split(".")[0],
            "requestTimeEpoch": int(now * 1000),
            "requestId": str(uuid.uuid4()),
            "identity": {
                "sourceIp": source_ip,
                "userAgent": single.get("User-Agent") or single.get("user-agent"),
                "accountId": ACCOUNT_ID if signed_by else None,
                "caller": signed_by.rsplit("/", 1)[-1] if signed_by else None,
                "user": signed_by.rsplit("/", 1)[-1] if signed_by else None,
                "userArn": signed_by,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "accessKey": None,
                "apiKey": None,
            },
            "domainName": host,
            "apiId": "local",
        },
        "body": text,
        "isBase64Encoded": encoded,
    }
