"""AWS faults at every call of every flow: the answer, the table and the
outbox afterwards (the outbox invariant, docs/OUTBOX.md).

Generated, not listed: for each flow and each fault class the test fails the
first call, then the second, and so on, until the flow makes fewer calls than
the position (so every position is covered, whatever the flow's calls are),
and that last, unfaulted attempt must succeed and send exactly what it
should: the notices of the failed attempts never go out.
"""

from __future__ import annotations

import re
import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyotp
import pytest

from chiave.credentials import pepper, tokens, totp
from chiave.store import keys
from chiave_local.demo import sent
from chiave_local.emulator.calls import FAULTS, failing
from tests.integration.conftest import REGION
from tests.integration.helpers import (
    PASSWORD,
    STEPPED_UP,
    activate,
    change_factor,
    last_token,
    paper_code_redemption,
    register_client,
    signed_in_session,
    stepped_up_event,
)

KNOWN = "RSSMRA82C52H501K"
UNKNOWN = "BNCGNN80A01H501T"
EMAIL = "maria.rossi@example.it"


@dataclass(frozen=True)
class Scenario:
    function_id: str
    prepare: Callable[[Any, Any], dict[str, Any]]  # (stack, load_event) -> event
    success: int
    mails: int  # e-mails the successful attempt sends
    texts: int = 0  # SMS it sends


def _register(cf: str) -> Callable[[Any, Any], dict[str, Any]]:
    return lambda stack, load_event: load_event("register", body={"codice_fiscale": cf})


def _reset(identifier: str) -> Callable[[Any, Any], dict[str, Any]]:
    def prepare(stack: Any, load_event: Any) -> dict[str, Any]:
        code = activate(stack, load_event, KNOWN)
        return load_event(
            "request_reset", body={"identifier": code if identifier == "user_code" else identifier}
        )

    return prepare


def _with_link(sample: str, **fields: str) -> Callable[[Any, Any], dict[str, Any]]:
    def prepare(stack: Any, load_event: Any) -> dict[str, Any]:
        stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
        return load_event(sample, body={"token": last_token(stack), **fields})

    return prepare


def _sms_link(stack: Any, load_event: Any) -> str:
    stack.set_policy(otp_required_for_activation=True)
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    return last_token(stack)


def _send_code(stack: Any, load_event: Any) -> dict[str, Any]:
    return load_event("send_otp", body={"token": _sms_link(stack, load_event)})


def _verify_code(stack: Any, load_event: Any) -> dict[str, Any]:
    token = _sms_link(stack, load_event)
    stack.call("SendOtpFunction", load_event("send_otp", body={"token": token}))
    stack.deliver()
    code = re.search(r"#(\d{6})$", _texts(stack)[-1]["text"]).group(1)
    return load_event("verify_otp", body={"token": token, "code": code})


def _login_event(load_event: Any, sample: str, code: str, password: str = PASSWORD) -> dict[str, Any]:
    field = "current_password" if sample == "change_password" else "password"
    extra = {"new_password": "Lavagna-Verde-77"} if sample == "change_password" else {}
    return load_event(sample, body={"school": "RMIC817009", "login": code, field: password, **extra})


def _login(sample: str, password: str = PASSWORD, **policy: Any) -> Callable[[Any, Any], dict[str, Any]]:
    """An active account, then a login request (its user code) under `policy`."""

    def prepare(stack: Any, load_event: Any) -> dict[str, Any]:
        code = activate(stack, load_event, KNOWN)
        stack.set_policy(**policy)
        return _login_event(load_event, sample, code, password)

    return prepare


def _pin_check(stack: Any, load_event: Any) -> dict[str, Any]:
    code = activate(stack, load_event, KNOWN)
    pin = stack.call("IssuePinFunction", _login_event(load_event, "issue_pin", code)).body["pin"]
    return load_event("verify_pin", body={"school": "RMIC817009", "user_code": code, "pin": pin})


def _contact_change(sample: str, **change: str) -> Callable[[Any, Any], dict[str, Any]]:
    """An active account, then a change of its e-mail or mobile."""

    def prepare(stack: Any, load_event: Any) -> dict[str, Any]:
        code = activate(stack, load_event, KNOWN)
        body = {"school": "RMIC817009", "login": code, "password": PASSWORD, **change}
        return stepped_up_event(stack, load_event, sample, **body)

    return prepare


def _in_the_account_area(sample: str, **body: str) -> Callable[[Any, Any], dict[str, Any]]:
    """An active account signed in at a register just now, then an account-area call
    with the session (its factor's step-up done first, where the change asks it)."""

    def prepare(stack: Any, load_event: Any) -> dict[str, Any]:
        register_client(stack)
        code = activate(stack, load_event, KNOWN)
        headers = {"Cookie": signed_in_session(stack, load_event, code)}
        if sample in STEPPED_UP:
            return stepped_up_event(stack, load_event, sample, headers=headers, **body)
        return dict(load_event(sample, body=body, headers=headers))

    return prepare


