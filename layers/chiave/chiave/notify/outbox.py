"""The outbox: flows enqueue what to send; only `notify` talks to SES/SNS.

The invariant (docs/OUTBOX.md): no committed change without its notice, no
notice without its committed change. A flow sends its message *before* it
commits, and the message names the commit it announces (`commit_id`); the
flow's transaction writes that commit's receipt. `notify` delivers a message
only once its receipt exists, so the message of an attempt that failed is
never delivered, not even after a later attempt succeeds (that one has a
commit id of its own). A message carries everything needed to render it;
link tokens travel sealed (chiave.credentials.tokens).
"""

from __future__ import annotations

import time
import uuid
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chiave.credentials.tokens import SealedToken
from chiave.domain import Flow, Person, School
from chiave.policy import Language
from chiave.runtime import budget, coldstart
from chiave.runtime.aws import send_all, sqs
from chiave.runtime.observability import count_outcome, logger
from chiave.runtime.settings import settings
from chiave.store import table

coldstart.on_warm_up(sqs)

Template = Literal[
    "activation",
    "reset",
    "activation_done",
    "activation_awaiting_identification",
    "password_changed",
    "already_registered",
    "otp",
    "pin_issued",
    "pin_sent",
    "account_locked",
    "account_active",
    "temporary_code",
    "email_verification",
    "email_change_requested",
    "email_changed",
    "mobile_changed",
    "totp_enrolled",
    "totp_removed",
    "activation_reminder",
    "invitation",
    "change_confirmation",
    "scheduled_change",
    "change_cancelled",
    "email_changed_by_school",
    "activation_needs_mobile",
]

# A commit lands before the flow's deadline or never; notify waits this much
# longer before it calls a message without a receipt abandoned.
COMMIT_GRACE_S = 5
# Outside an invocation (scripts) the budget is unbounded: wait at most this.
MAX_COMMIT_WAIT_S = 900


def new_id() -> str:
    return uuid.uuid4().hex


