"""notify: only committed messages, each notice once, nothing lost."""

from __future__ import annotations

import json
import re
import time

import pytest

from chiave.credentials import tokens
from chiave.notify import outbox
from chiave.store import keys
from chiave_local.demo import sent
from chiave_local.emulator.calls import FAULTS, failing
from tests.integration.conftest import REGION


def _commit(stack, commit_id):
    """The receipt a flow's transaction writes for its message."""
    dynamodb = stack.deployment.client("dynamodb")
    item = {name: {"S": value} for name, value in keys.commit_receipt(commit_id).items()}
    dynamodb.put_item(TableName=stack.deployment.refs["Table"], Item=item)


def _sample_message(load_event, **changes):
    body = json.loads(load_event("notify")["Records"][0]["body"])
    return outbox.Message.model_validate(body | changes)


def _queue(stack, message):
    stack.deployment.client("sqs").send_message(
        QueueUrl=stack.deployment.refs["OutboxQueue"], MessageBody=message.model_dump_json()
    )


def test_a_notice_delivered_twice_is_sent_once(stack, load_event):
    # Given the sample message, whose commit landed
    event = load_event("notify")
    _commit(stack, json.loads(event["Records"][0]["body"])["commit_id"])
    # When the queue hands it over twice
    first = stack.functions.invoke("NotifyFunction", event)
    again = stack.functions.invoke("NotifyFunction", event)
    # Then one e-mail leaves
    assert first == again == {"batchItemFailures": []}
    assert len(sent.outbox(REGION)["emails"]) == 1


def test_only_the_failed_record_is_reported(stack, load_event):
    event = load_event("notify")
    _commit(stack, json.loads(event["Records"][0]["body"])["commit_id"])
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
    body = json.loads(record["body"])
    body["notices"][0]["language"] = "en"
    record["body"] = json.dumps(body)
    _commit(stack, body["commit_id"])
    stack.functions.invoke("NotifyFunction", event)
    email = sent.outbox(REGION)["emails"][0]
    assert email["subject"] == "Activate your school register credentials"
    assert "Gentile" not in email["text"]


def test_a_message_met_before_its_commit_waits_for_it(stack, load_event):
    # Given a message queued by a flow that has not committed yet
    message = _sample_message(load_event, commit_id=outbox.new_id(), commit_by=int(time.time()) + 8)
    _queue(stack, message)
    # When notify meets it, Then nothing is sent and the message is handed back
    assert stack.deliver() == []
    assert stack.queued(invisible=True) == 1
    # And once the commit has landed, the next look sends it, once
    _commit(stack, message.commit_id)
    assert stack.release_failed() == 1
    assert [e["to"] for e in stack.deliver()] == ["maria.rossi@example.it"]
    assert stack.queued() + stack.queued(invisible=True) == 0


def test_a_message_whose_commit_never_landed_is_dropped_after_its_deadline(stack, load_event):
    # Given a message whose flow's deadline has passed without a commit
    message = _sample_message(load_event, commit_id=outbox.new_id(), commit_by=int(time.time()) - 60)
    _queue(stack, message)
    # When notify meets it, Then it is dropped unsent, and not left for the dead-letter queue
    assert stack.deliver() == []
    assert stack.queued() + stack.queued(invisible=True) + stack.queued("OutboxDeadLetterQueue") == 0


@pytest.mark.parametrize("fault", ["throttling", "server_error", "timeout", "unreachable"])
def test_an_ses_failure_is_retried_and_the_e_mail_leaves_once(stack, load_event, fault):
    # Given a committed message
    message = _sample_message(load_event, commit_id=outbox.new_id(), commit_by=int(time.time()) + 60)
    _commit(stack, message.commit_id)
    _queue(stack, message)
    # When SES fails the first time
    with stack.env("NotifyFunction"), failing(fault, operation="SendEmail"):
        assert stack.deliver() == []
    # Then the message is kept, and the retry sends it once
    assert stack.release_failed() == 1
    assert len(stack.deliver()) == 1
    assert stack.release_failed() == 0 and len(stack.deliver()) == 1


def test_a_poison_message_ends_in_the_dead_letter_queue(stack):
    # Given a body that is no outbox message
    stack.deployment.client("sqs").send_message(
        QueueUrl=stack.deployment.refs["OutboxQueue"], MessageBody="{}"
    )
    # When notify has failed it as often as the redrive policy allows
    for _ in range(6):
        stack.deliver()
        stack.release_failed()
    # Then it waits in the dead-letter queue, and nothing was sent
    assert stack.queued("OutboxDeadLetterQueue") == 1
    assert sent.outbox(REGION)["emails"] == []


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_fault_at_any_call_of_notify_loses_nothing_and_sends_once(stack, load_event, fault):
    # Given a committed message carrying a sealed link
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": "RSSMRA82C52H501K"}))
    position = 0
    while True:
        tokens.forget_keys()  # so notify's KMS call is among the positions
        # When notify's call at `position` fails
        with stack.env("NotifyFunction"), failing(fault, position) as made:
            emails = stack.deliver()
        if len(made) <= position:
            break
        # Then nothing was sent, and the message is kept for another try
        assert emails == []
        assert stack.release_failed() == 1
        position += 1
    # And the unfaulted try sends it once, with a link that works
    assert position >= 3
    assert len(emails) == 1
    token = re.search(r"#token=([A-Za-z0-9_-]{43})", emails[0]["text"]).group(1)
    status = stack.call("FlowStatusFunction", load_event("flow_status", body={"token": token}))
    assert status.status == 200


def test_the_adhesion_form_sample_leaves_with_its_pdf(stack, load_event):
    # Given the sample of an activation awaiting identification, whose commit landed
    event = load_event("notify_adhesion_form")
    _commit(stack, json.loads(event["Records"][0]["body"])["commit_id"])
    # When notify delivers it
    assert stack.functions.invoke("NotifyFunction", event) == {"batchItemFailures": []}
    # Then the e-mail carries the form as a PDF
    [mail] = sent.outbox(REGION)["emails"]
    assert [item["filename"] for item in mail["attachments"]] == [
        "modulo-adesione-ADE-RMIC817009-817536758.pdf"
    ]


def test_a_mail_that_announces_an_attachment_never_leaves_without_it(stack, load_event, monkeypatch):
    from chiave.notify import delivery
    from chiave_local.emulator.runtime import load_module

    # Given a function that ships no maker of the form (not notify: its module, loaded, registered one)
    load_module(stack.functions.specs["NotifyFunction"])
    monkeypatch.setattr(delivery, "_attachment_makers", {})
    event = load_event("notify_adhesion_form")
    _commit(stack, json.loads(event["Records"][0]["body"])["commit_id"])
    # When it is handed the form's mail
    result = stack.functions.invoke("NotifyFunction", event)
    # Then the record fails (retried, then the dead-letter queue) and nothing is sent
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert sent.outbox(REGION)["emails"] == []
