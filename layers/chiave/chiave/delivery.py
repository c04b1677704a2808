"""Delivery of outbox notices through SES v2, once per notice id.

Powertools idempotency records each notice id in the table, so a message the
queue hands over twice (at-least-once delivery, a retried batch) is sent once.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from chiave import keys, masking, notices
from chiave.aws import sesv2
from chiave.observability import count_outcome, logger
from chiave.outbox import Notice
from chiave.settings import settings

# Longer than the queue's retention: a redelivered notice is always recognised.
IDEMPOTENCY_WINDOW_S = 5 * 24 * 3600

persistence = DynamoDBPersistenceLayer(
    table_name=settings().table_name,
    key_attr=keys.PARTITION,
    sort_key_attr=keys.SORT,
    static_pk_value=keys.idempotency_partition("notify"),
    expiry_attr=keys.TTL_ATTRIBUTE,
)
idempotency = IdempotencyConfig(event_key_jmespath="id", expires_after_seconds=IDEMPOTENCY_WINDOW_S)


@idempotent_function(data_keyword_argument="notice", config=idempotency, persistence_store=persistence)
def deliver(notice: Notice) -> str:
    rendered = notices.render(notice)
    current = settings()
    answer = sesv2().send_email(
        FromEmailAddress=current.sender_address,
        Destination={"ToAddresses": [notice.to]},
        ReplyToAddresses=[notice.reply_to],
        Content={"Raw": {"Data": notices.mime_message(notice, rendered, current.sender_address)}},
        ConfigurationSetName=current.ses_configuration_set,
    )
    logger.info(
        "notice sent",
        extra={
            "template": notice.template,
            "to": masking.mask_email(notice.to),
            "notice_id": notice.id,
        },
    )
    count_outcome("notify", f"{notice.template}_sent")
    return answer["MessageId"]
