"""Delivery of outbox messages through SES v2: only what was committed, each
notice once.

A message is delivered once the commit it announces has landed (its receipt
exists, chiave.notify.outbox). Until its flow's deadline has passed a message
without a receipt is handed back to the queue for a little while; after
that its flow never committed, and it is dropped. Powertools idempotency
records each notice id in the table, so a message the queue hands over twice
(at-least-once delivery, a retried batch) sends each e-mail once.

Errors raised here never carry input values or addresses: the batch
processor puts their text in the function's error log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from chiave.credentials import tokens
from chiave.notify import outbox, pacing, rendering
from chiave.notify.outbox import Message, Notice, Template
from chiave.runtime import coldstart, faults, masking
from chiave.runtime.aws import dynamodb, sesv2, sns
from chiave.runtime.consumers import queue_handler
from chiave.runtime.observability import count_outcome, logger
from chiave.runtime.settings import settings
from chiave.store import keys

if TYPE_CHECKING:
    from mypy_boto3_sesv2.type_defs import MessageTagTypeDef

# Longer than the queue's retention: a redelivered notice is always recognised.
IDEMPOTENCY_WINDOW_S = 5 * 24 * 3600

persistence = DynamoDBPersistenceLayer(
    table_name=settings().table_name,
    key_attr=keys.PARTITION,
    sort_key_attr=keys.SORT,
    static_pk_value=keys.idempotency_partition("notify"),
    expiry_attr=keys.TTL_ATTRIBUTE,
    # Ours: one DynamoDB client per container, with the time budget's checks.
    boto3_client=dynamodb(),
)
idempotency = IdempotencyConfig(event_key_jmespath="id", expires_after_seconds=IDEMPOTENCY_WINDOW_S)


coldstart.on_warm_up(sesv2)
coldstart.on_warm_up(sns)

# What the mail of a template carries attached, drawn as it is sent. The
# function that ships a maker's dependencies registers it (functions/notify).
_attachment_makers: dict[str, Callable[[Notice], rendering.Attachment]] = {}


def attach(template: Template, maker: Callable[[Notice], rendering.Attachment]) -> None:
    _attachment_makers[template] = maker


def _attachments(notice: Notice) -> tuple[rendering.Attachment, ...]:
    if notice.template not in rendering.WITH_ATTACHMENT:
        return ()
    maker = _attachment_makers.get(notice.template)
    if maker is None:
        # Never sent without what its text announces: retried, then the dead-letter queue.
        raise DeliveryFailed(f"no attachment maker for {notice.template} in this function")
    return (maker(notice),)


class DeliveryFailed(Exception):
    """SES refused or failed; retried by the queue, then the dead-letter queue."""


MalformedMessage = outbox.MalformedMessage


def parse(body: str) -> Message:
    return outbox.read(Message, body, "an outbox message")


def handle(message: Message, receipt_handle: str, receive_count: int) -> str:
    """Deliver, defer or drop one message; returns what happened."""
    if not message.deliverable:  # cover only: nothing to send
        count_outcome("notify", "cover_dropped")
        return "dropped"
    if not outbox.committed(message, receipt_handle, receive_count, settings().outbox_queue_url, "notify"):
        return "abandoned"  # its flow failed before committing: nothing happened to announce
    for notice in message.deliverable:
        count_outcome("notify", "notice_received")  # a replayed notice is received, not sent
        deliver(notice=notice)
    return "delivered"


def _with_secret(notice: Notice) -> Notice:
    """The notice with what it exists to deliver, unsealed: its link, or its
    code (an SMS code, a PIN by e-mail)."""
    if notice.sealed_token is None:
        return notice
    if notice.link_base is None:
        alphabet = notice.params.get("alphabet", tokens.DIGITS)
        code = tokens.unseal_code(notice.sealed_token, int(notice.params["length"]), alphabet)
        return notice.model_copy(update={"params": {**notice.params, "code": code}})
    link = notice.link_base + tokens.unseal(notice.sealed_token)
    return notice.model_copy(update={"params": {**notice.params, "link": link}})


def _refused(service: str, error: faults.Refusal, notice: Notice) -> DeliveryFailed:
    # The provider's message may quote the address or number: keep only its code.
    code = faults.error_code(error)
    logger.warning(
        f"{service} refused a notice",
        extra={"error_code": code, "notice_id": notice.id, "template": notice.template},
    )
    count_outcome("notify", f"{service.lower()}_{code}")
    return DeliveryFailed(f"{service}: {code}")


@idempotent_function(data_keyword_argument="notice", config=idempotency, persistence_store=persistence)
def deliver(notice: Notice) -> str:
    if notice.channel == "sms":
        return _send_sms(_with_secret(notice))
    return _send_email(_with_secret(notice))


def _tags(notice: Notice) -> list[MessageTagTypeDef]:
    """SES passes these on to bounce, complaint and delivery events: the
    school whose people to mark, and what the mail was (the school report
    counts delivered invitations)."""
    tags: list[MessageTagTypeDef] = [{"Name": "template", "Value": notice.template}]
    if notice.school_id:
        tags.append({"Name": "school", "Value": notice.school_id})
    return tags


def _send_email(notice: Notice) -> str:
    rendered = rendering.render(notice)
    current = settings()
    started = pacing.clock()
    try:
        answer = sesv2().send_email(
            FromEmailAddress=current.sender_address,
            Destination={"ToAddresses": [notice.to]},
            ReplyToAddresses=[notice.reply_to],
            Content={
                "Raw": {
                    "Data": rendering.mime_message(
                        notice, rendered, current.sender_address, _attachments(notice)
                    )
                }
            },
            ConfigurationSetName=current.ses_configuration_set,
            EmailTags=_tags(notice),
        )
    except faults.Refusal as error:
        raise _refused("SES", error, notice) from None
    finally:
        pacing.rest_since(started)  # a refused send counted against the quota too
    logger.info(
        "notice sent",
        extra={"template": notice.template, "to": masking.mask_email(notice.to), "notice_id": notice.id},
    )
    count_outcome("notify", f"{notice.template}_sent")
    return answer["MessageId"]


def _send_sms(notice: Notice) -> str:
    """SNS Publish to the number: transactional, with the deployment's sender."""
    current = settings()
    attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
    if current.sms_sender_id:
        attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": current.sms_sender_id}
    if current.sms_origination_number:
        attributes["AWS.MM.SMS.OriginationNumber"] = {
            "DataType": "String",
            "StringValue": current.sms_origination_number,
        }
    try:
        answer = sns().publish(
            PhoneNumber=notice.to,
            Message=rendering.render_sms(notice),
            MessageAttributes=attributes,  # type: ignore[arg-type]
        )
    except faults.Refusal as error:
        raise _refused("SNS", error, notice) from None
    logger.info(
        "sms sent",
        extra={"template": notice.template, "to": masking.mask_phone(notice.to), "notice_id": notice.id},
    )
    count_outcome("notify", f"{notice.template}_sms_sent")
    return answer["MessageId"]


def lambda_handler(
    record_handler: Callable[[SQSRecord], str],
) -> Callable[[dict[str, Any], LambdaContext], PartialItemFailureResponse]:
    """notify's Lambda entry point (chiave.runtime.consumers), the idempotency
    records told each invocation's deadline."""
    return queue_handler(record_handler, idempotency.register_lambda_context)
