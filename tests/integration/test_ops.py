"""Ops actions from the console (the ops function): each action's effect and
its audit item, and a clear answer to a bad event, against moto."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import pytest

from chiave_local.emulator.calls import FAULTS, failing
from chiave_local.emulator.events import load_event
from tests.integration.helpers import (
    PASSWORD,
    SCHOOL,
    activate,
    confirm,
    issue_pin,
    last_token,
    ops,
    request_reset,
    verify_credentials,
    verify_pin,
)

MARIA = "RSSMRA82C52H501K"
WRONG = "Sbagliata-Del-Tutto-1"


def _trail(stack) -> list[dict[str, Any]]:
    answer = ops(stack, "ops")
    assert answer["ok"], answer
    return answer["entries"]


@pytest.fixture
def maria(stack, load_event) -> str:
    stack.set_policy(otp_required_for_activation=False, login_max_failures=2, pin_max_attempts=2)
    return activate(stack, load_event, MARIA)


def test_unlock_gives_a_locked_parent_her_logins_and_pin_back(stack, load_event, maria):
    # Given a parent locked out of her login and her PIN
    pin = issue_pin(stack, load_event, maria).body["pin"]
    for _ in range(2):
        verify_pin(stack, load_event, maria, f"{(int(pin) + 1) % 10**6:06d}")
        issue_pin(stack, load_event, maria, WRONG)
    assert issue_pin(stack, load_event, maria).status == 423
    assert verify_pin(stack, load_event, maria, pin).body["code"] == "account_locked"
    # When the school's office unlocks her
    answer = ops(stack, "ops_unlock")
    # Then both work again, and the action is on her trail
    assert answer == {
        "ok": True,
        "action": "unlock",
        "school": SCHOOL,
        "person": "RSS************K",
        "unlocked": ["login", "pin"],
    }
    assert verify_pin(stack, load_event, maria, pin).status == 200
    assert issue_pin(stack, load_event, maria).status == 201
    entry = next(entry for entry in _trail(stack) if entry["action"] == "unlock")
    assert entry["actor"] == "operator:segreteria.rossi@icesempio.edu.it"
    assert entry["account"] == "RSS************K" and entry["outcome"] == "done"
    assert entry["details"]["reason"].startswith("La madre") and entry["details"]["request_id"]


def test_a_disabled_account_is_refused_everywhere_until_enabled(stack, load_event, maria):
    # Given an active parent with a PIN and an open reset link
    pin = issue_pin(stack, load_event, maria).body["pin"]
    request_reset(stack, load_event, MARIA)
    link = last_token(stack)
    mails = len(stack.deliver())
    # When the office disables the account (twice: the second changes nothing)
    assert ops(stack, "ops_disable")["changed"] is True
    assert ops(stack, "ops_disable") == {
        "ok": True,
        "action": "disable",
        "school": SCHOOL,
        "person": "RSS************K",
        "status": "disabled",
        "changed": False,
    }
    # Then nothing works: login, PIN, checks, links (old and new)
    assert issue_pin(stack, load_event, maria).body["code"] == "account_unavailable"
    assert verify_credentials(stack, load_event, maria).body["code"] == "account_unavailable"
    assert verify_pin(stack, load_event, maria, pin).body["code"] == "account_unavailable"
    assert confirm(stack, load_event, link, "Un-Altra-Password-9").status in (403, 410)
    assert request_reset(stack, load_event, MARIA).status == 202
    assert len(stack.deliver()) == mails  # no link e-mailed to a disabled account
    # When it is enabled again, Then it is active as before
    assert ops(stack, "ops_enable")["status"] == "active"
    assert verify_credentials(stack, load_event, maria).status == 200
    assert [entry["action"] for entry in _trail(stack)][:2] == ["enable", "disable"]


def test_revoke_kills_open_links_and_the_pin_but_not_the_password(stack, load_event, maria):
    pin = issue_pin(stack, load_event, maria).body["pin"]
    request_reset(stack, load_event, MARIA)
    link = last_token(stack)
    assert ops(stack, "ops_revoke")["revoked"] == ["links", "pin", "sessions"]
    assert confirm(stack, load_event, link, "Un-Altra-Password-9").body["code"] == "token_used"
    assert verify_pin(stack, load_event, maria, pin).body["code"] == "pin_invalid"
    assert verify_credentials(stack, load_event, maria, PASSWORD).status == 200


def test_the_audit_action_reads_one_account_s_trail_newest_first_and_no_secret(stack, load_event, maria):
    ops(stack, "ops_unlock")
    ops(stack, "ops_revoke")
    first = _trail(stack)
    assert [entry["action"] for entry in first] == ["revoke", "unlock"] + [e["action"] for e in first[2:]]
    # Reading is itself recorded
    assert _trail(stack)[0]["action"] == "audit"
    assert PASSWORD not in json.dumps(first) and MARIA not in json.dumps(first)


def _table(stack) -> list[dict[str, Any]]:
    items = stack.deployment.client("dynamodb").scan(TableName=stack.deployment.refs["Table"])["Items"]
    return sorted(items, key=lambda item: (item["PK"]["S"], item["SK"]["S"]))


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"operator": None}, "validation_error"),
        ({"operator": "   "}, "validation_error"),
        ({"reason": None}, "validation_error"),
        ({"action": "erase-everything"}, "validation_error"),
        ({"user_code": "123456782"}, "validation_error"),  # both a codice fiscale and a user code
        ({"codice_fiscale": None}, "validation_error"),  # nobody named
        ({"school": "RMIC8"}, "validation_error"),
        ({"unexpected": True}, "validation_error"),
        ({"codice_fiscale": "RSSMRA82C52H501X"}, "invalid_codice_fiscale"),
        ({"codice_fiscale": "BNCGNN80A01H501T"}, "person_not_found"),
        ({"school": "MIIC000000"}, "school_not_found"),
        ({"codice_fiscale": None, "user_code": "123456789"}, "invalid_user_code"),
        ({"codice_fiscale": None, "user_code": "123456782"}, "person_not_found"),
    ],
)
def test_a_bad_ops_event_gets_a_clear_error_and_changes_nothing(stack, maria, fields, code):
    before = _table(stack)
    answer = ops(stack, "ops_disable", **fields)
    assert answer["ok"] is False and answer["error"]["code"] == code
    assert answer["error"]["message"] and answer["error"]["message_en"]
    assert _table(stack) == before


def test_a_person_is_found_by_user_code_too(stack, maria):
    answer = ops(stack, "ops_disable", codice_fiscale=None, user_code=maria)
    assert answer["ok"] and answer["person"] == "RSS************K" and answer["status"] == "disabled"


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("sample", ["ops", "ops_unlock", "ops_disable", "ops_revoke", "ops_erase"])
def test_a_fault_at_any_call_of_an_action_changes_nothing(stack, maria, sample, fault):
    before = _table(stack)
    position = 0
    while True:
        # When the call at `position` fails
        with stack.env("OpsFunction"), failing(fault, position) as made:
            answer = ops(stack, sample)
        if len(made) <= position:
            break  # the action made fewer calls: this attempt ran unfaulted
        # Then the operator is told to try again, and nothing changed
        assert answer["ok"] is False and answer["error"]["code"] == "service_unavailable", answer
        assert _table(stack) == before, (sample, made)
        position += 1
    assert answer["ok"] is True and position >= 2


def test_every_credential_event_is_on_the_account_s_trail(stack, load_event, maria):
    from tests.integration.helpers import change_password

    # Given an activated parent who gets a PIN, changes her password and then mistypes it
    issue_pin(stack, load_event, maria)
    change_password(stack, load_event, maria, PASSWORD, "Lavagna-Verde-77")
    for _ in range(2):
        issue_pin(stack, load_event, maria, WRONG)
    request_reset(stack, load_event, MARIA)
    confirm(stack, load_event, last_token(stack), "Quaderno-Rosso-11")
    # Then her trail tells each event, by whom, newest first, without a secret
    trail = _trail(stack)
    assert [(entry["action"], entry["actor"]) for entry in trail] == [
        ("password_reset", "self"),
        ("locked", "self"),
        ("password_changed", "self"),
        ("pin_issued", "self"),
        ("password_set", "self"),
    ]
    assert trail[1]["details"] == {"login": "user_code", "minutes": "15"}
    # And each time is given as the office reads it too: ISO 8601 with its offset, the same moment
    for entry in trail:
        moment = datetime.fromisoformat(entry["at_iso"])
        assert moment.utcoffset() is not None and int(moment.timestamp()) == entry["at"]
    for secret in (PASSWORD, "Lavagna-Verde-77", WRONG, "Quaderno-Rosso-11", MARIA):
        assert secret not in json.dumps(trail)


def test_a_school_that_identifies_in_person_activates_only_after_the_office_has(stack, load_event):
    # Given a school that identifies parents in person (Istanze OnLine)
    stack.set_policy(otp_required_for_activation=False, in_person_identification=True)
    code = activate(stack, load_event, MARIA)
    # Then the activated account waits: no PIN, no check, until the office identifies her
    assert issue_pin(stack, load_event, code).body["code"] == "account_unavailable"
    assert verify_credentials(stack, load_event, code).body["code"] == "account_unavailable"
    mails = len(stack.deliver())
    seen = load_event("ops_record_identification")["identification"]
    # When the office records her identification with another account's form
    wrong = {**seen, "form_reference": "ADE-RMIC817009-100000009"}
    refused = ops(stack, "ops_record_identification", identification=wrong)
    # Then it is refused, and she still waits
    assert refused["ok"] is False and refused["error"]["code"] == "form_reference_mismatch"
    assert issue_pin(stack, load_event, code).body["code"] == "account_unavailable"
    # When the office records it (her document's last four characters only, her form's reference)
    mine = {**seen, "form_reference": f"ade-rmic817009-{code}"}  # as typed: any case
    answer = ops(stack, "ops_record_identification", identification=mine)
    assert answer["ok"] and answer["status"] == "active" and answer["changed"] is True
    assert answer["form_reference"] == f"ADE-RMIC817009-{code}"
    # Then her account is active, she is told by e-mail, and the trail says how she was identified
    assert issue_pin(stack, load_event, code).status == 201
    told = stack.deliver()[mails:]
    assert [mail["subject"] for mail in told if "attive" in mail["subject"]]
    entry = next(entry for entry in _trail(stack) if entry["action"] == "record_identification")
    assert entry["details"]["document_type"] == "carta_identita"
    assert entry["details"]["document_last4"] == "7F3K"
    assert entry["details"]["delegate_with_written_proxy"] == "false"
    assert entry["details"]["form_reference"] == f"ADE-RMIC817009-{code}"
    # And recording it again changes nothing but the trail
    assert ops(stack, "ops_record_identification")["changed"] is False


@pytest.mark.parametrize(
    "fields",
    [
        {"identification": None},
        {"identification": {"document_type": "carta_identita", "document_last4": "7F3K9"}},
        {"identification": {"document_type": "tessera_palestra", "document_last4": "7F3K"}},
        {
            "identification": {
                "document_type": "carta_identita",
                "document_last4": "7F3K",
                "form_reference": "X",
            }
        },
    ],
)
def test_an_identification_needs_its_document_and_nothing_more(stack, maria, fields):
    answer = ops(stack, "ops_record_identification", **fields)
    assert answer["ok"] is False and answer["error"]["code"] == "validation_error"


def test_other_actions_carry_no_identification(stack, maria):
    identification = load_event("ops_record_identification")["identification"]
    answer = ops(stack, "ops_unlock", identification=identification)
    assert answer["error"]["code"] == "validation_error"


NEW_PASSWORD = "Lavagna-Verde-77"


def redeem(stack, load_event, login: str, code: str, password: str | None = None):
    body = {"school": SCHOOL, "login": login, "temporary_code": code}
    body["new_password"] = password or NEW_PASSWORD
    return stack.call("RedeemTemporaryCodeFunction", load_event("redeem_temporary_code", body=body))


def test_a_temporary_code_by_e_mail_sets_the_first_password_once(stack, load_event):
    import re

    stack.set_policy(otp_required_for_activation=False)
    # Given a parent with no credentials yet, and a code the office issues her by e-mail
    answer = ops(stack, "ops_issue_temporary_code", codice_fiscale=MARIA)
    assert answer["ok"] and answer["delivery"] == "email" and "temporary_code" not in answer
    user_code = answer["user_code"]
    mail = stack.deliver()[-1]
    # Written as on the operator's screen and the page: two groups of five
    code = re.search(r"temporaneo: ([A-Z2-9]{5}-[A-Z2-9]{5})", mail["text"]).group(1)
    assert user_code in mail["text"] and not re.search(r"[01IOL]", code)
    # When she redeems it (as typed from the mail: lower case, a dash) and chooses a password
    redeemed = redeem(stack, load_event, user_code, f"{code[:5].lower()}-{code[5:]}")
    # Then her account is active, with that password, and nothing left to change
    assert (redeemed.status, redeemed.body) == (200, {"user_code": user_code, "status": "active"})
    checked = verify_credentials(stack, load_event, user_code, "Lavagna-Verde-77")
    assert checked.body["must_change_password"] is False
    # And the code works once only
    again = redeem(stack, load_event, user_code, code, "Altra-Password-88")
    assert again.body["code"] == "invalid_credentials"
    actions = [entry["action"] for entry in _trail(stack)]
    assert actions[:2] == ["password_set", "issue_temporary_code"]


def test_a_person_without_e_mail_gets_the_code_on_paper_and_redeems_it_by_codice_fiscale(stack, load_event):
    giulia = "VRDGLI85L61H501C"  # no e-mail on file
    issued_at = time.time()
    answer = ops(stack, "ops_issue_temporary_code")
    assert answer["ok"] and answer["delivery"] == "operator"
    # A code handed over on paper lives a school day, not the 72 hours of a mailed one
    assert issued_at + 7 * 3600 < answer["expires_at"] <= time.time() + 8 * 3600
    printed = answer["temporary_code"]
    assert len(printed) == 11 and printed[5] == "-"
    redeemed = redeem(stack, load_event, giulia, printed)
    assert redeemed.status == 200 and redeemed.body["user_code"] == answer["user_code"]


def test_an_expired_temporary_code_is_refused(stack, load_event):
    from chiave.store import keys

    answer = ops(stack, "ops_issue_temporary_code")
    dynamodb = stack.deployment.client("dynamodb")
    key = {name: {"S": value} for name, value in keys.person(SCHOOL, "VRDGLI85L61H501C").items()}
    dynamodb.update_item(
        TableName=stack.deployment.refs["Table"],
        Key=key,
        UpdateExpression="SET temporary_code_expires_at = :past",
        ExpressionAttributeValues={":past": {"N": "1"}},
    )
    refused = redeem(stack, load_event, "VRDGLI85L61H501C", answer["temporary_code"])
    assert (refused.status, refused.body["code"]) == (401, "invalid_credentials")


def test_an_active_account_given_a_temporary_code_must_change_its_password(stack, load_event, maria):
    ops(stack, "ops_issue_temporary_code", codice_fiscale=MARIA)
    # The password still works, and the register is told it must change
    assert verify_credentials(stack, load_event, maria).body["must_change_password"] is True
    assert ops(stack, "ops_disable")["status"] == "disabled"
    refused = ops(stack, "ops_issue_temporary_code", codice_fiscale=MARIA)
    assert refused["ok"] is False and refused["error"]["code"] == "account_unavailable"


def test_a_bug_is_answered_plainly_and_logged_never_a_stack_trace_to_the_console(stack, maria, monkeypatch):
    import sys

    def broken(request, account, now):
        raise RuntimeError("a bug")

    monkeypatch.setitem(sys.modules["chiave.jobs.ops"].ACTIONS, "unlock", broken)
    answer = ops(stack, "ops_unlock")
    assert answer["ok"] is False and answer["error"]["code"] == "internal_error"
    assert "Traceback" not in json.dumps(answer) and "a bug" not in json.dumps(answer)


@pytest.mark.parametrize("event", [[], "unlock", None, 42])
def test_an_event_that_is_not_an_object_is_a_validation_error(stack, event):
    answer = stack.functions.invoke("OpsFunction", event)
    assert answer["ok"] is False and answer["error"]["code"] == "validation_error"


def test_erase_leaves_no_personal_data_but_the_audit_and_keeps_the_user_code(stack, load_event, maria):
    # Given an active parent with a PIN, an open reset link and a lock on her e-mail login
    issue_pin(stack, load_event, maria)
    request_reset(stack, load_event, MARIA)
    link = last_token(stack)
    for _ in range(2):
        issue_pin(stack, load_event, "maria.rossi@example.it", WRONG)
    stack.deliver()
    # When the school asks to erase her (GDPR art. 17)
    answer = ops(stack, "ops_erase")
    assert answer == {
        "ok": True,
        "action": "erase",
        "school": SCHOOL,
        "person": "RSS************K",
        "erased": True,
        "user_code_reserved": maria,
    }
    # Then nothing in the table names her, but her audit trail (masked)
    for item in _table(stack):
        text = json.dumps(item)
        for personal in (MARIA, "Maria", "maria.rossi", "3331234567"):
            assert personal not in text, item
    # And her open link is dead, her logins and PIN unknown
    assert confirm(stack, load_event, link, "Un-Altra-Password-9").status in (400, 410)
    assert verify_credentials(stack, load_event, maria).body["code"] == "invalid_credentials"
    # And the user code stays reserved, without a name
    reservation = [item for item in _table(stack) if item["PK"]["S"] == f"USERCODE#{maria}"]
    assert len(reservation) == 1 and "codice_fiscale" not in reservation[0] and "erased_at" in reservation[0]
    # And the trail records who erased her and why, readable by codice fiscale
    trail = _trail(stack)
    assert trail[0]["action"] == "erase" and trail[0]["details"]["reason"].startswith("Cancellazione")
    assert trail[0]["actor"] == "operator:segreteria.rossi@icesempio.edu.it"
    # And erasing again finds nobody
    assert ops(stack, "ops_erase")["error"]["code"] == "person_not_found"
