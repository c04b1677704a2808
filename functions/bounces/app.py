"""Bounces and complaints from SES, through SNS: the address is marked undeliverable."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chiave.jobs.bounces import handle
from chiave.runtime import budget
from chiave.runtime.observability import logger, metrics


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with budget.invocation(context):
        return handle(event.get("Records", []), time.time())
