"""The holder's own contacts (e-mail and mobile, changed once proved) and the
authenticator app (TOTP enrolment, app codes instead of SMS, no replay),
against moto."""

from __future__ import annotations

import json
import time
from typing import Any
from unittest import mock

import pyotp
import pytest

from chiave.store import keys
from chiave_local.demo import sent
from tests.integration.conftest import REGION
from tests.integration.helpers import (
    PASSWORD,
    SCHOOL,
    activate,
    change_password,
    confirm,
    issue_pin,
    last_sms_code,
    last_token,
    ops,
    request_reset,
    texts,
    token_in,
    verify_credentials,
)

MARIA = "RSSMRA82C52H501K"  # maria.rossi@example.it, +393331234567
MARIA_EMAIL = "maria.rossi@example.it"
NEW_EMAIL = "maria.rossi.nuova@example.it"
NEW_MOBILE = "+393471234567"


@pytest.fixture
def maria(stack, load_event) -> str:
    """Maria, active, with PASSWORD; her user code."""
    stack.set_policy(otp_required_for_activation=False)
    return activate(stack, load_event, MARIA)


# Changes of a factor or a contact: the account's factor proves them first.
STEPPED_UP = ("contacts_email", "contacts_mobile", "totp_enrol")
# The app each login enrolled, to give its code in a step-up.
_APPS: dict[str, pyotp.TOTP] = {}


def _call(stack, load_event, sample: str, **body: Any) -> Any:
    """A request as the holder makes it: a change asked for again with the
    step-up's token once her factor's code (the app's, or the SMS to her
    mobile) is verified."""
    function_id = "ContactsFunction" if sample.startswith("contacts") else "TotpFunction"
    answer = stack.call(function_id, load_event(sample, body=body))
    asked = answer.status == 403 and answer.body.get("code") == "otp_required" and "token" in answer.body
    if sample not in STEPPED_UP or not asked or "token" in body:
        return answer
    token = answer.body["token"]
    if answer.body["otp_method"] == "app":
        code = _APPS[body["login"]].at(time.time() + 30)  # the step after the one the enrolment used
    else:
        sent = _send(stack, load_event, token)
        if sent.status != 202:
            return sent  # the SMS to her own mobile refused (a cap): the change waits
        code = last_sms_code(stack)
    assert _verify(stack, load_event, token, code).status == 200
    return stack.call(function_id, load_event(sample, body={**body, "token": token}))


def _change_email(stack, load_event, login: str, email: str = NEW_EMAIL, password: str = PASSWORD) -> Any:
    return _call(
        stack, load_event, "contacts_email", school=SCHOOL, login=login, password=password, email=email
    )


def _change_mobile(stack, load_event, login: str, mobile: str = NEW_MOBILE, password: str = PASSWORD) -> Any:
    return _call(
        stack, load_event, "contacts_mobile", school=SCHOOL, login=login, password=password, mobile=mobile
    )


def _confirm_contact(stack, load_event, token: str) -> Any:
    return _call(stack, load_event, "contacts_confirm", token=token)


def _verify(stack, load_event, token: str, code: str) -> Any:
    return stack.call("VerifyOtpFunction", load_event("verify_otp", body={"token": token, "code": code}))


def _send(stack, load_event, token: str) -> Any:
    return stack.call("SendOtpFunction", load_event("send_otp", body={"token": token}))


def _status(stack, load_event, token: str) -> dict[str, Any]:
    response = stack.call("FlowStatusFunction", load_event("flow_status", body={"token": token}))
    assert response.status == 200, response.body
    return response.body


def _person_item(stack) -> dict[str, Any]:
    dynamodb = stack.deployment.client("dynamodb")
    key = {name: {"S": value} for name, value in keys.person(SCHOOL, MARIA).items()}
    return dynamodb.get_item(TableName=stack.deployment.refs["Table"], Key=key)["Item"]


def _trail_actions(stack) -> list[str]:
    answer = ops(stack, "ops")
    assert answer["ok"], answer
    return [entry["action"] for entry in answer["entries"]]


