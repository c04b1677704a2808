"""Bounces and complaints (SES → SNS → the bounces function): an address
marked undeliverable is never mailed again until a new one is given."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from chiave_local.demo import sent
from chiave_local.emulator.events import load_event
from tests.integration.conftest import REGION
from tests.integration.helpers import PASSWORD, SCHOOL, activate, change_factor, ops, request_reset

MARIA = "RSSMRA82C52H501K"
MARIA_EMAIL = "maria.rossi@example.it"


def _mail_event(**changes: Any) -> dict[str, Any]:
    """The sample SES bounce (events/bounces.json), its SES message changed."""
    event = load_event("bounces")
    message = json.loads(event["Records"][0]["Sns"]["Message"])
    for path, value in changes.items():
        target = message
        *parents, last = path.split("__")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[last] = value
    event["Records"][0]["Sns"]["Message"] = json.dumps(message)
    return event


def _mails_to(stack, address: str) -> list[dict[str, Any]]:
    stack.deliver()
    return [mail for mail in sent.outbox(REGION)["emails"] if mail["to"] == address]


def test_a_permanent_bounce_means_the_address_is_never_mailed_again(stack):
    # Given Maria, pending, whose address bounced
    answer = stack.functions.invoke("BouncesFunction", load_event("bounces"))
    assert answer == {"marked": 1, "ignored": 0}
    # When she registers, Then (private disclosure) the answer is the usual one and nothing is mailed
    registered = stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": MARIA}))
    assert registered.status == 202 and _mails_to(stack, MARIA_EMAIL) == []
    # And in explicit disclosure she hears the seeds' message: tell the office an address
    stack.set_policy(disclosure="explicit")
    explicit = stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": MARIA}))
    assert (explicit.status, explicit.body["code"]) == (422, "email_missing")
    # And the event is on her audit trail, without the address
    entries = ops(stack, "ops")["entries"]
    marked = [entry for entry in entries if entry["action"] == "email_undeliverable"]
    assert marked and marked[0]["actor"] == "ses" and MARIA_EMAIL not in json.dumps(entries)


def test_the_same_event_again_marks_nobody_twice(stack):
    assert stack.functions.invoke("BouncesFunction", load_event("bounces"))["marked"] == 1
    assert stack.functions.invoke("BouncesFunction", load_event("bounces"))["marked"] == 0


@pytest.mark.parametrize(
    "changes, marked",
    [
        ({"bounce__bounceType": "Transient"}, 0),  # a full mailbox: try again later
        ({"mail__tags": {}}, 0),  # a mail not sent for a school: nobody to mark
        (
            {
                "eventType": "Complaint",
                "complaint": {"complainedRecipients": [{"emailAddress": MARIA_EMAIL.upper()}]},
            },
            1,
        ),
    ],
)
def test_only_permanent_bounces_and_complaints_of_a_school_s_mail_mark(stack, changes, marked):
    answer = stack.functions.invoke("BouncesFunction", _mail_event(**changes))
    assert answer["marked"] == marked


def test_a_new_address_is_mailed_again(stack, load_event):
    # Given Maria, active, whose address then bounced
    stack.set_policy(otp_required_for_activation=False)
    user_code = activate(stack, load_event, MARIA)
    stack.functions.invoke("BouncesFunction", load_event("bounces"))
    before = len(_mails_to(stack, MARIA_EMAIL))
    request_reset(stack, load_event, MARIA)
    assert len(_mails_to(stack, MARIA_EMAIL)) == before
    # When she gives a new address (her login still works), and confirms it
    body = {"school": SCHOOL, "login": user_code, "password": PASSWORD, "email": "maria.nuova@example.it"}
    assert change_factor(stack, load_event, "contacts_email", **body).status == 202
    assert len(_mails_to(stack, MARIA_EMAIL)) == before  # no notice to the dead address
    link = re.search(r"#token=([A-Za-z0-9_-]{43})", _mails_to(stack, "maria.nuova@example.it")[-1]["text"])
    assert link
    confirmed = stack.call("ContactsFunction", load_event("contacts_confirm", body={"token": link.group(1)}))
    assert confirmed.status == 200
    # Then resets reach her again, at the new address
    request_reset(stack, load_event, MARIA)
    assert "Ripristino" in _mails_to(stack, "maria.nuova@example.it")[-1]["subject"]
