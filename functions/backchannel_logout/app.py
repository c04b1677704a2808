"""SQS consumer of LogoutQueue: tells each register that a session it signed
into ended (OpenID Connect Back-Channel Logout 1.0), once that end is
committed; failures are reported per message, so only they are retried."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chiave.oidc.backchannel_logout import deliver, parse
from chiave.runtime.consumers import queue_handler
from chiave.runtime.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord


def tell_register(record: SQSRecord) -> str:
    logout = parse(record.body)
    logger.set_correlation_id(logout.correlation_id or logout.commit_id)
    return deliver(logout, record.receipt_handle, int(record.attributes.approximate_receive_count))


handler = queue_handler(tell_register)
