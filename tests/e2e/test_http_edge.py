"""The local stack holds what API Gateway holds: bursts, odd methods, odd
framing. Every answer is a problem document or a closed connection, fast."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest

TOKEN = "A" * 43  # well formed, issued to nobody: one GetItem, no counters


def _address(stack):
    parts = urlsplit(stack.base_url)
    return parts.hostname, parts.port


def _raw(stack, payload: bytes, wait_s: float = 5.0) -> tuple[bytes, float]:
    """Send raw bytes; what came back before the server closed or `wait_s` passed."""
    started = time.monotonic()
    with socket.create_connection(_address(stack), timeout=wait_s) as connection:
        connection.sendall(payload)
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return received, time.monotonic() - started


def test_two_hundred_concurrent_connections_all_get_answers(local_stack):
    # Given 200 clients connecting at the same moment
    host, port = _address(local_stack)
    start = threading.Barrier(200)
    answers: list[int] = []
    failures: list[str] = []

    def client() -> None:
        try:
            connection = http.client.HTTPConnection(host, port, timeout=120)
            start.wait()
            connection.request(
                "POST", "/v1/flows/status", json.dumps({"token": TOKEN}), {"Content-Type": "application/json"}
            )
            answers.append(connection.getresponse().status)
            connection.close()
        except Exception as error:  # a reset or a refused connection
            failures.append(repr(error))

    threads = [threading.Thread(target=client) for _ in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then every one is answered, none reset
    assert failures == []
    assert answers == [400] * 200


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "TRACE", "FOO", "HEAD"])
def test_methods_api_gateway_refuses_get_its_problem_document(local_stack, method):
    response = local_stack.request(method, "/v1/flows/status")
    assert response.status == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    if method != "HEAD":
        assert json.loads(response.text)["code"] == "not_found"


def test_one_origin_needs_no_cors_and_another_site_is_granted_nothing(local_stack):
    # Given a page of another site asking the browser to call the API
    elsewhere = {"Origin": "https://registro-falso.example"}
    # Then no preflight is answered (the pages share the API's origin and never send one)
    preflight = local_stack.request("OPTIONS", "/v1/flows/status", headers=elsewhere)
    assert preflight.status == 404 and "Access-Control-Allow-Origin" not in preflight.headers
    # And no answer grants it the reading of a response
    answer = local_stack.post("/v1/flows/status", {"token": "x" * 43}, headers=elsewhere)
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_api_gateway_s_own_answers_on_the_sign_in_speak_oauth(local_stack):
    # A path under /oidc that is no endpoint: the provider API's own answer, not a problem document
    answer = local_stack.request("GET", "/oidc/nowhere")
    assert answer.status == 404 and answer.headers["Content-Type"] == "application/json"
    assert json.loads(answer.text)["error"] == "invalid_request"
    # While the same under /v1 is the API's problem document
    assert local_stack.request("GET", "/v1/nowhere").headers["Content-Type"] == "application/problem+json"


def test_a_64_kb_header_gets_a_problem_document(local_stack):
    huge = "x" * 65_600
    payload = f"POST /v1/flows/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {huge}\r\n\r\n".encode()
    received, elapsed = _raw(local_stack, payload)
    assert received.startswith(b"HTTP/1.1 413")
    assert b"application/problem+json" in received
    assert elapsed < 2


def test_a_content_length_longer_than_the_body_is_closed_within_a_second(local_stack):
    payload = (
        b"POST /v1/flows/status HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b'Content-Length: 500\r\n\r\n{"token": '
    )
    received, elapsed = _raw(local_stack, payload)
    assert received == b"" or received.startswith(b"HTTP/1.1 400")
    assert elapsed < 2.5


def test_a_chunked_body_is_read(local_stack):
    body = json.dumps({"token": TOKEN}).encode()
    chunked = (
        b"%x\r\n" % 10 + body[:10] + b"\r\n" + b"%x\r\n" % (len(body) - 10) + body[10:] + b"\r\n0\r\n\r\n"
    )
    payload = (
        b"POST /v1/flows/status HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked
    )
    received, _ = _raw(local_stack, payload)
    assert received.startswith(b"HTTP/1.1 400")
    assert b"token_invalid" in received


def test_bad_chunks_get_a_problem_document(local_stack):
    payload = (
        b"POST /v1/flows/status HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nzz\r\nnot hex\r\n"
    )
    received, elapsed = _raw(local_stack, payload)
    assert received.startswith(b"HTTP/1.1 400") and b"malformed_request" in received
    assert elapsed < 2


@pytest.mark.parametrize("host", ["evil.example", "evil.example:3000", "127.0.0.1.evil.example"])
def test_a_page_elsewhere_rebound_to_the_loopback_reaches_nothing(local_stack, host):
    # Given a page on another name that made its name resolve to 127.0.0.1 (DNS rebinding)
    before = len(local_stack.request("GET", "/_local/outbox").json["emails"])
    # When it asks for a reset, and reads the outbox
    asked = local_stack.post(
        "/v1/schools/RMIC817009/password-resets",
        {"identifier": "maria.rossi@example.it"},
        headers={"Host": host},
    )
    read = local_stack.request("GET", "/_local/outbox", headers={"Host": host})
    # Then neither is served, and nothing was sent
    assert (asked.status, read.status) == (421, 421)
    assert "maria" not in read.text
    time.sleep(0.5)
    assert len(local_stack.request("GET", "/_local/outbox").json["emails"]) == before
