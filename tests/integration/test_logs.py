"""Logs: structured JSON with a correlation id; no secret, PII masked."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from chiave.observability import logger
from tests.integration.helpers import PASSWORD, activate, last_token, request_reset

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
