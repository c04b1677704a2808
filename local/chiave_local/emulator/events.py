"""Sample events (events/*.json, usable with `sam local invoke -e`) with
small overrides: one helper for tests and the benchmark."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from chiave_local.emulator.template import ROOT

EVENTS = ROOT / "events"


@cache
def _event_file(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text("utf-8"))
    return loaded


def load_event(
    name: str,
    *,
    body: Any = None,
    raw_body: str | None = None,
    headers: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    source_ip: str | None = None,
) -> dict[str, Any]:
    """A sample event with overrides: `body` is JSON-encoded, `raw_body` sent as is."""
    event = copy.deepcopy(_event_file(name))
    if body is not None:
        event["body"] = json.dumps(body)
    if raw_body is not None:
        event["body"] = raw_body
    for header, value in (headers or {}).items():
        event["headers"][header] = value
        event["multiValueHeaders"][header] = [value]
    if path_parameters:
        event["pathParameters"] = {**(event["pathParameters"] or {}), **path_parameters}
        path = event["resource"]
        for parameter, value in event["pathParameters"].items():
            path = path.replace("{" + parameter + "}", value)
        event["path"] = path
    if source_ip:
        event["requestContext"]["identity"]["sourceIp"] = source_ip
    return event