# ---- e-mail --------------------------------------------------------------------------


def test_an_email_change_takes_effect_only_once_its_link_is_confirmed(stack, load_event, maria):
    # Given Maria, active, asking for a new address with her login and password
    answer = _change_email(stack, load_event, maria)
    assert answer.status == 202, answer.body
    mails = stack.deliver()
    link_mail, warning = mails[-2], mails[-1]
    # Then the link goes to the new address, and the old one is told, without the link
    assert link_mail["to"] == NEW_EMAIL and "/conferma-email#token=" in link_mail["text"]
    assert warning["to"] == MARIA_EMAIL and "m*****a@example.it" in warning["text"]
    assert "#token=" not in warning["text"]
    token = token_in(link_mail)
    # And until the link is confirmed the old address is still the login
    assert verify_credentials(stack, load_event, NEW_EMAIL).status == 401
    assert verify_credentials(stack, load_event, MARIA_EMAIL).status == 200
    # When the link is confirmed
    confirmed = _confirm_contact(stack, load_event, token)
    assert (confirmed.status, confirmed.body) == (200, {"changed": "email", "hint": "m*****a@example.it"})
    # Then the new address logs in and gets resets, the old one does neither
    assert verify_credentials(stack, load_event, NEW_EMAIL).status == 200
    assert verify_credentials(stack, load_event, MARIA_EMAIL).status == 401
    assert request_reset(stack, load_event, NEW_EMAIL).status == 202
    assert stack.deliver()[-1]["to"] == NEW_EMAIL
    # And the link was single-use; both steps are on the audit trail
    assert _confirm_contact(stack, load_event, token).body["code"] == "token_used"
    actions = _trail_actions(stack)
    assert "email_change_requested" in actions and "email_changed" in actions


def test_confirming_a_new_address_kills_the_links_still_in_the_old_mailbox(stack, load_event, maria):
    # Given a reset link sent to the old address, then a change of address
    request_reset(stack, load_event, MARIA_EMAIL)
    old_link = last_token(stack)
    _change_email(stack, load_event, maria)
    new_link = token_in(stack.deliver()[-2])
    # When the new address is confirmed, Then the old mailbox's link is dead
    assert _confirm_contact(stack, load_event, new_link).status == 200
    assert confirm(stack, load_event, old_link, "Altra-Password-7").body["code"] == "token_used"


def test_a_password_changed_after_the_request_kills_the_address_link(stack, load_event, maria):
    _change_email(stack, load_event, maria)
    link = token_in(stack.deliver()[-2])
    assert change_password(stack, load_event, maria, PASSWORD, "Lavagna-Verde-77").status == 200
    refused = _confirm_contact(stack, load_event, link)
    # The parent is told what happened: another change replaced the link
    assert (refused.status, refused.body["code"]) == (410, "token_superseded")
    assert "sostituito" in refused.body["detail"]
    assert _person_item(stack)["email"]["S"] == MARIA_EMAIL


@pytest.mark.parametrize(
    "change, fields, status, code",
    [
        ("contacts_email", {"password": "Sbagliata-Del-Tutto-1"}, 401, "invalid_credentials"),
        ("contacts_email", {"email": MARIA_EMAIL.upper()}, 409, "contact_unchanged"),
        ("contacts_email", {"email": "non-un-indirizzo"}, 422, "validation_error"),
        ("contacts_mobile", {"password": "Sbagliata-Del-Tutto-1"}, 401, "invalid_credentials"),
        ("contacts_mobile", {"mobile": "333 123 4567"}, 409, "contact_unchanged"),
        ("contacts_mobile", {"mobile": "06 1234 5678"}, 422, "validation_error"),
        ("contacts_mobile", {"mobile": "+44 7911 123456"}, 422, "mobile_not_allowed"),
    ],
)
def test_a_refused_change_gets_a_clear_problem_and_sends_nothing(
    stack, load_event, maria, change, fields, status, code
):
    # Given Maria's contacts as they are
    before = _person_item(stack)
    stack.deliver()
    mails, texts = len(sent.outbox(REGION)["emails"]), len(sent.outbox(REGION)["sms"])
    # When a change is refused
    body = {"school": SCHOOL, "login": maria, "password": PASSWORD, **fields}
    body.setdefault(
        "email" if change == "contacts_email" else "mobile",
        NEW_EMAIL if change == "contacts_email" else NEW_MOBILE,
    )
    answer = _call(stack, load_event, change, **body)
    # Then it says why, and nothing changed or went out
    assert (answer.status, answer.body["code"]) == (status, code), answer.body
    stack.deliver()
    assert (len(sent.outbox(REGION)["emails"]), len(sent.outbox(REGION)["sms"])) == (mails, texts)
    assert {name: value for name, value in _person_item(stack).items() if name != "credential_epoch"} == {
        name: value for name, value in before.items() if name != "credential_epoch"
    }