def _email_confirmation(stack: Any, load_event: Any) -> dict[str, Any]:
    event = _contact_change("contacts_email", email="nuova@example.it")(stack, load_event)
    stack.call("ContactsFunction", event)
    link = re.search(r"#token=([A-Za-z0-9_-]{43})", stack.deliver()[-2]["text"]).group(1)
    return load_event("contacts_confirm", body={"token": link})


def _enrolment(stack: Any, load_event: Any) -> tuple[str, dict[str, Any]]:
    """An active account's enrolment: its user code and the enrol answer."""
    code = activate(stack, load_event, KNOWN)
    body = {"school": "RMIC817009", "login": code, "password": PASSWORD}
    return code, change_factor(stack, load_event, "totp_enrol", **body).body


def _enrolment_confirmation(stack: Any, load_event: Any) -> dict[str, Any]:
    _, started = _enrolment(stack, load_event)
    app_code = pyotp.TOTP(started["secret"]).now()
    return load_event("totp_confirm", body={"enrolment": started["enrolment"], "code": app_code})


def _app_code_verification(stack: Any, load_event: Any) -> dict[str, Any]:
    """A reset link of an account with an app; the app's current code. The
    enrolment took the step before, so the current one is still unused."""
    code, started = _enrolment(stack, load_event)
    app = pyotp.TOTP(started["secret"])
    confirmation = {"enrolment": started["enrolment"], "code": app.at(time.time() - 30)}
    assert stack.call("TotpFunction", load_event("totp_confirm", body=confirmation)).status == 200
    stack.set_policy(otp_required_for_reset=True)
    stack.call("RequestResetFunction", load_event("request_reset", body={"identifier": code}))
    return load_event("verify_otp", body={"token": last_token(stack), "code": app.now()})


LUCA = "BNCLCU79S05F205Y"  # his e-mail his only contact
_ASKED_BY_EMAIL = {
    "email": ("ContactsFunction", "contacts_email", {"email": "luca.nuovo@example.it"}),
    "mobile": ("ContactsFunction", "contacts_mobile", {"mobile": "+393401112233"}),
    "app": ("TotpFunction", "totp_enrol", {}),
}


def _asked_by_email(kind: str) -> Callable[[Any, Any], dict[str, Any]]:
    """Luca, active; the change of `kind` asked with his password."""

    def prepare(stack: Any, load_event: Any) -> dict[str, Any]:
        code = activate(stack, load_event, LUCA)
        _, sample, change = _ASKED_BY_EMAIL[kind]
        return load_event(
            sample, body={"school": "RMIC817009", "login": code, "password": PASSWORD, **change}
        )

    return prepare


def _change_link(action: str, kind: str = "mobile") -> Callable[[Any, Any], dict[str, Any]]:
    """A change asked by e-mail, then its link: the confirmation's (`confirm`,
    `cancel`) or, confirmed and past its cool-off, the notice's (`complete`)."""

    def prepare(stack: Any, load_event: Any) -> dict[str, Any]:
        function_id = _ASKED_BY_EMAIL[kind][0]
        stack.call(function_id, _asked_by_email(kind)(stack, load_event))
        token = last_token(stack)
        if action == "complete":
            confirmed = load_event("factor_changes_confirm", body={"token": token})
            assert stack.call("FactorChangesFunction", confirmed).status == 200
            token = last_token(stack)
            # The cool-off has passed.
            stack.deployment.client("dynamodb").update_item(
                TableName=stack.deployment.refs["Table"],
                Key={name: {"S": value} for name, value in keys.flow(tokens.token_hash(token)).items()},
                UpdateExpression="SET usable_from = :past",
                ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
            )
        return load_event(f"factor_changes_{action}", body={"token": token})

    return prepare


def _texts(stack: Any) -> list[dict[str, Any]]:
    return sent.outbox(REGION)["sms"]


