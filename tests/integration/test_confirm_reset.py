"""confirm-reset and request-reset through their handlers, against moto."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time

from chiave.credentials import user_code
from chiave.flows.register import register
from chiave.store import keys
from tests.integration.helpers import PASSWORD, activate, confirm, last_token, request_reset
from tests.pdf import pdf_text

KNOWN = "RSSMRA82C52H501K"
UNKNOWN = "BNCGNN80A01H501T"


def _scan(stack):
    dynamodb = stack.deployment.client("dynamodb")
    return dynamodb.scan(TableName=stack.deployment.refs["Table"])["Items"]


def _person(stack):
    dynamodb = stack.deployment.client("dynamodb")
    key = {name: {"S": value} for name, value in keys.person("RMIC817009", KNOWN).items()}
    return dynamodb.get_item(TableName=stack.deployment.refs["Table"], Key=key)["Item"]


def test_activation_sets_the_password_and_mails_the_user_code(stack, load_event):
    # Given an activation link
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    token = last_token(stack)
    # When the person chooses a good password
    response = confirm(stack, load_event, token)
    # Then the account is active with a valid 9-digit user code
    assert response.status == 200
    code = response.body["user_code"]
    assert response.body["status"] == "active"
    assert user_code.is_valid(code)
    # And a second e-mail carries the user code, never the password
    confirmation = stack.deliver()[-1]
    assert confirmation["subject"] == "Registrazione completata"
    assert code in confirmation["text"]
    assert PASSWORD not in confirmation["text"] + confirmation["html"]
    assert token not in confirmation["text"]


def test_passwords_are_stored_as_argon2id_hashes(stack, load_event):
    activate(stack, load_event, KNOWN)
    stored = _person(stack)["password_hash"]["S"]
    assert stored.startswith("$argon2id$v=19$m=19456,t=3,p=1$")
    assert PASSWORD not in str(_scan(stack))


def test_only_the_sha256_of_a_token_is_stored(stack, load_event):
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    token = last_token(stack)
    items = str(_scan(stack))
    assert token not in items
    assert f"FLOW#{hashlib.sha256(token.encode()).hexdigest()}" in items


def test_a_link_works_once(stack, load_event):
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    token = last_token(stack)
    assert confirm(stack, load_event, token).status == 200
    again = confirm(stack, load_event, token, "Another-Pass-77")
    assert (again.status, again.body["code"]) == (410, "token_used")


def test_a_present_but_expired_link_is_refused(stack, load_event):
    # Given a link issued 73 hours ago: moto, like DynamoDB, still holds the item
    with stack.env():
        register("RMIC817009", KNOWN, "198.51.100.7", now=time.time() - 73 * 3600)
    token = last_token(stack)
    assert any(item["PK"]["S"].startswith("FLOW#") for item in _scan(stack))
    # When it is used
    response = confirm(stack, load_event, token)
    # Then it is refused as expired, and nothing changed
    assert (response.status, response.body["code"]) == (410, "token_expired")
    assert _person(stack)["status"]["S"] == "pending"


def test_an_unknown_or_malformed_token_is_invalid(stack, load_event):
    for token in ("A" * 43, "not-a-token", "x" * 128):
        response = confirm(stack, load_event, token)
        assert (response.status, response.body["code"]) == (400, "token_invalid")


def test_otp_is_required_for_activation_when_the_policy_says_so(stack, load_event):
    # Given the spec's default: OTP required for activation
    stack.set_policy(otp_required_for_activation=True)
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    token = last_token(stack)
    # When the password is confirmed before any OTP
    response = confirm(stack, load_event, token)
    # Then it is refused, and the link stays usable
    assert (response.status, response.body["code"]) == (403, "otp_required")
    status = stack.call("FlowStatusFunction", load_event("flow_status", body={"token": token}))
    assert status.body["otp_required"] is True and status.body["otp_verified"] is False


def test_weak_passwords_are_refused_naming_every_failed_rule(stack, load_event):
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    token = last_token(stack)
    response = confirm(stack, load_event, token, "rossi")
    assert (response.status, response.body["code"]) == (422, "weak_password")
    rules = {rule["rule"] for rule in response.body["rules"]}
    assert rules == {"min_length", "digit", "uppercase", "special", "personal_data"}
    english = confirm(stack, load_event, token, "Password1!", **{"Accept-Language": "en"})
    assert english.body["title"] == "Password not accepted"
    assert english.body["rules"] == [{"rule": "common", "description": "must not be a common password"}]
    # The link was not consumed by the refusals
    assert confirm(stack, load_event, token).status == 200


def test_reset_by_each_identifier_mails_a_recovery_link(stack, load_event):
    code = activate(stack, load_event, KNOWN)
    for identifier in (KNOWN, code, "Maria.Rossi@Example.it"):
        before = len(stack.deliver())
        response = request_reset(stack, load_event, identifier)
        assert response.status == 202
        emails = stack.deliver()
        assert len(emails) == before + 1
        assert "https://registro.example.it/recupera#token=" in emails[-1]["text"]
        assert code in emails[-1]["text"]


def test_reset_answers_the_same_for_unknown_and_pending_people(stack, load_event):
    code = activate(stack, load_event, KNOWN)
    answers = []
    for identifier in (KNOWN, code, UNKNOWN, "VRDGLI85L61H501C", "nobody@example.it", "100000009"):
        response = request_reset(stack, load_event, identifier)
        answers.append((response.status, response.headers, response.raw["body"]))
    assert all(answer == answers[0] for answer in answers), answers


def test_a_mistyped_user_code_is_caught_before_any_lookup(stack, load_event):
    code = activate(stack, load_event, KNOWN)
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    response = request_reset(stack, load_event, wrong)
    assert (response.status, response.body["code"]) == (422, "invalid_user_code")


def test_confirming_a_reset_kills_every_other_open_link(stack, load_event):
    # Given an active account with two reset links and one older activation link
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    stale_activation = last_token(stack)
    code = activate(stack, load_event, KNOWN)
    request_reset(stack, load_event, KNOWN)
    first = last_token(stack)
    request_reset(stack, load_event, code)
    second = last_token(stack)
    # When one reset is confirmed
    done = confirm(stack, load_event, second, "Nuova-Password-2026")
    assert done.body == {"user_code": code, "status": "active"}
    # Then the other links are dead
    for token in (first, stale_activation):
        response = confirm(stack, load_event, token, "Ancora-Altra-99")
        assert (response.status, response.body["code"]) == (410, "token_used")
        status = stack.call("FlowStatusFunction", load_event("flow_status", body={"token": token}))
        assert status.status == 410
    # And a notice without secrets tells the owner
    notice = stack.deliver()[-1]
    assert notice["subject"] == "La password è stata cambiata"
    assert "Nuova-Password-2026" not in notice["text"] + notice["html"]
    assert "#token=" not in notice["text"]


def test_a_disabled_account_cannot_use_an_open_link_and_the_link_survives(stack, load_event):
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    token = last_token(stack)
    dynamodb = stack.deployment.client("dynamodb")
    key = {name: {"S": value} for name, value in keys.person("RMIC817009", KNOWN).items()}
    dynamodb.update_item(
        TableName=stack.deployment.refs["Table"],
        Key=key,
        UpdateExpression="SET #s = :d",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":d": {"S": "disabled"}},
    )
    response = confirm(stack, load_event, token)
    assert (response.status, response.body["code"]) == (403, "account_unavailable")
    flows = [item for item in _scan(stack) if item["PK"]["S"].startswith("FLOW#")]
    assert all("used_at" not in item for item in flows)


def test_in_person_identification_keeps_the_account_waiting_and_mails_the_adhesion_form(stack, load_event):
    # Given a school that identifies its parents in person
    stack.set_policy(otp_required_for_activation=False, in_person_identification=True)
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    # When Maria sets her password
    response = confirm(stack, load_event, last_token(stack))
    # Then her account waits, and the answer carries the form the page prints
    assert response.body["status"] == "awaiting_identification"
    code = response.body["user_code"]
    form = response.body["adhesion_form"]
    assert form["reference"] == f"ADE-RMIC817009-{code}"
    assert (form["codice_fiscale"], form["surname"], form["name"]) == (KNOWN, "Rossi", "Maria")
    # And the confirmation e-mail says what to bring, with the form as a PDF holding her details
    mail = stack.deliver()[-1]
    assert mail["subject"] == "Registrazione completata: ultimo passo in segreteria"
    assert "documento d'identità" in mail["text"] and form["reference"] in mail["text"]
    [attachment] = mail["attachments"]
    assert (attachment["content_type"], attachment["filename"]) == (
        "application/pdf",
        f"modulo-adesione-{form['reference']}.pdf",
    )
    text = pdf_text(base64.b64decode(attachment["base64"]))
    for expected in (KNOWN, "Rossi", "Maria", code, form["reference"], "documento d'identità", "Firma"):
        assert expected in text, expected
    assert time.strftime("%d/%m/%Y") in text


def test_an_activation_without_in_person_identification_attaches_nothing(stack, load_event):
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    response = confirm(stack, load_event, last_token(stack))
    assert response.body["status"] == "active" and "adhesion_form" not in response.body
    assert stack.deliver()[-1]["attachments"] == []


def test_a_replayed_confirmation_answers_the_same_form(stack, load_event):
    # Given an in-person school's activation whose answer was lost
    stack.set_policy(otp_required_for_activation=False, in_person_identification=True)
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    token = last_token(stack)
    first = confirm(stack, load_event, token, key="k" * 32)
    # When the page sends the same confirmation again
    again = confirm(stack, load_event, token, key="k" * 32)
    # Then it gets the same form back
    assert again.status == 200 and again.body["adhesion_form"] == first.body["adhesion_form"]


def test_flow_status_describes_the_link(stack, load_event):
    stack.set_policy(otp_required_for_activation=False, password_profile="nist")
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    token = last_token(stack)
    response = stack.call("FlowStatusFunction", load_event("flow_status", body={"token": token}))
    assert response.status == 200
    assert response.body["purpose"] == "activation"
    assert response.body["expires_at"] > time.time() + 71 * 3600
    policy = response.body["password_policy"]
    assert (policy["profile"], policy["min_length"], policy["max_length"]) == ("nist", 15, 128)
    assert "digit" not in {rule["rule"] for rule in policy["rules"]}


def test_flow_status_refuses_a_present_but_expired_link(stack, load_event):
    with stack.env():
        register("RMIC817009", KNOWN, "198.51.100.7", now=time.time() - 73 * 3600)
    token = last_token(stack)
    response = stack.call("FlowStatusFunction", load_event("flow_status", body={"token": token}))
    assert (response.status, response.body["code"]) == (410, "token_expired")


def test_explicit_reset_messages(stack, load_event):
    stack.set_policy(disclosure="explicit")
    pending = request_reset(stack, load_event, KNOWN)
    assert (pending.status, pending.body["code"]) == (404, "account_not_found")
    # The seed's facts (no account: register first), in Chiave's voice
    assert pending.body["detail"] == (
        "Non c'è un account per quello che hai scritto. Registrati prima con il tuo codice fiscale."
    )
    stack.set_policy(otp_required_for_activation=False)
    activate(stack, load_event, KNOWN)
    stack.set_policy(disclosure="explicit")
    found = request_reset(stack, load_event, KNOWN)
    assert (found.status, found.body["email_hint"]) == (202, "m*****i@example.it")


def test_reset_requests_per_identifier_are_limited(stack, load_event):
    # Given a school allowing 2 requests per identifier per hour
    stack.set_policy(otp_required_for_activation=False, requests_per_identifier_per_hour=2)
    code = activate(stack, load_event, KNOWN)
    statuses = [request_reset(stack, load_event, code).status for _ in range(3)]
    # Then the third is refused, and another identifier of the same person still counts apart
    assert statuses == [202, 202, 429]
    assert request_reset(stack, load_event, KNOWN).status == 202


PAGE_KEY = "k" * 8 + secrets.token_urlsafe(16)


def test_a_confirmation_sent_again_gets_its_original_answer(stack, load_event):
    # Given a confirmation, with its page's key, whose answer the parent's browser lost
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    token = last_token(stack)
    first = confirm(stack, load_event, token, key=PAGE_KEY)
    assert first.status == 200
    mails = len(stack.deliver())
    # When the browser sends the same confirmation again
    again = confirm(stack, load_event, token, key=PAGE_KEY)
    # Then it gets the same answer (the user code is never lost), and no second e-mail
    assert (again.status, again.body) == (200, first.body)
    assert len(stack.deliver()) == mails
    # But another key, or none, on the used link is refused
    other = confirm(stack, load_event, token, "Another-Pass-77", key=PAGE_KEY[::-1])
    assert (other.status, other.body["code"]) == (410, "token_used")


def test_a_used_link_never_tests_a_password(stack, load_event, monkeypatch):
    # Given a used link that someone else has (browser history, a shared screen), without the page's key
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    token = last_token(stack)
    assert confirm(stack, load_event, token, key=PAGE_KEY).status == 200
    from chiave.credentials import passwords

    verified = []
    monkeypatch.setattr(passwords, "verify_secret", lambda *args: verified.append(args) or True)
    # When they try passwords on it, the right one among them
    answers = [confirm(stack, load_event, token, guess) for guess in ("Wrong-Pass-11", PASSWORD)]
    # Then every answer is the used link's, and no password was checked
    assert [(a.status, a.body["code"]) for a in answers] == [(410, "token_used")] * 2
    assert verified == []


def test_a_superseded_link_at_its_sms_step_is_dead_not_waiting_for_a_code(stack, load_event):
    # Given an activation link that wants an SMS code, superseded by a password set through another link
    stack.set_policy(otp_required_for_activation=True)
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    stale = last_token(stack)
    stack.set_policy(otp_required_for_activation=False)
    activate(stack, load_event, KNOWN)
    # When the old link is confirmed
    answer = confirm(stack, load_event, stale)
    # Then it is a used link, not a step to go on with
    assert (answer.status, answer.body["code"]) == (410, "token_used")


def test_the_original_answer_is_given_again_only_for_a_while(stack, load_event):
    from chiave.flows.confirm_reset import REPLAY_WINDOW_S

    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    token = last_token(stack)
    assert confirm(stack, load_event, token, key=PAGE_KEY).status == 200
    # Given the confirmation happened longer ago than the replay window
    dynamodb = stack.deployment.client("dynamodb")
    key = {
        name: {"S": value} for name, value in keys.flow(hashlib.sha256(token.encode()).hexdigest()).items()
    }
    used_at = int(time.time()) - REPLAY_WINDOW_S - 1
    dynamodb.update_item(
        TableName=stack.deployment.refs["Table"],
        Key=key,
        UpdateExpression="SET used_at = :t",
        ExpressionAttributeValues={":t": {"N": str(used_at)}},
    )
    # Then the same confirmation meets a used link
    again = confirm(stack, load_event, token, key=PAGE_KEY)
    assert (again.status, again.body["code"]) == (410, "token_used")


def test_a_dead_link_is_told_before_the_password_rules(stack, load_event):
    # Given a link superseded by a password set through another link
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    stale = last_token(stack)
    activate(stack, load_event, KNOWN)
    # When a weak password is sent with it, Then the answer is about the link
    response = confirm(stack, load_event, stale, "weak")
    assert (response.status, response.body["code"]) == (410, "token_used")
