"""The expiry sweep, on EventBridge's schedule (every 15 minutes)."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chiave.jobs.expiry_sweep import sweep
from chiave.runtime import budget
from chiave.runtime.observability import logger, metrics


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with budget.invocation(context):
        return sweep(time.time())
