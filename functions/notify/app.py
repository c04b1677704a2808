"""SQS consumer of the outbox: renders and sends every notice, reporting
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

from chiave.delivery import deliver, idempotency
from chiave.observability import count_outcome, logger, metrics
from chiave.outbox import Notice

processor = BatchProcessor(event_type=EventType.SQS)


def send_record(record: SQSRecord) -> str:
    notice = Notice.model_validate_json(record.body)
    logger.set_correlation_id(notice.correlation_id or notice.id)
    if notice.channel == "none":  # padding from an enumeration-safe answer
        count_outcome("notify", "padding_dropped")
        return "dropped"
    count_outcome("notify", "record_received")  # a replayed notice is received, not sent
    message_id: str = deliver(notice=notice)
    return message_id


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    idempotency.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=send_record, processor=processor, context=context
    )
