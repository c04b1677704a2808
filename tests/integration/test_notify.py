"""notify: idempotent per notice, partial batch failures."""

from __future__ import annotations

import json

from chiave_local import sent
from tests.integration.conftest import REGION


def test_a_notice_delivered_twice_is_sent_once(stack, load_event):
    event = load_event("notify")
    first = stack.functions.invoke("NotifyFunction", event)
    again = stack.functions.invoke("NotifyFunction", event)
    assert first == again == {"batchItemFailures": []}
    assert len(sent.outbox(REGION)["emails"]) == 1


def test_only_the_failed_record_is_reported(stack, load_event):
    event = load_event("notify")
    good = event["Records"][0]
    bad = {**good, "messageId": "bad-one", "body": json.dumps({"template": "nonexistent"})}
    result = stack.functions.invoke("NotifyFunction", {"Records": [good, bad]})
    assert result == {"batchItemFailures": [{"itemIdentifier": "bad-one"}]}
    emails = sent.outbox(REGION)["emails"]
    assert len(emails) == 1
    assert emails[0]["reply_to"] == "rmic817009@istruzione.it"
    assert "<a href=" in emails[0]["html"]


def test_english_schools_get_english_mail(stack, load_event):
    event = load_event("notify")
    record = event["Records"][0]
    notice = json.loads(record["body"]) | {"language": "en"}
    record["body"] = json.dumps(notice)
    stack.functions.invoke("NotifyFunction", event)
    email = sent.outbox(REGION)["emails"][0]
    assert email["subject"] == "Activate your school register credentials"
    assert "Gentile" not in email["text"]