SCENARIOS = {
    "register, known person": Scenario("RegisterFunction", _register(KNOWN), 202, 1),
    "register, unknown person": Scenario("RegisterFunction", _register(UNKNOWN), 202, 0),
    "reset by codice fiscale": Scenario("RequestResetFunction", _reset(KNOWN), 202, 1),
    "reset by user code": Scenario("RequestResetFunction", _reset("user_code"), 202, 1),
    "reset by e-mail": Scenario("RequestResetFunction", _reset(EMAIL), 202, 1),
    "reset, nobody": Scenario("RequestResetFunction", _reset("nobody@example.it"), 202, 0),
    "confirm": Scenario("ConfirmResetFunction", _with_link("confirm_reset", new_password=PASSWORD), 200, 1),
    "flow status": Scenario("FlowStatusFunction", _with_link("flow_status"), 200, 0),
    "send-otp": Scenario("SendOtpFunction", _send_code, 202, 0, texts=1),
    "verify-otp": Scenario("VerifyOtpFunction", _verify_code, 200, 0),
    "issue-pin, shown": Scenario("IssuePinFunction", _login("issue_pin"), 201, 1),
    "issue-pin, e-mailed": Scenario("IssuePinFunction", _login("issue_pin", pin_delivery="email"), 202, 1),
    "issue-pin, wrong password locks": Scenario(
        "IssuePinFunction", _login("issue_pin", "Sbagliata-1!", login_max_failures=1), 423, 1
    ),
    "change-password": Scenario("ChangePasswordFunction", _login("change_password"), 200, 1),
    "verify-credentials": Scenario("VerifyCredentialsFunction", _login("verify_credentials"), 200, 0),
    "verify-credentials, wrong password": Scenario(
        "VerifyCredentialsFunction", _login("verify_credentials", "Sbagliata-1!"), 401, 0
    ),
    "verify-pin": Scenario("VerifyPinFunction", _pin_check, 200, 0),
    "redeem a temporary code": Scenario("RedeemTemporaryCodeFunction", paper_code_redemption, 200, 0),
    # The link to the new address and the notice to the old one
    "contacts, new e-mail": Scenario(
        "ContactsFunction", _contact_change("contacts_email", email="nuova@example.it"), 202, 2
    ),
    "contacts, new mobile": Scenario(
        "ContactsFunction", _contact_change("contacts_mobile", mobile="+393471234567"), 202, 0, texts=1
    ),
    "contacts, e-mail confirmed": Scenario("ContactsFunction", _email_confirmation, 200, 1),
    "totp, enrol": Scenario("TotpFunction", _contact_change("totp_enrol"), 200, 0),
    "totp, confirm": Scenario("TotpFunction", _enrolment_confirmation, 200, 1),
    "verify-otp, app code": Scenario("VerifyOtpFunction", _app_code_verification, 200, 0),
    # An account whose only contact is its e-mail (SPEC §6): the link to it, the notice, the next step
    "change asked by e-mail": Scenario("TotpFunction", _asked_by_email("app"), 403, 1),
    "change confirmed": Scenario("FactorChangesFunction", _change_link("confirm"), 200, 1),
    "change cancelled": Scenario("FactorChangesFunction", _change_link("cancel"), 200, 1),
    "change completed, new e-mail": Scenario(
        "FactorChangesFunction", _change_link("complete", "email"), 200, 2
    ),
    "change completed, new mobile": Scenario(
        "FactorChangesFunction", _change_link("complete", "mobile"), 200, 0, texts=1
    ),
    "change completed, app": Scenario("FactorChangesFunction", _change_link("complete", "app"), 200, 0),
    # The account area: the session instead of a password (a notice, and the session checked, each)
    "account, new password": Scenario(
        "AccountFunction", _in_the_account_area("account_password", new_password="Lavagna-Verde-77"), 200, 1
    ),
    "account, new PIN": Scenario("AccountFunction", _in_the_account_area("account_pin"), 201, 1),
    "account, new e-mail": Scenario(
        "AccountFunction", _in_the_account_area("account_email", email="maria.nuova@example.it"), 202, 2
    ),
    "account, sign out everywhere": Scenario(
        "AccountFunction", _in_the_account_area("account_sign-out", device="all"), 200, 0
    ),
}


def _table(stack) -> list[dict[str, Any]]:
    dynamodb = stack.deployment.client("dynamodb")
    items = dynamodb.scan(TableName=stack.deployment.refs["Table"])["Items"]
    return sorted(items, key=lambda item: (item["PK"]["S"], item["SK"]["S"]))


# What an attempt counts before its secret is checked (SPEC §6): a login's
# failures, a PIN's. A fault after that write leaves the attempt counted, as
# it must (the secret may have been checked); nothing else may change.
_ATTEMPT_ATTRIBUTES = ("failures", "last_failure_at", "locks_served", keys.TTL_ATTRIBUTE, "pin_failures")


def _attempts(items: list[dict[str, Any]]) -> int:
    counts = [item.get(name, {}).get("N", "0") for item in items for name in ("failures", "pin_failures")]
    return sum(int(count) for count in counts)


