"""Ops actions from the AWS console: unlock, disable, enable, revoke, audit
(events/ops_*.json; docs/OPS.md)."""

from __future__ import annotations

import time

from chiave.api.console import console_handler
from chiave.jobs.ops import run

handler = console_handler(run, time.time)
