"""SQS consumer of the outbox: delivers each committed message, reporting
partial batch failures so only the failed messages are retried."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from chiave.notify import adhesion_form
from chiave.notify.delivery import attach, handle, lambda_handler, parse
from chiave.runtime.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

# This function ships fpdf2 and the form's font (its own requirements.txt, fonts/).
attach(
    "activation_awaiting_identification",
    partial(adhesion_form.attachment, fonts=Path(__file__).parent / "fonts"),
)


def send_record(record: SQSRecord) -> str:
    message = parse(record.body)
    logger.set_correlation_id(message.correlation_id or message.commit_id)
    return handle(message, record.receipt_handle, int(record.attributes.approximate_receive_count))


handler = lambda_handler(send_record)
