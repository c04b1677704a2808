"""SQS consumer of the invitation queue: each order's people invited, each
in a transaction of their own, their e-mails on the paced bulk outbox."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from chiave.jobs.invitations import send_invitations
from chiave.jobs.invite import InvitationOrder
from chiave.runtime.consumers import queue_handler

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord


def invite_order(record: SQSRecord) -> dict[str, int]:
    return send_invitations(InvitationOrder.model_validate_json(record.body), time.time())


handler = queue_handler(invite_order)
