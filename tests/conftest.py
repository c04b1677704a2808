"""Shared test helpers: events from events/*.json with small overrides."""

from __future__ import annotations

import copy
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from chiave_local import template

# As in Lambda, Powertools reads its settings when chiave is first imported:
# give this process the template's global (literal) settings before that.
for _name, _value in template.global_environment().items():
    if isinstance(_value, str):
        os.environ.setdefault(_name, _value)

EVENTS = Path(__file__).resolve().parents[1] / "events"


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


@pytest.fixture(name="load_event")
def load_event_fixture() -> Any:
    return load_event
