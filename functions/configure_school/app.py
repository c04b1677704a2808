"""The school's configuration from the AWS console: configure, list,
disable, enable (events/configure_school*.json; docs/OPS.md)."""

from __future__ import annotations

import time

from chiave.api.console import SchoolEvent, console_handler
from chiave.jobs.configure_school import run

handler = console_handler(run, time.time, SchoolEvent)
