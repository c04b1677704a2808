"""The federation check, on EventBridge's schedule (every hour)."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chiave.jobs.federation_check import run
from chiave.runtime import budget
from chiave.runtime.observability import logger, metrics


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with budget.invocation(context):
        return run(time.time())