# ---- mobile --------------------------------------------------------------------------


def test_a_mobile_change_is_proved_by_a_code_sent_to_the_new_number(stack, load_event, maria):
    # Given Maria asking for a new number
    answer = _change_mobile(stack, load_event, maria, "347 123 4567")
    assert answer.status == 202, answer.body
    assert answer.body["phone_hint"] == "+39 *** *** **67" and answer.body["resend_after"] == 60
    token = answer.body["token"]
    # Then the code went to the new number at once
    assert texts(stack)[-1]["to"] == NEW_MOBILE
    code = last_sms_code(stack)
    # And nothing changes until it is verified and confirmed
    assert _confirm_contact(stack, load_event, token).body["code"] == "otp_required"
    assert _person_item(stack)["mobile"]["S"] == "+393331234567"
    assert _verify(stack, load_event, token, code).status == 200
    confirmed = _confirm_contact(stack, load_event, token)
    assert (confirmed.status, confirmed.body["changed"]) == (200, "mobile")
    # Then the number is the new one, the e-mail on file is told, and the trail has both steps
    assert _person_item(stack)["mobile"]["S"] == NEW_MOBILE
    notice = stack.deliver()[-1]
    assert notice["to"] == MARIA_EMAIL and "Numero di cellulare aggiornato" in notice["subject"]
    actions = _trail_actions(stack)
    assert "mobile_change_requested" in actions and "mobile_changed" in actions
    # And the next link's code goes to the new number
    stack.set_policy(otp_required_for_activation=False, otp_required_for_reset=True)
    request_reset(stack, load_event, MARIA)
    assert _send(stack, load_event, last_token(stack)).status == 202
    assert texts(stack)[-1]["to"] == NEW_MOBILE


def test_a_mobile_change_counts_against_the_daily_sms_caps(stack, load_event, maria):
    stack.set_policy(otp_required_for_activation=False, sms_per_number_per_day=1)
    assert _change_mobile(stack, load_event, maria).status == 202
    over = _change_mobile(stack, load_event, maria)
    assert (over.status, over.body["code"]) == (429, "rate_limited")
    assert len([message for message in texts(stack) if message["to"] == NEW_MOBILE]) == 1


@pytest.mark.parametrize("per_day, per_month", [(3, 6), (2, 2)])
def test_one_account_cannot_pump_sms_through_mobile_changes(stack, load_event, maria, per_day, per_month):
    # Given an account whose password the attacker has, at a school with room for many SMS
    stack.set_policy(
        otp_required_for_activation=False,
        sms_per_number_per_day=50,
        mobile_changes_per_account_per_day=per_day,
        mobile_changes_per_account_per_month=per_month,
    )
    numbers = [f"+3934700000{index:02d}" for index in range(12)]
    # (two days into a 30-day window, so the next day is in the same one)
    month = 30 * 86_400
    today = time.time() // month * month + 2 * 86_400 + 3_600
    if today < time.time():
        today += month
    # When it asks for a new mobile, a different number each time, over and over
    with mock.patch("time.time", return_value=today):
        statuses = [_change_mobile(stack, load_event, maria, number).status for number in numbers]
    # Then only the account's cap of them texts anyone, and the rest are refused
    allowed = min(per_day, per_month)
    assert statuses == [202] * allowed + [429] * (len(numbers) - allowed)
    assert len([message for message in texts(stack) if message["to"] in numbers]) == allowed
    # And the next days, only what is left of the 30 days
    with mock.patch("time.time", return_value=today + 86_400):
        next_day = [_change_mobile(stack, load_event, maria, number).status for number in numbers[:4]]
    assert next_day.count(202) == min(per_day, per_month - allowed)


