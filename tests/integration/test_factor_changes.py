"""A change of a contact or a factor by an account whose only contact is its
e-mail (SPEC §6): the password alone gets a link to that address; the change
waits the cool-off, with a notice that can cancel it; then it goes on as with
a second factor. Against moto, with the attacker holding only the password."""

from __future__ import annotations

import time
from typing import Any
from unittest import mock

import pyotp
import pytest

from chiave.store import keys
from tests.integration.helpers import (
    PASSWORD,
    SCHOOL,
    activate,
    confirm,
    last_sms_code,
    request_reset,
    texts,
    token_in,
)

LUCA = "BNCLCU79S05F205Y"  # luca.bianchi@example.it, no mobile
LUCA_EMAIL = "luca.bianchi@example.it"
ATTACKER_EMAIL = "ladro@example.net"
ATTACKER_MOBILE = "+393409999999"
COOL_OFF_S = 86_400

# sample -> (function, what the change asks for)
CHANGES: dict[str, tuple[str, dict[str, str]]] = {
    "contacts_email": ("ContactsFunction", {"email": ATTACKER_EMAIL}),
    "contacts_mobile": ("ContactsFunction", {"mobile": ATTACKER_MOBILE}),
    "totp_enrol": ("TotpFunction", {}),
}
KIND = {"contacts_email": "email", "contacts_mobile": "mobile", "totp_enrol": "app"}


@pytest.fixture
def luca(stack, load_event) -> str:
    """Luca, active with PASSWORD, his e-mail his only contact; his user code."""
    stack.set_policy(otp_required_for_activation=False)
    return activate(stack, load_event, LUCA)


def _ask(stack, load_event, user_code: str, sample: str, **extra: Any) -> Any:
    function_id, change = CHANGES[sample]
    body = {"school": SCHOOL, "login": user_code, "password": PASSWORD, **change, **extra}
    return stack.call(function_id, load_event(sample, body=body))


def _factor_changes(stack, load_event, action: str, token: str, at: float | None = None) -> Any:
    event = load_event(f"factor_changes_{action}", body={"token": token})
    if at is None:
        return stack.call("FactorChangesFunction", event)
    with mock.patch("time.time", return_value=at):
        return stack.call("FactorChangesFunction", event)


def _person_item(stack) -> dict[str, Any]:
    dynamodb = stack.deployment.client("dynamodb")
    key = {name: {"S": value} for name, value in keys.person(SCHOOL, LUCA).items()}
    return dynamodb.get_item(TableName=stack.deployment.refs["Table"], Key=key)["Item"]


def _mails_since(stack, count: int) -> list[dict[str, Any]]:
    return list(stack.deliver()[count:])


def _scheduled(stack, load_event, user_code: str, sample: str) -> tuple[str, int]:
    """Asked with the password, confirmed from Luca's mailbox: the notice's link, and when it is usable."""
    before = len(stack.deliver())
    assert _ask(stack, load_event, user_code, sample).status == 403
    confirmation = token_in(_mails_since(stack, before)[-1])
    confirmed = _factor_changes(stack, load_event, "confirm", confirmation)
    assert confirmed.status == 200, confirmed.body
    notice = _mails_since(stack, before)[-1]
    assert notice["to"] == LUCA_EMAIL
    return token_in(notice), confirmed.body["usable_from"]


@pytest.mark.parametrize("sample", list(CHANGES))
def test_the_password_alone_gets_only_a_link_to_the_holder_s_own_address(stack, load_event, luca, sample):
    # Given Luca, whose only contact is his e-mail
    before_item, before_mails, before_sms = _person_item(stack), len(stack.deliver()), len(texts(stack))
    # When an attacker with his password alone asks for the change, also with a made-up token
    answer = _ask(stack, load_event, luca, sample)
    again = _ask(stack, load_event, luca, sample, token="A" * 43)
    # Then both answers ask for a confirmation from his address, named masked
    for response in (answer, again):
        assert (response.status, response.body["code"]) == (403, "email_confirmation_required")
        assert response.body["email_hint"] != LUCA_EMAIL and response.body["email_hint"].endswith(
            "example.it"
        )
        assert response.body["cool_off_s"] == COOL_OFF_S
        assert "token" not in response.body
    # And only Luca's mailbox got anything: a link to the page that confirms or cancels
    mails = _mails_since(stack, before_mails)
    assert [mail["to"] for mail in mails] == [LUCA_EMAIL, LUCA_EMAIL]
    assert all("/modifica#token=" in mail["text"] for mail in mails)
    # And nothing changed, and no SMS left
    assert _person_item(stack) == before_item
    assert len(texts(stack)) == before_sms


