"""The school report from the AWS console: the funnel and the call list,
written as a CSV to S3 (events/school_report.json; docs/OPS.md)."""

from __future__ import annotations

import time

from chiave.api.console import ReportEvent, console_handler
from chiave.jobs.school_report import report

handler = console_handler(report, time.time, ReportEvent)
