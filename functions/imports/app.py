"""An anagrafica CSV uploaded to the import bucket (S3 ObjectCreated): imported, reported."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.typing import LambdaContext

from chiave.jobs.imports import is_report, run_import
from chiave.runtime import budget
from chiave.runtime.observability import logger, metrics


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with budget.invocation(context):
        imported = []
        for record in event.get("Records", []):
            bucket, key = record["s3"]["bucket"]["name"], unquote_plus(record["s3"]["object"]["key"])
            if not is_report(key):  # its own reports land next to the files
                imported.append(run_import(bucket, key, time.time()))
        return {"imports": imported}
