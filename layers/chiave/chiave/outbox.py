"""The outbox: flows enqueue what to send; only `notify` talks to SES/SNS.

A message carries everything needed to render it, so notify reads nothing.
The queue is encrypted at rest: a message may carry a link token.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chiave.aws import sqs
from chiave.observability import logger
from chiave.policy import Language
from chiave.settings import settings

SQS_BATCH = 10

Template = Literal["activation", "reset", "activation_done", "password_changed", "already_registered", "none"]


class Notice(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    # "none": nothing to deliver (see padding()).
    channel: Literal["email", "none"] = "email"
    template: Template
    language: Language
    to: str
    school_name: str
    reply_to: str
    params: dict[str, str] = Field(default_factory=dict)
    # The API request that caused it, so notify's logs join the request's.
    correlation_id: str | None = None


def padding() -> Notice:
    """What a request that sends nothing enqueues in private disclosure, so
    that its answer costs the same round trips as one that sends a link:
    response time must not tell whether a person exists. notify drops it."""
    return Notice(channel="none", template="none", language="it", to="", school_name="", reply_to="")


def enqueue(notices: Sequence[Notice]) -> None:
    queue_url = settings().outbox_queue_url
    correlation_id = logger.get_correlation_id()
    notices = [notice.model_copy(update={"correlation_id": correlation_id}) for notice in notices]
    for start in range(0, len(notices), SQS_BATCH):
        chunk = notices[start : start + SQS_BATCH]
        if len(chunk) == 1:
            sqs().send_message(QueueUrl=queue_url, MessageBody=chunk[0].model_dump_json())
            continue
        answer = sqs().send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": n.id, "MessageBody": n.model_dump_json()} for n in chunk],
        )
        if answer.get("Failed"):
            raise RuntimeError(f"outbox refused {len(answer['Failed'])} messages")