# ---- authenticator app ---------------------------------------------------------------


def _enrol(stack, load_event, login: str) -> tuple[str, str]:
    """Enrol an app for `login`; its secret and the moment it was confirmed."""
    started = _call(stack, load_event, "totp_enrol", school=SCHOOL, login=login, password=PASSWORD)
    assert started.status == 200, started.body
    uri = started.body["otpauth_uri"]
    secret = started.body["secret"]
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri and "issuer=" in uri
    code = pyotp.TOTP(secret).now()
    confirmed = _call(stack, load_event, "totp_confirm", enrolment=started.body["enrolment"], code=code)
    _APPS[login] = pyotp.TOTP(secret)
    assert (confirmed.status, confirmed.body) == (200, {"enrolled": True})
    return secret, code


def test_an_enrolled_app_replaces_the_sms_and_each_code_passes_once(stack, load_event, maria):
    # Given Maria with an authenticator app, at a school that wants a code for resets
    secret, enrolment_code = _enrol(stack, load_event, maria)
    assert "App di autenticazione attivata" in stack.deliver()[-1]["subject"]
    stack.set_policy(otp_required_for_activation=False, otp_required_for_reset=True)
    request_reset(stack, load_event, MARIA)
    token = last_token(stack)
    # Then the page is told the code comes from the app, and no SMS is sent
    status = _status(stack, load_event, token)
    assert status["otp_method"] == "app" and "phone_hint" not in status and "otp_resend_after" not in status
    sent_before = len(texts(stack))
    refused = _send(stack, load_event, token)
    assert (refused.status, refused.body["code"]) == (409, "otp_by_app")
    assert len(texts(stack)) == sent_before
    # When the code that confirmed the enrolment is given again (replay), Then it is refused and counted
    replayed = _verify(stack, load_event, token, enrolment_code)
    assert (replayed.status, replayed.body["code"]) == (400, "otp_invalid")
    # When the app's next code is given, Then the flow is verified and the password can be set
    later = time.time() + 30
    with mock.patch("time.time", return_value=later):
        next_code = pyotp.TOTP(secret).at(later)
        assert _verify(stack, load_event, token, next_code).body == {"verified": True}
        assert confirm(stack, load_event, token, "Altra-Password-7").status == 200
        # And that code never passes again, on another flow either
        request_reset(stack, load_event, MARIA)
        other = last_token(stack)
        assert _verify(stack, load_event, other, next_code).body["code"] == "otp_invalid"


def test_a_pin_behind_an_sms_step_takes_the_app_s_code_instead(stack, load_event, maria):
    secret, _ = _enrol(stack, load_event, maria)
    stack.set_policy(otp_required_for_activation=False, otp_required_for_pin=True)
    first = issue_pin(stack, load_event, maria)
    assert (first.status, first.body["code"], first.body["otp_method"]) == (403, "otp_required", "app")
    assert "phone_hint" not in first.body
    later = time.time() + 30
    with mock.patch("time.time", return_value=later):
        assert _verify(stack, load_event, first.body["token"], pyotp.TOTP(secret).at(later)).status == 200
        assert issue_pin(stack, load_event, maria, token=first.body["token"]).status == 201