class Notice(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(default_factory=new_id)
    # "none": a cover notice, the same size as a real one, that notify drops.
    channel: Literal["email", "sms", "none"] = "email"
    template: Template
    language: Language
    to: str
    school_name: str
    reply_to: str
    params: dict[str, str] = Field(default_factory=dict)
    # The e-mailed link: `link_base` + the token notify unseals. A code (an
    # SMS code, a PIN by e-mail) travels sealed the same way, without
    # `link_base` (params["length"] digits).
    link_base: str | None = None
    sealed_token: SealedToken | None = None
    # The school the mail is sent for: SES tags it, so a bounce or a
    # complaint finds the school's people with that address.
    school_id: str = ""


class Announcement(BaseModel):
    """A queue message bound to the commit it announces (notices, a register's logout)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    commit_id: str = Field(default_factory=new_id)
    # Epoch seconds: the flow commits before then or not at all.
    commit_by: int
    # The API request that caused it, so the consumer's logs join the request's.
    correlation_id: str | None = None

    def abandoned(self, now: float) -> bool:
        """Past the moment its commit could still land."""
        return now > self.commit_by + COMMIT_GRACE_S


class Message(Announcement):
    """One queue message: every notice of one request, bound to its commit."""

    notices: list[Notice]

    @property
    def deliverable(self) -> list[Notice]:
        return [notice for notice in self.notices if notice.channel != "none"]


Kind = TypeVar("Kind", bound=Announcement)


class MalformedMessage(Exception):
    """A body that is not the message its queue carries (it ends in the dead-letter queue)."""


def read(kind: type[Kind], body: str, what: str) -> Kind:
    """A queue message's body as `kind`; MalformedMessage names the fields, never their values
    (a token's tail, an address)."""
    try:
        return kind.model_validate_json(body)
    except ValidationError as error:
        fields = sorted({".".join(str(part) for part in issue["loc"]) or "body" for issue in error.errors()})
        raise MalformedMessage(f"not {what}: {', '.join(fields)}") from None


class NotCommittedYet(Exception):
    """The message's commit has not landed yet; it was handed back to the queue."""


# A message met before its commit: look again this soon (a commit usually
# lands milliseconds after its message is queued).
FIRST_LOOK_AGAIN_S = 2


def committed(
    message: Announcement, receipt_handle: str, receive_count: int, queue_url: str, consumer: str
) -> bool:
    """Whether the commit a message announces landed (deliver it); False when
    it never will (drop it: nothing happened); raises NotCommittedYet after
    handing the message back to `queue_url` for a while."""
    if table.commit_landed(message.commit_id):
        return True
    now = time.time()
    if message.abandoned(now):
        logger.info(
            "message abandoned: its commit never landed",
            extra={
                "commit_id": message.commit_id,
                "consumer": consumer,
                "late_s": round(now - message.commit_by),
            },
        )
        count_outcome(consumer, "abandoned")
        return False
    wait = FIRST_LOOK_AGAIN_S if receive_count <= 1 else message.commit_by + COMMIT_GRACE_S - now + 1
    sqs().change_message_visibility(
        QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=max(1, min(int(wait), 900))
    )
    count_outcome(consumer, "deferred")
    raise NotCommittedYet(message.commit_id)


# Where a notice for nobody is "sent": an address of ordinary length that
# notify never mails (channel "none").
COVER_ADDRESS = "xxxxxx.xxxxxxxx@xxxxxxx.it"


def to_holder(
    school: School,
    person: Person | None,
    template: Template,
    sealed_token: SealedToken | None = None,
    **params: str,
) -> Notice:
    """The e-mail a credential event sends an account's holder, in the
    school's language, never with a secret but the one it exists to deliver
    (sealed). Without a holder or an e-mail on file: a cover notice of the
    same size, which notify drops, so the calls stay the same."""
    reachable = person is not None and person.email is not None
    return Notice(
        channel="email" if reachable else "none",
        template=template,
        language=school.policy.language,
        to=person.email if person is not None and person.email else COVER_ADDRESS,
        school_name=school.name,
        reply_to=school.reply_to,
        params={"name": person.name if person else "Xxxxxx", "portal_url": school.portal_url, **params},
        sealed_token=sealed_token,
        school_id=school.id,
    )


def to_flow_holder(flow: Flow, template: Template, **params: str) -> Notice | None:
    """The e-mail that tells the holder of the account a flow was opened for
    what it did, at the flow's address; None when there is none."""
    if not flow.email:
        return None
    return Notice(
        template=template,
        language=flow.language,
        to=flow.email,
        school_name=flow.school_name,
        reply_to=flow.reply_to,
        params={"name": flow.name, **params},
        school_id=flow.school_id,
    )


def commit_deadline() -> int:
    # Past the budget the flow has refused; a commit never lands later.
    return int(time.time() + min(budget.remaining(), MAX_COMMIT_WAIT_S)) + 1


def queue(notices: list[Notice]) -> Message:
    """Queue every notice of a request in one message, *before* the commit it
    names (`commit_id`), to be made by the end of the invocation's budget.
    One SendMessage whatever the number of notices: the same AWS calls
    whoever the request was for."""
    outgoing = Message(
        commit_by=commit_deadline(), notices=notices, correlation_id=logger.get_correlation_id()
    )
    sqs().send_message(QueueUrl=settings().outbox_queue_url, MessageBody=outgoing.model_dump_json())
    return outgoing


def queue_each(notices: list[Notice]) -> list[Message]:
    """One message per notice, each naming a commit of its own, ten to a
    SendMessageBatch (a bulk invitation: one transaction per person, so one
    person's refusal never holds back another's mail)."""
    commit_by, correlation_id = commit_deadline(), logger.get_correlation_id()
    messages = [
        Message(commit_by=commit_by, notices=[notice], correlation_id=correlation_id) for notice in notices
    ]
    send_all(settings().outbox_queue_url, [message.model_dump_json() for message in messages])
    return messages
