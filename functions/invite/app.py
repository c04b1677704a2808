"""Bulk invitation from the AWS console: everyone of a school with a role
(and class) who has no account yet (events/invite.json; docs/OPS.md)."""

from __future__ import annotations

import time

from chiave.api.console import InvitationEvent, console_handler
from chiave.jobs.invite import invite

handler = console_handler(invite, time.time, InvitationEvent)
