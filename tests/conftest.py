"""Shared test helpers: events from events/*.json with small overrides.

Importing chiave_local gives this process the template's global environment
first, as Lambda gives it to every function (chiave_local/__init__.py)."""

from __future__ import annotations

from typing import Any

import pytest

from chiave_local.emulator.events import load_event


@pytest.fixture(name="load_event")
def load_event_fixture() -> Any:
    return load_event
