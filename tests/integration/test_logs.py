"""Logs: structured JSON with a correlation id; no secret, PII masked."""

from __future__ import annotations

import io
import json
import logging
import re
import traceback

import pytest

from chiave.runtime.observability import logger
from chiave.store import keys
from tests.integration.helpers import PASSWORD, activate, change_factor, last_token, request_reset

KNOWN = "RSSMRA82C52H501K"
EMAIL = "maria.rossi@example.it"


@pytest.fixture
def log_stream():
    """What the functions log, formatted as Lambda would print it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def test_a_whole_journey_logs_no_secret_and_masks_personal_data(stack, load_event, capsys, log_stream):
    # Given a capture of everything the functions log and print
    capsys.readouterr()
    # When a person registers, activates, asks for a reset and the e-mails go out
    user_code = activate(stack, load_event, KNOWN)
    request_reset(stack, load_event, EMAIL)
    token = last_token(stack)
    output = log_stream.getvalue() + capsys.readouterr().out
    # Then the logs are JSON lines carrying the API request id
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    handled = [line for line in lines if line.get("message") == "register handled"]
    assert handled and handled[0]["correlation_id"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert handled[0]["codice_fiscale"] == "RSS************K"
    sent = [line for line in lines if line.get("message") == "notice sent"]
    assert sent and all(line["to"] == "m*****i@example.it" for line in sent)
    # notify's logs join the request that caused them
    assert {line["correlation_id"] for line in sent} == {"c6af9ac6-7b61-11e6-9a41-93e8deadbeef"}
    # And no secret nor unmasked personal data appears anywhere
    for secret in (PASSWORD, token, KNOWN, EMAIL, user_code):
        assert secret not in output
    assert not re.search(r"#token=", output)


def test_credential_flows_log_no_password_or_pin(stack, load_event, capsys, log_stream):
    from tests.integration.helpers import change_password, issue_pin, verify_credentials, verify_pin

    # Given an active parent and a capture of everything logged and printed
    user_code = activate(stack, load_event, KNOWN)
    capsys.readouterr()
    # When she gets a PIN, the register checks it and her password, she changes it, and mistypes it
    pin = issue_pin(stack, load_event, user_code).body["pin"]
    verify_pin(stack, load_event, user_code, pin)
    verify_credentials(stack, load_event, EMAIL)
    change_password(stack, load_event, user_code, PASSWORD, "Lavagna-Verde-77")
    issue_pin(stack, load_event, EMAIL, "Sbagliata-Del-Tutto-1")
    mails = stack.deliver()
    output = log_stream.getvalue() + capsys.readouterr().out
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    messages = {line.get("message") for line in lines}
    assert {"pin issued", "pin verified", "credentials verified", "password changed"} <= messages
    # Then no password, PIN or unmasked personal data is logged; no e-mail but the PIN's own carries one
    for secret in (PASSWORD, "Lavagna-Verde-77", "Sbagliata-Del-Tutto-1", pin, KNOWN, EMAIL):
        assert secret not in output
    for mail in mails:
        for secret in (PASSWORD, "Lavagna-Verde-77", "Sbagliata-Del-Tutto-1", pin):
            assert secret not in mail["text"] + mail["html"]


def test_contact_and_app_flows_log_no_address_number_or_secret(stack, load_event, capsys, log_stream):
    import pyotp

    # Given an active parent and a capture of everything logged and printed
    user_code = activate(stack, load_event, KNOWN)
    login = {"school": "RMIC817009", "login": user_code, "password": PASSWORD}
    capsys.readouterr()
    # When she changes her e-mail and her mobile, and enrols an authenticator app
    new_email, new_mobile = "nuova.casella@example.it", "+393471234567"
    change_factor(stack, load_event, "contacts_email", **login, email=new_email)
    change_factor(stack, load_event, "contacts_mobile", **login, mobile=new_mobile)
    started = change_factor(stack, load_event, "totp_enrol", **login).body
    code = pyotp.TOTP(started["secret"]).now()
    confirmation = {"enrolment": started["enrolment"], "code": code}
    assert stack.call("TotpFunction", load_event("totp_confirm", body=confirmation)).status == 200
    stack.deliver()
    output = log_stream.getvalue() + capsys.readouterr().out
    messages = {json.loads(line).get("message") for line in output.splitlines() if line.startswith("{")}
    assert {"e-mail change requested", "mobile change requested", "authenticator app enrolled"} <= messages
    # Then neither the new contacts nor the app's secret, its enrolment token or code is logged
    for secret in (new_email, new_mobile, started["secret"], started["enrolment"], PASSWORD, KNOWN):
        assert secret not in output


def _runtime_view(stack, event):
    """What Lambda's runtime would print or return for this invocation."""
    try:
        return json.dumps(stack.functions.invoke("NotifyFunction", event))
    except Exception as error:  # an unhandled error: the runtime logs its traceback
        return "".join(traceback.format_exception(error))


def _malformed_record(load_event):
    event = load_event("notify")
    body = json.dumps({"commit_id": 7, "notices": [{"to": EMAIL, "params": {"link": "#token=SECRETTAIL"}}]})
    event["Records"][0]["body"] = body
    return event


def test_a_malformed_outbox_message_is_reported_without_its_values(stack, load_event, capsys, log_stream):
    # Given a message notify cannot read, carrying an address and a token's tail
    event = _malformed_record(load_event)
    # When notify fails it, Then neither its answer nor its logs carry those values
    seen = _runtime_view(stack, event) + log_stream.getvalue() + capsys.readouterr().out
    assert "batchItemFailures" in seen
    assert "SECRETTAIL" not in seen and EMAIL not in seen


def test_the_reason_a_message_is_unreadable_names_fields_not_values(stack, load_event):
    from chiave.notify.delivery import MalformedMessage, parse

    with pytest.raises(MalformedMessage) as refused:
        parse(_malformed_record(load_event)["Records"][0]["body"])
    text = "".join(traceback.format_exception(refused.value))
    assert "notices.0" in text and "commit_by" in text
    assert "SECRETTAIL" not in text and EMAIL not in text


def test_an_ses_rejection_is_logged_and_raised_without_the_address(stack, load_event, capsys, log_stream):
    from botocore.exceptions import ClientError

    from chiave.notify import delivery, outbox
    from chiave_local.emulator.calls import failing

    def rejected(operation):
        answer = {
            "Error": {"Code": "MessageRejected", "Message": f"Email address is not verified: {EMAIL}"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        return ClientError(answer, operation)

    # Given SES rejecting a committed message and quoting the address
    message = outbox.Message.model_validate_json(load_event("notify")["Records"][0]["body"])
    with stack.env("NotifyFunction"):
        from chiave.store import table

        table.dynamodb().put_item(
            TableName=stack.deployment.refs["Table"],
            Item={name: {"S": value} for name, value in keys.commit_receipt(message.commit_id).items()},
        )
        # When notify delivers it
        with failing(rejected, operation="SendEmail"), pytest.raises(delivery.DeliveryFailed) as failed:
            delivery.handle(message, "receipt-handle", 1)
    # Then the failure and the logs name the refusal, never the address
    text = "".join(traceback.format_exception(failed.value)) + log_stream.getvalue() + capsys.readouterr().out
    assert "MessageRejected" in text
    assert EMAIL not in text
