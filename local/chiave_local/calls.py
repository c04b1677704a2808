"""Record the AWS operations the chiave clients make (bench, enumeration tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chiave import aws


@contextmanager
def recording() -> Iterator[list[str]]:
    """Yields a list that fills with "service:Operation", in call order."""
    made: list[str] = []

    def record(model: Any, **_: Any) -> None:
        made.append(f"{model.service_model.service_name}:{model.name}")

    # Each client copies the session's hooks when created: hook the clients.
    clients = [aws.dynamodb(), aws.sqs()]
    for client in clients:
        client.meta.events.register("before-call", record)
    try:
        yield made
    finally:
        for client in clients:
            client.meta.events.unregister("before-call", record)
