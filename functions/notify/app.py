"""SQS consumer of the outbox: delivers each committed message, reporting
partial batch failures so only the failed messages are retried."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from chiave import budget
from chiave.delivery import handle, idempotency, parse
from chiave.observability import logger, metrics

# A batch whose every record failed is reported like any other, not raised:
# the failures' texts stay out of the function's error log.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def send_record(record: SQSRecord) -> str:
    message = parse(record.body)
    logger.set_correlation_id(message.correlation_id or message.commit_id)
    return handle(message, record.receipt_handle, int(record.attributes.approximate_receive_count))


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    idempotency.register_lambda_context(context)
    with budget.invocation(context):
        return process_partial_response(
            event=event, record_handler=send_record, processor=processor, context=context
        )
