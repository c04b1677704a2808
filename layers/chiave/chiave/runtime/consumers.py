"""The entry point of a function an SQS queue feeds (notify, the
invitations): each message handled on its own, failures reported per
message so only they are retried, metrics flushed per invocation. A batch
whose every message failed is reported like any other, not raised: the
failures' texts stay out of the error log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from chiave.runtime import budget, coldstart
from chiave.runtime.observability import logger, metrics


def queue_handler(
    record_handler: Callable[[SQSRecord], Any],
    on_invocation: Callable[[LambdaContext], None] | None = None,
) -> Callable[[dict[str, Any], LambdaContext], PartialItemFailureResponse]:
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    @logger.inject_lambda_context
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
        if on_invocation is not None:
            on_invocation(context)
        with budget.invocation(context):
            return process_partial_response(
                event=event, record_handler=record_handler, processor=processor, context=context
            )

    coldstart.ready()
    return handler
