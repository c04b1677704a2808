"""Shared test helpers: events from events/*.json with small overrides."""

from __future__ import annotations

import os
from typing import Any

import pytest

from chiave_local import template
from chiave_local.events import load_event

# As in Lambda, Powertools reads its settings when chiave is first imported:
# give this process the template's global (literal) settings before that.
for _name, _value in template.global_environment().items():
    if isinstance(_value, str):
        os.environ.setdefault(_name, _value)


@pytest.fixture(name="load_event")
def load_event_fixture() -> Any:
    return load_event
