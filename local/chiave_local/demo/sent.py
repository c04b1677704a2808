"""What moto's SES and SNS "sent", oldest first (GET /_local/outbox)."""

from __future__ import annotations

import base64
from email import message_from_string, policy
from email.message import EmailMessage
from typing import Any

from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from chiave_local.emulator.resources import ACCOUNT_ID


def email(raw: str) -> dict[str, Any]:
    message = message_from_string(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    attachments = []
    for part in message.iter_attachments():
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        attachments.append(
            {
                "filename": part.get_filename() or "",
                "content_type": part.get_content_type(),
                "size": len(data),
                "base64": base64.b64encode(data).decode(),
            }
        )
    return {
        "to": str(message["To"]),
        "from": str(message["From"]),
        "reply_to": str(message["Reply-To"] or ""),
        "subject": str(message["Subject"]),
        "text": text.get_content() if text is not None else "",
        "html": html.get_content() if html is not None else "",
        "attachments": attachments,
    }


def outbox(region: str, since: int = 0) -> dict[str, list[dict[str, Any]]]:
    """Everything sent, oldest first; with `since`, the e-mails after the first `since`."""
    ses = ses_backends[ACCOUNT_ID][region]
    emails = []
    for sent in ses.sent_messages[since:]:
        raw = getattr(sent, "raw_data", None)
        if raw is not None:
            emails.append(email(raw))
        else:  # a Simple message
            emails.append(
                {
                    "to": ", ".join(sent.destinations.get("ToAddresses", [])),
                    "subject": sent.subject,
                    "text": sent.body,
                    "html": sent.body,
                }
            )
    sns = sns_backends[ACCOUNT_ID][region]
    sms = [{"to": phone, "text": text} for phone, text, *_ in sns.sms_messages.values()]
    return {"emails": emails, "sms": sms}