def test_the_attacker_cannot_flood_the_holder_s_mailbox(stack, load_event, luca):
    # Given the school's cap of link e-mails to one address an hour
    stack.set_policy(otp_required_for_activation=False, link_emails_per_recipient_per_hour=3)
    before = len(stack.deliver())
    # When the password alone asks again and again
    answers = [_ask(stack, load_event, luca, "totp_enrol").status for _ in range(5)]
    # Then the cap stops the mails, and says so
    assert answers == [403, 403, 403, 429, 429]
    assert len(_mails_since(stack, before)) == 3


@pytest.mark.parametrize("sample", list(CHANGES))
def test_a_confirmed_change_waits_the_cool_off_then_goes_on_as_with_a_factor(stack, load_event, luca, sample):
    # Given a change confirmed from Luca's mailbox
    started = time.time()
    token, usable_from = _scheduled(stack, load_event, luca, sample)
    assert int(started) + COOL_OFF_S <= usable_from <= time.time() + COOL_OFF_S
    status = stack.call("FlowStatusFunction", load_event("flow_status", body={"token": token})).body
    assert (status["purpose"], status["change"], status["usable_from"]) == (
        "scheduled_change",
        KIND[sample],
        usable_from,
    )
    before_item = _person_item(stack)
    # When it is completed before the cool-off ends
    early = _factor_changes(stack, load_event, "complete", token, at=usable_from - 60)
    # Then it waits, and says until when
    assert (early.status, early.body["code"], early.body["usable_from"]) == (
        403,
        "change_cooling_off",
        usable_from,
    )
    assert early.headers["Retry-After"] == "60"
    assert _person_item(stack) == before_item
    # When it is completed after the cool-off
    done = _factor_changes(stack, load_event, "complete", token, at=usable_from + 1)
    assert done.status == 200, done.body
    assert done.body["change"] == KIND[sample]
    # Then the new factor is proved as for any account, and becomes Luca's
    with mock.patch("time.time", return_value=usable_from + 2):
        _prove_the_new_factor(stack, load_event, sample, done.body)
    item = _person_item(stack)
    if sample == "contacts_email":
        assert item["email"]["S"] == ATTACKER_EMAIL
    elif sample == "contacts_mobile":
        assert item["mobile"]["S"] == ATTACKER_MOBILE
    else:
        assert "totp_sealed" in item
    # And the notice's link is used up
    replay = _factor_changes(stack, load_event, "complete", token, at=usable_from + 3)
    assert (replay.status, replay.body["code"]) == (410, "token_used")


def _prove_the_new_factor(stack, load_event, sample: str, body: dict[str, Any]) -> None:
    if sample == "contacts_email":
        link = token_in(stack.deliver()[-2])  # the link to the new address, then the notice to the old
        proved = stack.call("ContactsFunction", load_event("contacts_confirm", body={"token": link}))
    elif sample == "contacts_mobile":
        token = body["mobile"]["token"]
        assert texts(stack)[-1]["to"] == ATTACKER_MOBILE
        code = last_sms_code(stack)
        verified = stack.call(
            "VerifyOtpFunction", load_event("verify_otp", body={"token": token, "code": code})
        )
        assert verified.status == 200, verified.body
        proved = stack.call("ContactsFunction", load_event("contacts_confirm", body={"token": token}))
    else:
        app = pyotp.TOTP(body["app"]["secret"])
        enrolment = {"enrolment": body["app"]["enrolment"], "code": app.at(time.time())}
        proved = stack.call("TotpFunction", load_event("totp_confirm", body=enrolment))
    assert proved.status == 200, proved.body