def _beside_attempts(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The table as a flow's effects see it: attempt counters set aside, and
    login items that hold nothing else."""
    kept = []
    for item in items:
        rest = {name: value for name, value in item.items() if name not in _ATTEMPT_ATTRIBUTES}
        if rest["PK"]["S"].startswith("LOGIN#") and set(rest) <= {"PK", "SK"}:
            continue
        kept.append(rest)
    return kept


def _past_every_deadline(monkeypatch) -> None:
    """The outbox consumers' clock, an hour on: a message without a receipt is abandoned."""
    later = types.SimpleNamespace(time=lambda: time.time() + 3600)
    # Imported by notify's handler, under notify's environment, like Lambda would.
    monkeypatch.setattr(sys.modules["chiave.notify.outbox"], "time", later)


def _assert_unavailable(response) -> None:
    assert response.status == 503, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.body["code"] == "service_unavailable"
    assert int(response.headers["Retry-After"]) == response.body["retry_after"] > 0


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_fault_at_any_call_commits_nothing_and_sends_nothing(stack, load_event, monkeypatch, name, fault):
    scenario = SCENARIOS[name]
    # Given a flow ready to run, and what was sent before it
    event = scenario.prepare(stack, load_event)
    mails_before = len(stack.deliver())
    texts_before = len(_texts(stack))
    table_before = _table(stack)
    attempts_before = _attempts(table_before)
    position = 0
    while True:
        # A new container each time: its KMS and Secrets Manager reads are among the positions
        tokens.forget_keys()
        pepper.forget()
        totp.forget()
        # When the call at `position` fails
        with stack.env(scenario.function_id), failing(fault, position) as made:
            response = stack.call(scenario.function_id, event)
        if len(made) <= position:
            break  # the flow made fewer calls: this attempt ran unfaulted
        # Then the answer is 503 with Retry-After, nothing changed and nothing is sent,
        # but for the attempt each try counted before checking its secret
        _assert_unavailable(response)
        table_after = _table(stack)
        assert _beside_attempts(table_after) == _beside_attempts(table_before), (name, made)
        assert _attempts(table_after) <= attempts_before + position + 1, (name, made)
        assert len(stack.deliver()) == mails_before, (name, made)
        assert len(_texts(stack)) == texts_before, (name, made)
        position += 1
    # And the unfaulted attempt succeeds and sends exactly its own notices,
    # even once every failed attempt's message has been looked at again
    assert response.status == scenario.success, response.body
    assert position >= 2
    _past_every_deadline(monkeypatch)
    stack.release_failed()
    assert len(stack.deliver()) == mails_before + scenario.mails
    assert len(_texts(stack)) == texts_before + scenario.texts
    assert stack.queued() + stack.queued(invisible=True) + stack.queued("OutboxDeadLetterQueue") == 0


WRITERS = ["register, known person", "reset by e-mail", "confirm"]


@pytest.mark.parametrize("fault", ["timeout", "server_error"])
@pytest.mark.parametrize("name", WRITERS)
def test_a_commit_whose_answer_was_lost_is_a_success(stack, load_event, name, fault):
    scenario = SCENARIOS[name]
    # Given a flow whose transaction lands but whose answer is lost
    event = scenario.prepare(stack, load_event)
    mails_before = len(stack.deliver())
    with stack.env(scenario.function_id), failing(fault, operation="TransactWriteItems", applied=True):
        response = stack.call(scenario.function_id, event)
    # Then the flow learns from the receipt that it committed: a success, and its e-mail leaves once
    assert response.status == scenario.success, response.body
    assert len(stack.deliver()) == mails_before + scenario.mails


@pytest.mark.parametrize("name", WRITERS)
def test_a_message_queued_but_unanswered_is_never_delivered(stack, load_event, monkeypatch, name):
    scenario = SCENARIOS[name]
    # Given a flow whose message reaches the queue but whose SendMessage answer is lost
    event = scenario.prepare(stack, load_event)
    mails_before = len(stack.deliver())
    table_before = _table(stack)
    with stack.env(scenario.function_id), failing("timeout", operation="SendMessage", applied=True):
        response = stack.call(scenario.function_id, event)
    # Then nothing was committed, and notify never delivers the message
    _assert_unavailable(response)
    assert _table(stack) == table_before
    _past_every_deadline(monkeypatch)
    assert len(stack.deliver()) == mails_before
    assert stack.queued() + stack.queued(invisible=True) == 0


def test_a_flow_out_of_time_refuses_before_lambda_kills_it(stack, load_event):
    # Given an invocation with less time left than one AWS call may take
    event = load_event("register", body={"codice_fiscale": KNOWN})
    table_before = _table(stack)
    spec = stack.functions.specs["RegisterFunction"]
    from chiave_local.emulator.runtime import LambdaContext, environment, function_environment, load_module

    context = LambdaContext(
        function_name="RegisterFunction",
        invoked_function_arn="arn:aws:lambda:eu-south-1:123456789012:function:RegisterFunction",
        deadline=time.monotonic() + 4,
    )
    with environment(function_environment(spec, stack.deployment)):
        result = load_module(spec).handler(event, context)
    # Then it answers 503 at once, and nothing was written or queued
    assert result["statusCode"] == 503
    assert _table(stack) == table_before
    assert stack.queued() == 0
