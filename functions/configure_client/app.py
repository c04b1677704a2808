"""The registers' clients of the sign-in from the AWS console: configure,
rotate_secret, list, disable, enable (events/configure_client*.json;
docs/SIGN_IN.md)."""

from __future__ import annotations

import time

from chiave.api.console import ClientEvent, console_handler
from chiave.jobs.configure_client import run

handler = console_handler(run, time.time, ClientEvent)