@pytest.mark.parametrize("stage", ["confirmation", "scheduled"])
def test_a_cancelled_change_never_happens(stack, load_event, luca, stage):
    # Given a change asked with the password, at either stage
    before = len(stack.deliver())
    _ask(stack, load_event, luca, "contacts_mobile")
    token = token_in(_mails_since(stack, before)[-1])
    usable_from = time.time() + COOL_OFF_S
    if stage == "scheduled":
        confirmed = _factor_changes(stack, load_event, "confirm", token)
        usable_from = confirmed.body["usable_from"]
        token = token_in(stack.deliver()[-1])
    before_item, mails = _person_item(stack), len(stack.deliver())
    # When Luca cancels it from the link in his mailbox
    cancelled = _factor_changes(stack, load_event, "cancel", token)
    # Then it is dropped, and he is told to change his password
    assert (cancelled.status, cancelled.body) == (200, {"change": "mobile", "cancelled": True})
    notice = _mails_since(stack, mails)
    assert [mail["to"] for mail in notice] == [LUCA_EMAIL]
    assert "annullata" in notice[0]["text"]
    # And neither completing after the cool-off nor confirming again does anything
    for action in ("complete", "confirm", "cancel"):
        late = _factor_changes(stack, load_event, action, token, at=usable_from + 1)
        assert late.status in (400, 410), (action, late.body)
    assert _person_item(stack) == before_item
    assert all(message["to"] != ATTACKER_MOBILE for message in texts(stack))


def test_the_confirmation_link_is_used_once_and_opens_nothing_else(stack, load_event, luca):
    # Given a change confirmed from Luca's mailbox
    before = len(stack.deliver())
    _ask(stack, load_event, luca, "totp_enrol")
    confirmation = token_in(_mails_since(stack, before)[-1])
    assert _factor_changes(stack, load_event, "confirm", confirmation).status == 200
    notice_link = token_in(stack.deliver()[-1])
    # When the confirmation link is used again, or used to complete, or the notice's to confirm
    replay = _factor_changes(stack, load_event, "confirm", confirmation)
    completing = _factor_changes(stack, load_event, "complete", confirmation, at=time.time() + 2 * COOL_OFF_S)
    reconfirming = _factor_changes(stack, load_event, "confirm", notice_link)
    # Then each is refused
    assert (replay.status, replay.body["code"]) == (410, "token_used")
    assert (completing.status, completing.body["code"]) == (400, "token_invalid")
    assert (reconfirming.status, reconfirming.body["code"]) == (400, "token_invalid")
    # And a contact change's token is no factor change's
    assert _factor_changes(stack, load_event, "complete", "B" * 43).status in (400, 404, 410)


def test_a_new_password_before_the_end_kills_the_scheduled_change(stack, load_event, luca):
    # Given a change scheduled with a stolen password
    token, usable_from = _scheduled(stack, load_event, luca, "contacts_email")
    # When Luca resets his password (the notice told him to)
    request_reset(stack, load_event, LUCA_EMAIL)
    assert confirm(stack, load_event, token_in(stack.deliver()[-1]), "Lavagna-Verde-77").status == 200
    # Then the change cannot be completed
    done = _factor_changes(stack, load_event, "complete", token, at=usable_from + 1)
    assert (done.status, done.body["code"]) == (410, "token_superseded")
    assert _person_item(stack)["email"]["S"] == LUCA_EMAIL


def test_a_scheduled_change_not_completed_within_a_week_expires(stack, load_event, luca):
    # Given a change scheduled and never completed
    token, usable_from = _scheduled(stack, load_event, luca, "contacts_email")
    # When its link is opened more than a week after the cool-off
    late = _factor_changes(stack, load_event, "complete", token, at=usable_from + 7 * 86_400 + 1)
    # Then it has expired
    assert (late.status, late.body["code"]) == (410, "token_expired")