def test_wrong_app_codes_count_down_then_lock(stack, load_event, maria):
    secret, _ = _enrol(stack, load_event, maria)
    stack.set_policy(otp_required_for_activation=False, otp_required_for_reset=True, otp_max_attempts=3)
    request_reset(stack, load_event, MARIA)
    token = last_token(stack)
    later = time.time() + 30
    with mock.patch("time.time", return_value=later):
        right = pyotp.TOTP(secret).at(later)
        wrong = f"{(int(right) + 1) % 10**6:06d}"
        first = _verify(stack, load_event, token, wrong).body
        assert first["attempts_left"] == 2
        # The answer speaks of the app, never of an SMS that was not sent
        assert first["otp_method"] == "app" and "app" in first["detail"] and "SMS" not in first["detail"]
        assert _verify(stack, load_event, token, wrong).body["attempts_left"] == 1
        locked = _verify(stack, load_event, token, wrong).body
        assert locked["code"] == "otp_locked" and "SMS" not in locked["detail"]
        assert _verify(stack, load_event, token, right).body["code"] == "otp_locked"


def test_an_enrolment_takes_a_right_code_within_its_attempts_only(stack, load_event, maria):
    stack.set_policy(otp_required_for_activation=False, otp_max_attempts=2)
    started = _call(stack, load_event, "totp_enrol", school=SCHOOL, login=maria, password=PASSWORD)
    enrolment, secret = started.body["enrolment"], started.body["secret"]
    right = pyotp.TOTP(secret).now()
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    first = _call(stack, load_event, "totp_confirm", enrolment=enrolment, code=wrong)
    assert (first.status, first.body["code"], first.body["attempts_left"]) == (400, "otp_invalid", 1)
    assert (
        _call(stack, load_event, "totp_confirm", enrolment=enrolment, code=wrong).body["code"] == "otp_locked"
    )
    assert (
        _call(stack, load_event, "totp_confirm", enrolment=enrolment, code=right).body["code"] == "otp_locked"
    )
    assert "totp_sealed" not in _person_item(stack)


def test_the_secret_is_stored_encrypted_and_revoke_removes_the_app(stack, load_event, maria):
    secret, _ = _enrol(stack, load_event, maria)
    # Then the account keeps a KMS ciphertext, never the secret
    item = _person_item(stack)
    assert "totp_sealed" in item and secret not in json.dumps(item)
    assert "totp_enrolled" in _trail_actions(stack)
    # When the school revokes the credentials, Then the app is gone and codes go by SMS again
    assert ops(stack, "ops_revoke")["ok"]
    assert "totp_sealed" not in _person_item(stack)
    stack.set_policy(otp_required_for_activation=False, otp_required_for_reset=True)
    request_reset(stack, load_event, MARIA)
    token = last_token(stack)
    assert _status(stack, load_event, token)["otp_method"] == "sms"
    assert _send(stack, load_event, token).status == 202


def test_a_new_number_is_proved_by_sms_even_with_an_app(stack, load_event, maria):
    _enrol(stack, load_event, maria)
    answer = _change_mobile(stack, load_event, maria)
    assert answer.status == 202 and texts(stack)[-1]["to"] == NEW_MOBILE
    assert _status(stack, load_event, answer.body["token"])["otp_method"] == "sms"


def test_an_enrolment_token_opens_nothing_else(stack, load_event, maria):
    started = _call(stack, load_event, "totp_enrol", school=SCHOOL, login=maria, password=PASSWORD)
    enrolment = started.body["enrolment"]
    assert confirm(stack, load_event, enrolment, "Altra-Password-7").body["code"] == "token_invalid"
    assert _confirm_contact(stack, load_event, enrolment).body["code"] == "token_invalid"
    assert _verify(stack, load_event, enrolment, "123456").body["code"] == "otp_not_needed"


# ---- the password alone never re-binds a factor (SPEC §6) ----------------------------

ATTACKER_EMAIL = "attaccante@example.net"
ATTACKER_MOBILE = "+393479999999"
CHANGES = {
    "contacts_email": {"email": ATTACKER_EMAIL},
    "contacts_mobile": {"mobile": ATTACKER_MOBILE},
    "totp_enrol": {},
}


