"""The AWS operations the chiave clients make, recorded (bench, parity tests)
or failed on purpose (fault-injection tests), by their position in a flow."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from chiave.runtime import aws


def _clients() -> list[Any]:
    # Each client copies the session's hooks when created: hook the clients.
    return [factory() for factory in aws.FACTORIES]


@contextmanager
def _hooked(event: str, hook: Callable[..., None]) -> Iterator[None]:
    clients = _clients()
    for client in clients:
        client.meta.events.register(event, hook)
    try:
        yield
    finally:
        for client in clients:
            client.meta.events.unregister(event, hook)


@contextmanager
def recording() -> Iterator[list[str]]:
    """Yields a list that fills with "service:Operation", in call order."""
    made: list[str] = []

    def record(model: Any, **_: Any) -> None:
        made.append(f"{model.service_model.service_name}:{model.name}")

    with _hooked("before-call", record):
        yield made


@contextmanager
def measuring() -> Iterator[list[tuple[str, int]]]:
    """Yields a list that fills with (operation, bytes of the request as sent)."""
    made: list[tuple[str, int]] = []

    def measure(model: Any, params: dict[str, Any], **_: Any) -> None:
        body = params.get("body") or b""
        made.append((model.name, len(body if isinstance(body, bytes) else body.encode())))

    with _hooked("before-call", measure):
        yield made


def _client_error(code: str, status: int) -> Callable[[str], Exception]:
    def make(operation: str) -> Exception:
        answer: Any = {
            "Error": {"Code": code, "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return ClientError(answer, operation)

    return make


# What AWS does to a call, after botocore's own retries have given up.
FAULTS: dict[str, Callable[[str], Exception]] = {
    "throttling": _client_error("ThrottlingException", 400),
    "capacity": _client_error("ProvisionedThroughputExceededException", 400),
    "kms_throttling": _client_error("KMS.ThrottlingException", 400),
    "server_error": _client_error("InternalServerError", 500),
    "timeout": lambda operation: ReadTimeoutError(endpoint_url=f"https://aws.invalid/{operation}"),
    "unreachable": lambda operation: EndpointConnectionError(endpoint_url=f"https://aws.invalid/{operation}"),
}


@contextmanager
def conflicting(losses: int) -> Iterator[list[int]]:
    """Each TransactWriteItems loses `losses` races with other transactions
    (as a busy counter makes them do) before one lands. Yields the attempts."""
    attempts: list[int] = []

    def before(model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name != "TransactWriteItems":
            return
        items = len(json.loads(params["body"])["TransactItems"])  # params: the request as sent
        attempts.append(items)
        if len(attempts) % (losses + 1):
            reasons = [{"Code": "TransactionConflict"}] + [{"Code": "None"}] * (items - 1)
            answer: Any = {
                "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
                "CancellationReasons": reasons,
                "ResponseMetadata": {"HTTPStatusCode": 400},
            }
            raise ClientError(answer, model.name)

    with _hooked("before-call", before):
        yield attempts


@contextmanager
def failing(
    fault: str | Callable[[str], Exception],
    position: int = 0,
    operation: str | None = None,
    applied: bool = False,
) -> Iterator[list[str]]:
    """The call at `position` (0-based, in call order; among the calls of
    `operation` only, when given) fails with `fault`.

    With `applied`, AWS carries the call out and only its answer is lost (a
    timeout after the request was delivered). Yields the calls made so far."""
    made: list[str] = []

    def chosen(name: str) -> bool:
        if operation not in (None, name):
            return False
        return sum(1 for call in made if operation in (None, call)) - 1 == position

    make = FAULTS[fault] if isinstance(fault, str) else fault

    def before(model: Any, **_: Any) -> None:
        made.append(model.name)
        if not applied and chosen(model.name):
            raise make(model.name)

    def after(model: Any, **_: Any) -> None:
        if applied and chosen(model.name):
            raise make(model.name)

    with _hooked("before-call", before), _hooked("after-call", after):
        yield made