@pytest.mark.parametrize("factor", ["sms", "app"])
@pytest.mark.parametrize("sample", list(CHANGES))
def test_a_stolen_password_alone_changes_no_factor_or_contact(stack, load_event, maria, sample, factor):
    # Given Maria, with a mobile on file (and, for "app", an authenticator app)
    if factor == "app":
        _enrol(stack, load_event, maria)
    before = _person_item(stack)
    mails, sms = len(stack.deliver()), len(texts(stack))
    function_id = "ContactsFunction" if sample.startswith("contacts") else "TotpFunction"
    body = {"school": SCHOOL, "login": maria, "password": PASSWORD, **CHANGES[sample]}
    # When an attacker with her password alone asks for the change
    answer = stack.call(function_id, load_event(sample, body=body))
    # Then the answer asks for her factor's code, and names where it would come from, not the attacker's
    assert (answer.status, answer.body["code"], answer.body["otp_method"]) == (403, "otp_required", factor)
    token = answer.body["token"]
    # And guessing the code, or asking again with the unverified token, gets nothing
    assert _verify(stack, load_event, token, "000000").status in (400, 429)
    again = stack.call(function_id, load_event(sample, body={**body, "token": token}))
    assert (again.status, again.body["code"]) == (403, "otp_required")
    # And nothing changed, nothing went to the attacker, nothing but the step's own SMS to her
    assert _person_item(stack) == before
    assert all(ATTACKER_EMAIL not in mail["to"] for mail in stack.deliver()[mails:])
    assert all(message["to"] != ATTACKER_MOBILE for message in texts(stack)[sms:])


@pytest.mark.parametrize("sample", list(CHANGES))
def test_a_step_up_token_of_another_purpose_or_account_proves_nothing(stack, load_event, maria, sample):
    # Given a PIN's SMS step, verified by Maria
    stack.set_policy(otp_required_for_activation=False, otp_required_for_pin=True)
    asked = issue_pin(stack, load_event, maria)
    pin_token = asked.body["token"]
    assert _send(stack, load_event, pin_token).status == 202
    assert _verify(stack, load_event, pin_token, last_sms_code(stack)).status == 200
    # When its token is sent with a change of a factor
    function_id = "ContactsFunction" if sample.startswith("contacts") else "TotpFunction"
    body = {"school": SCHOOL, "login": maria, "password": PASSWORD, "token": pin_token, **CHANGES[sample]}
    answer = stack.call(function_id, load_event(sample, body=body))
    # Then it is refused: a step proves only what it was opened for
    assert (answer.status, answer.body["code"]) == (400, "token_invalid")


def test_an_account_with_no_contact_at_all_is_sent_to_the_school_office(stack, load_event):
    # Given a parent with neither e-mail nor mobile, activated on paper by the school office
    from chiave.domain import Person, Role
    from chiave.store import people

    nobody_reaches = "NRELNE80A41H501V"
    stack.set_policy(otp_required_for_activation=False)
    with stack.env():
        people.put_people([Person(SCHOOL, nobody_reaches, "Neri", "Elena", Role.GENITORE)])
    paper = ops(stack, "ops_issue_temporary_code", codice_fiscale=nobody_reaches)
    assert paper["ok"], paper
    redeemed = stack.call(
        "RedeemTemporaryCodeFunction",
        load_event(
            "redeem_temporary_code",
            body={
                "school": SCHOOL,
                "login": nobody_reaches,
                "temporary_code": paper["temporary_code"],
                "new_password": "Lavagna-Verde-77",
            },
        ),
    )
    assert redeemed.status == 200, redeemed.body
    body = {"school": SCHOOL, "login": redeemed.body["user_code"], "password": "Lavagna-Verde-77"}
    # When she (or whoever has her password) asks to add a mobile or an app
    for sample in ("contacts_mobile", "totp_enrol"):
        function_id = "ContactsFunction" if sample.startswith("contacts") else "TotpFunction"
        answer = stack.call(function_id, load_event(sample, body={**body, **CHANGES[sample]}))
        # Then the school office is where it is done
        assert (answer.status, answer.body["code"]) == (422, "mobile_missing")
