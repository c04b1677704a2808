"""The credential life after activation (SPEC §2.6, §5, §6): issue-pin, the
register's internal checks, change-password, and the lockout every login
meets, against moto."""

from __future__ import annotations

import itertools
import json
import re
import resource
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from unittest import mock

import argon2
import pytest

from chiave.credentials import passwords
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
    last_token,
    request_reset,
    verify_credentials,
    verify_pin,
)

MARIA = "RSSMRA82C52H501K"  # maria.rossi@example.it, +393331234567
MARIA_EMAIL = "maria.rossi@example.it"
WRONG = "Sbagliata-Del-Tutto-1"
NEW_PASSWORD = "Lavagna-Verde-77"
UNKNOWN_USER_CODE = "123456782"  # a valid check digit, nobody's


@pytest.fixture
def maria(stack, load_event) -> str:
    """Maria, active, with PASSWORD; her user code."""
    stack.set_policy(otp_required_for_activation=False)
    return activate(stack, load_event, MARIA)


def _login_item(stack, cf: str = MARIA) -> dict[str, Any]:
    """Where an account's login failures count, whatever identifier was used."""
    dynamodb = stack.deployment.client("dynamodb")
    key = {name: {"S": value} for name, value in keys.account_login(SCHOOL, cf).items()}
    return dynamodb.get_item(TableName=stack.deployment.refs["Table"], Key=key).get("Item", {})


def _person_item(stack, cf: str = MARIA) -> dict[str, Any]:
    dynamodb = stack.deployment.client("dynamodb")
    key = {name: {"S": value} for name, value in keys.person(SCHOOL, cf).items()}
    return dynamodb.get_item(TableName=stack.deployment.refs["Table"], Key=key)["Item"]


def _set_on_person(stack, cf: str = MARIA, **values: str) -> None:
    dynamodb = stack.deployment.client("dynamodb")
    key = {name: {"S": value} for name, value in keys.person(SCHOOL, cf).items()}
    names = {f"#{name}": name for name in values}
    dynamodb.update_item(
        TableName=stack.deployment.refs["Table"],
        Key=key,
        UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in values),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={f":{name}": {"S": value} for name, value in values.items()},
    )


def _serve_the_lock(stack, cf: str = MARIA) -> None:
    """Move the account's last failure back past any lock (24 h at most)."""
    dynamodb = stack.deployment.client("dynamodb")
    key = {name: {"S": value} for name, value in keys.account_login(SCHOOL, cf).items()}
    item = _login_item(stack, cf)
    dynamodb.update_item(
        TableName=stack.deployment.refs["Table"],
        Key=key,
        UpdateExpression="SET last_failure_at = :past",
        ExpressionAttributeValues={":past": {"N": str(int(item["last_failure_at"]["N"]) - 24 * 3600 - 1)}},
    )


def _emails_to(stack, address: str) -> list[dict[str, Any]]:
    return [mail for mail in stack.deliver() if address in mail["to"]]


# ---- issue-pin ----------------------------------------------------------------------


def test_a_pin_is_shown_once_replaces_the_old_one_and_the_notice_never_carries_it(stack, load_event, maria):
    # Given an active parent (default policy: pin_delivery response)
    # When she asks for a PIN with her user code and password
    first = issue_pin(stack, load_event, maria)
    # Then it is shown once, pin_length digits, never cached
    assert first.status == 201, first.body
    pin = first.body["pin"]
    assert re.fullmatch(r"\d{6}", pin) and first.headers["Cache-Control"] == "no-store"
    # And the register's check accepts it
    assert verify_pin(stack, load_event, maria, pin).body == {"verified": True, "user_code": maria}
    # And she is told by e-mail, without the PIN
    notice = _emails_to(stack, MARIA_EMAIL)[-1]
    assert "PIN" in notice["subject"] and pin not in notice["text"] and pin not in notice["html"]
    # When she asks again (by e-mail this time)
    second = issue_pin(stack, load_event, MARIA_EMAIL).body["pin"]
    # Then the old PIN stops working at once and the new one works
    assert verify_pin(stack, load_event, maria, pin).status == 401 or pin == second
    assert verify_pin(stack, load_event, maria, second).status == 200
    # And only hashes are stored: argon2id over a keyed hash, with the pepper's version
    person = _person_item(stack)
    assert person["pin_hash"]["S"].startswith("$argon2id$") and second not in json.dumps(person)
    assert person["pin_pepper_version"]["S"] == "1"


def test_a_school_may_e_mail_the_pin_instead_as_axios_does(stack, load_event, maria):
    stack.set_policy(otp_required_for_activation=False, pin_delivery="email", pin_length=8)
    # When a parent asks for a PIN
    answer = issue_pin(stack, load_event, maria)
    # Then the answer says where it went, and never carries it
    assert answer.status == 202 and "pin" not in answer.body
    assert "e-mail" in answer.body["message"]
    # And the e-mail carries it, and it works
    mail = _emails_to(stack, MARIA_EMAIL)[-1]
    pin = re.search(r"è: (\d{8})", mail["text"]).group(1)
    assert verify_pin(stack, load_event, maria, pin).status == 200


def test_wrong_pins_lock_the_pin_until_a_new_one_is_issued(stack, load_event, maria):
    stack.set_policy(otp_required_for_activation=False, pin_max_attempts=3)
    pin = issue_pin(stack, load_event, maria).body["pin"]
    wrong = f"{(int(pin) + 1) % 10**6:06d}"
    # When the register sends three wrong PINs
    answers = [verify_pin(stack, load_event, maria, wrong) for _ in range(3)]
    # Then the first two are refused and the third locks the PIN
    assert [answer.body["code"] for answer in answers] == ["pin_invalid", "pin_invalid", "pin_locked"]
    assert [answer.status for answer in answers] == [401, 401, 423]
    # And even the right PIN is refused now
    assert verify_pin(stack, load_event, maria, pin).body["code"] == "pin_locked"
    # Until a new PIN is issued
    fresh = issue_pin(stack, load_event, maria).body["pin"]
    assert verify_pin(stack, load_event, maria, fresh).status == 200


def test_a_right_pin_forgives_the_wrong_ones_before_it(stack, load_event, maria):
    stack.set_policy(otp_required_for_activation=False, pin_max_attempts=2)
    pin = issue_pin(stack, load_event, maria).body["pin"]
    wrong = f"{(int(pin) + 1) % 10**6:06d}"
    for _ in range(3):
        assert verify_pin(stack, load_event, maria, wrong).status == 401
        assert verify_pin(stack, load_event, maria, pin).status == 200


def test_parallel_pin_guesses_never_check_more_pins_than_the_limit(stack, load_event, maria):
    # Given a register backend (or whoever holds its role) firing 30 PINs at once at a limit of 5
    from chiave.credentials import pins

    stack.set_policy(otp_required_for_activation=False, pin_max_attempts=5)
    pin = issue_pin(stack, load_event, maria).body["pin"]
    guesses = [f"{(int(pin) + step) % 10**6:06d}" for step in range(1, 30)] + [pin]
    checked = []
    real_verify = pins.verify_pin

    def counting(*args):
        checked.append(args[-1])
        time.sleep(0.02)  # argon2's time: the window a check-then-act race needs
        return real_verify(*args)

    with mock.patch.object(pins, "verify_pin", counting), ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(lambda guess: verify_pin(stack, load_event, maria, guess).status, guesses))
    # Then no more than 5 PINs were ever checked, and the right one passed only if it was among them
    assert len(checked) <= 5
    assert (statuses[-1] == 200) == (pin in checked)
    assert set(statuses) <= {200, 401, 423}


def test_a_pin_for_nobody_or_before_any_pin_is_just_invalid(stack, load_event, maria):
    assert verify_pin(stack, load_event, UNKNOWN_USER_CODE, "123456").body["code"] == "pin_invalid"
    assert verify_pin(stack, load_event, maria, "123456").body["code"] == "pin_invalid"
    assert verify_pin(stack, load_event, "123456789", "123456").body["code"] == "invalid_user_code"


def test_a_school_may_require_an_sms_code_before_a_pin(stack, load_event, maria):
    stack.set_policy(otp_required_for_activation=False, otp_required_for_pin=True)
    # When the parent asks for a PIN
    first = issue_pin(stack, load_event, maria)
    # Then she is asked for an SMS code, on a short-lived flow of her own
    assert first.status == 403 and first.body["code"] == "otp_required"
    assert first.body["phone_hint"] == "+39 *** *** **67" and first.body["expires_in"] == 900
    token = first.body["token"]
    status = stack.call("FlowStatusFunction", load_event("flow_status", body={"token": token})).body
    assert status["purpose"] == "pin" and status["otp_required"] and not status["otp_verified"]
    # And the token alone gets no PIN, nor sets a password
    assert issue_pin(stack, load_event, maria, token=token).body["code"] == "otp_required"
    assert confirm(stack, load_event, token).body["code"] == "token_invalid"
    # When the code is sent and verified
    assert stack.call("SendOtpFunction", load_event("send_otp", body={"token": token})).status == 202
    stack.deliver()
    code = re.search(r"#(\d{6})$", sent.outbox(REGION)["sms"][-1]["text"]).group(1)
    verified = stack.call("VerifyOtpFunction", load_event("verify_otp", body={"token": token, "code": code}))
    assert verified.body == {"verified": True}
    # Then the request made again with the token gets the PIN, once
    issued = issue_pin(stack, load_event, maria, token=token)
    assert issued.status == 201
    assert verify_pin(stack, load_event, maria, issued.body["pin"]).status == 200
    assert issue_pin(stack, load_event, maria, token=token).body["code"] == "token_used"
    # And another account's login cannot use her token
    stack.set_policy(otp_required_for_activation=False, otp_required_for_pin=False)
    other = activate(stack, load_event, "BNCLCU79S05F205Y")
    stack.set_policy(otp_required_for_activation=False, otp_required_for_pin=True)
    assert issue_pin(stack, load_event, other, token=token).body["code"] == "token_invalid"


# ---- lockout -------------------------------------------------------------------------


def test_wrong_passwords_lock_the_login_and_each_new_lock_doubles(stack, load_event, maria):
    stack.set_policy(otp_required_for_activation=False, login_max_failures=3, login_lock_s=60)
    # When three wrong passwords are given
    answers = [issue_pin(stack, load_event, maria, WRONG) for _ in range(3)]
    # Then the first two are invalid and the third locks, for login_lock_s
    assert [answer.status for answer in answers] == [401, 401, 423]
    assert int(answers[2].headers["Retry-After"]) == answers[2].body["retry_after"] == 60
    # And a locked login answers 423 even to the right password
    locked = issue_pin(stack, load_event, maria)
    assert locked.status == 423 and 0 < int(locked.headers["Retry-After"]) <= 60
    # And its holder is told by e-mail, once
    locks = [mail for mail in _emails_to(stack, MARIA_EMAIL) if "bloccato" in mail["subject"]]
    assert len(locks) == 1 and "1 minuti" in locks[0]["text"]
    # When the lock is served and three more wrong passwords come
    _serve_the_lock(stack)
    again = [issue_pin(stack, load_event, maria, WRONG) for _ in range(3)]
    # Then the new lock lasts twice as long
    assert again[-1].status == 423 and again[-1].body["retry_after"] == 120
    _serve_the_lock(stack)
    assert [issue_pin(stack, load_event, maria, WRONG) for _ in range(3)][-1].body["retry_after"] == 240


def test_one_lockout_per_account_whatever_login_names_it(stack, load_event, maria):
    # Given a limit of 4, and wrong passwords by e-mail and by user code in turn
    stack.set_policy(otp_required_for_activation=False, login_max_failures=4)
    logins = [MARIA_EMAIL, maria] * 2
    answers = [verify_credentials(stack, load_event, login, WRONG).status for login in logins]
    # Then they add up to one lock, on every identifier
    assert answers == [401, 401, 401, 423]
    assert {verify_credentials(stack, load_event, login).status for login in (MARIA_EMAIL, maria)} == {423}
    # And once it is served, a success by one identifier clears it for the other too
    _serve_the_lock(stack)
    assert verify_credentials(stack, load_event, MARIA_EMAIL).status == 200
    assert [verify_credentials(stack, load_event, maria, WRONG).status for _ in range(3)] == [401] * 3


def test_an_unknown_login_still_locks_on_its_own(stack, load_event, maria):
    stack.set_policy(otp_required_for_activation=False, login_max_failures=2)
    answers = [verify_credentials(stack, load_event, "nessuno@example.it", WRONG).status for _ in range(3)]
    assert answers == [401, 423, 423]
    assert verify_credentials(stack, load_event, maria).status == 200


def test_a_lock_never_lasts_longer_than_a_day(stack, load_event, maria):
    stack.set_policy(otp_required_for_activation=False, login_max_failures=1, login_lock_s=86_400)
    assert issue_pin(stack, load_event, maria, WRONG).body["retry_after"] == 86_400
    _serve_the_lock(stack)
    assert issue_pin(stack, load_event, maria, WRONG).body["retry_after"] == 86_400


def test_a_successful_login_forgets_the_failures(stack, load_event, maria):
    stack.set_policy(otp_required_for_activation=False, login_max_failures=3)
    for _ in range(2):
        assert issue_pin(stack, load_event, maria, WRONG).status == 401
    assert issue_pin(stack, load_event, maria).status == 201
    assert int(_login_item(stack).get("failures", {"N": "0"})["N"]) == 0
    for _ in range(2):
        assert issue_pin(stack, load_event, maria, WRONG).status == 401
    assert issue_pin(stack, load_event, maria).status == 201


def test_a_reset_by_e_mail_link_clears_the_lock(stack, load_event, maria):
    stack.set_policy(otp_required_for_activation=False, login_max_failures=2)
    for login in (maria, MARIA_EMAIL):
        for _ in range(2):
            issue_pin(stack, load_event, login, WRONG)
        assert issue_pin(stack, load_event, login).status == 423
    # When the parent resets her password by the e-mailed link
    assert request_reset(stack, load_event, MARIA).status == 202
    assert confirm(stack, load_event, last_token(stack), NEW_PASSWORD).status == 200
    # Then every login of hers works again at once
    assert issue_pin(stack, load_event, maria, NEW_PASSWORD).status == 201
    assert issue_pin(stack, load_event, MARIA_EMAIL, NEW_PASSWORD).status == 201


def _calls_of(stack, function_id, event, monkeypatch) -> tuple[Any, list[str], int]:
    """The answer, the AWS operations made and the argon2 verifications done."""
    import botocore.client

    operations: list[str] = []
    verifications = Counter()
    original_call = botocore.client.BaseClient._make_api_call
    original_verify = argon2.PasswordHasher.verify

    def recording(client, operation, params):
        operations.append(operation)
        return original_call(client, operation, params)

    def counting(self, stored, secret):
        verifications["argon2"] += 1
        return original_verify(self, stored, secret)

    with monkeypatch.context() as patch:
        patch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
        patch.setattr(argon2.PasswordHasher, "verify", counting)
        answer = stack.call(function_id, event)
    return answer, operations, verifications["argon2"]


@pytest.mark.parametrize("unknown", [UNKNOWN_USER_CODE, "nessuno@example.it"])
@pytest.mark.parametrize(
    ("function_id", "sample", "password_field"),
    [
        ("IssuePinFunction", "issue_pin", "password"),
        ("ChangePasswordFunction", "change_password", "current_password"),
        ("VerifyCredentialsFunction", "verify_credentials", "password"),
    ],
)
def test_an_unknown_login_answers_exactly_as_a_wrong_password(
    stack, load_event, maria, monkeypatch, unknown, function_id, sample, password_field
):
    stack.set_policy(otp_required_for_activation=False, login_max_failures=3)
    known = maria if unknown.isdigit() else MARIA_EMAIL
    extra = {"new_password": NEW_PASSWORD} if sample == "change_password" else {}

    def event(login):
        return load_event(sample, body={"school": SCHOOL, "login": login, password_field: WRONG, **extra})

    stack.deliver()
    # When a wrong password and an unknown login are tried, the same number of times
    for attempt in range(3):
        wrong, wrong_calls, wrong_work = _calls_of(stack, function_id, event(known), monkeypatch)
        nobody, nobody_calls, nobody_work = _calls_of(stack, function_id, event(unknown), monkeypatch)
        # Then status, body, headers, AWS calls and argon2 work are the same, also when the login locks
        assert (wrong.status, wrong.body) == (nobody.status, nobody.body), attempt
        assert wrong.headers == nobody.headers
        assert wrong_calls == nobody_calls and wrong_work == nobody_work == 1
    assert wrong.status == nobody.status == 423
    # And only the real holder is mailed about the lock (nobody's notice is a cover)
    assert len([mail for mail in stack.deliver() if "bloccato" in mail["subject"]]) == 1


@pytest.mark.parametrize("max_failures", [10, 100])
def test_a_burst_of_wrong_passwords_is_counted_exactly(stack, load_event, maria, max_failures):
    stack.set_policy(otp_required_for_activation=False, login_max_failures=max_failures)
    # When 50 wrong passwords arrive in a burst (the in-process stack runs them one at a time)
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda _: verify_credentials(stack, load_event, maria, WRONG), range(50)))
    # Then each one counts, and never past the rule: the one that fills the series locks
    counted = min(50, max_failures)
    assert int(_login_item(stack)["failures"]["N"]) == counted
    statuses = Counter(answer.status for answer in answers)
    assert statuses == ({401: 50} if max_failures > 50 else {401: counted - 1, 423: 50 - counted + 1})


@pytest.mark.parametrize("max_failures", [10, 100])
def test_fifty_attempts_racing_on_the_table_are_reserved_exactly(stack, maria, max_failures):
    """The store's reservation, from 50 threads at once (what 50 containers
    would do): an attempt is counted before any secret is checked."""
    import threading

    from chiave.errors import AccountLocked
    from chiave.policy import Policy
    from chiave.store import logins

    policy = Policy(login_max_failures=max_failures)
    start = threading.Barrier(50)
    now = int(time.time())
    key = keys.account_login(SCHOOL, MARIA)

    def attempt(_: int) -> str:
        start.wait()
        try:
            logins.reserve(key, policy, now)
        except AccountLocked:
            return "locked"
        return "reserved"

    # Given 50 attempts on one account at once
    with stack.env("VerifyCredentialsFunction"), ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = Counter(pool.map(attempt, range(50)))
    # Then exactly min(50, maximum) are reserved, the rest meet the lock
    counted = min(50, max_failures)
    assert outcomes == Counter({"reserved": counted, "locked": 50 - counted})
    assert int(_login_item(stack)["failures"]["N"]) == counted


@pytest.mark.parametrize("sample", ["verify_credentials", "issue_pin"])
def test_parallel_guesses_never_check_more_passwords_than_the_limit(stack, load_event, maria, sample):
    # Given an attacker firing 40 guesses at once at a limit of 10, the right password among them
    stack.set_policy(otp_required_for_activation=False, login_max_failures=10, requests_per_ip_per_hour=1000)
    checked = []
    real_verify = passwords.verify_any

    def counting(hashes, password):
        checked.append(password)
        time.sleep(0.02)  # argon2's time: the window a check-then-act race needs
        return real_verify(hashes, password)

    guesses = [f"Sbagliata-{index:02d}!" for index in range(39)] + [PASSWORD]
    function_id = "VerifyCredentialsFunction" if sample == "verify_credentials" else "IssuePinFunction"

    def guess(password: str) -> int:
        body = {"school": SCHOOL, "login": maria, "password": password}
        return int(stack.call(function_id, load_event(sample, body=body)).status)

    with mock.patch.object(passwords, "verify_any", counting), ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(guess, guesses))
    # Then no more than 10 passwords were ever checked, and the right one got in only if it was among them
    assert len(checked) <= 10
    success = 200 if sample == "verify_credentials" else 201
    assert (statuses[-1] == success) == (PASSWORD in checked)
    assert statuses.count(success) <= 1 and set(statuses) <= {success, 401, 423}


def test_fifty_argon2_verifications_at_once_stay_within_fifty_memories():
    # Given 50 threads verifying at once (argon2 releases the GIL: they overlap)
    stored = passwords.hash_secret(PASSWORD)
    peak_before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = threading.Barrier(50)

    def verify(_: int) -> bool:
        start.wait()
        return passwords.verify_secret(stored, WRONG)

    with ThreadPoolExecutor(max_workers=50) as pool:
        assert not any(pool.map(verify, range(50)))
    # Then the process grew by at most 50 × 19 MiB (and some thread stacks)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before_kib) / 1024
    assert grown_mib <= 50 * passwords.ARGON2_MEMORY_KIB / 1024 + 64


def test_one_address_cannot_try_a_password_across_a_school(stack, load_event, maria):
    # Given the smallest per-address limit
    stack.set_policy(otp_required_for_activation=False, requests_per_ip_per_hour=10)
    # (the address already registered once: the same counter as every flow's)
    logins = [f"genitore{n}@example.it" for n in range(9)]
    # When one address tries one password against nine more logins
    answers = [issue_pin(stack, load_event, login, "Password123!") for login in logins]
    assert {answer.status for answer in answers} == {401}
    # Then the next attempt, whatever the login, is refused before any check
    refused = issue_pin(stack, load_event, maria)
    assert refused.status == 429 and int(refused.headers["Retry-After"]) > 0
    # But the register's internal check is exempt: its calls all come from one backend
    assert verify_credentials(stack, load_event, maria).status == 200


# ---- the register's credential check --------------------------------------------------


def test_the_register_checks_a_login_and_password(stack, load_event, maria):
    # When the register's backend sends a parent's login and password, with her address
    answer = verify_credentials(stack, load_event, MARIA_EMAIL)
    # Then it learns who she is
    assert answer.status == 200
    assert answer.body == {
        "user_code": maria,
        "codice_fiscale": MARIA,
        "role": "genitore",
        "status": "active",
        "must_change_password": False,
    }
    # And a wrong password is 401, counted toward the same lockout as every login
    stack.set_policy(otp_required_for_activation=False, login_max_failures=2)
    assert verify_credentials(stack, load_event, maria, WRONG).status == 401
    assert verify_credentials(stack, load_event, maria, WRONG).status == 423
    assert issue_pin(stack, load_event, maria).status == 423


def test_a_hash_with_older_parameters_is_upgraded_at_the_next_login(stack, load_event, maria):
    # Given a password and a PIN hashed with the OWASP minimum (t=2), as before this release
    from chiave.credentials import pepper

    older = argon2.PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1, type=argon2.Type.ID)
    pin = issue_pin(stack, load_event, maria).body["pin"]
    with stack.env("IssuePinFunction"):
        keyed = pepper.keyed_hash(pepper.current(), "pin", SCHOOL, MARIA, pin)
    pin_hash = older.hash(keyed)
    _set_on_person(stack, password_hash=older.hash(PASSWORD), pin_hash=pin_hash)
    assert passwords.needs_rehash(_person_item(stack)["pin_hash"]["S"])
    # When the register checks them
    assert verify_credentials(stack, load_event, maria).status == 200
    assert verify_pin(stack, load_event, maria, pin).status == 200
    # Then both are stored again with today's parameters, and still verify
    person = _person_item(stack)
    for name in ("password_hash", "pin_hash"):
        assert person[name]["S"].startswith("$argon2id$v=19$m=19456,t=3,p=1$"), name
    assert person["pin_hash"]["S"] != pin_hash
    assert verify_credentials(stack, load_event, maria).status == 200
    assert verify_pin(stack, load_event, maria, pin).status == 200
    # And a PIN request upgrades the password it verified, in the same write as the PIN
    _set_on_person(stack, password_hash=older.hash(PASSWORD))
    assert issue_pin(stack, load_event, maria).status == 201
    assert _person_item(stack)["password_hash"]["S"].startswith("$argon2id$v=19$m=19456,t=3,p=1$")


# ---- change-password -----------------------------------------------------------------


def test_change_password_kills_open_links_and_tells_the_holder(stack, load_event, maria):
    # Given an open reset link
    request_reset(stack, load_event, MARIA)
    link = last_token(stack)
    # When the parent changes her password with the current one
    changed = change_password(stack, load_event, maria, PASSWORD, NEW_PASSWORD)
    # Then it is changed; the old password is refused and the new one works
    assert changed.status == 200 and changed.body == {"changed": True}
    assert verify_credentials(stack, load_event, maria, PASSWORD).status == 401
    assert verify_credentials(stack, load_event, maria, NEW_PASSWORD).status == 200
    # And the open link died with the old password
    assert confirm(stack, load_event, link, "Un-Altra-Password-9").body["code"] == "token_used"
    # And she is told, without the password
    notice = _emails_to(stack, MARIA_EMAIL)[-1]
    assert "cambiata" in notice["subject"] and NEW_PASSWORD not in notice["text"]


def test_change_password_refuses_the_last_five_and_the_school_s_rules(stack, load_event, maria):
    chain = [PASSWORD] + [f"Quaderno-Rosso-{n}{n}" for n in range(1, 6)]
    for current, new in itertools.pairwise(chain):
        assert change_password(stack, load_event, maria, current, new).status == 200
    current = chain[-1]
    # Then the current password and the four before it are refused, by the rule's name
    for reused in chain[-5:]:
        refused = change_password(stack, load_event, maria, current, reused)
        assert refused.status == 422 and [rule["rule"] for rule in refused.body["rules"]] == ["history"]
    # And the sixth before is allowed again
    assert change_password(stack, load_event, maria, current, chain[0]).status == 200
    # And the school's rules apply, naming what failed
    weak = change_password(stack, load_event, maria, chain[0], "corta")
    assert weak.body["code"] == "weak_password" and "min_length" in [r["rule"] for r in weak.body["rules"]]
    # And a wrong current password is a login failure like any other
    assert change_password(stack, load_event, maria, WRONG, NEW_PASSWORD).status == 401


@pytest.mark.parametrize("passes_address", [True, False])
def test_the_register_s_check_limits_each_end_user_address(stack, load_event, passes_address):
    # Given a school allowing 10 attempts an hour from one address, and a register whose
    # end user (or, when it names none, whose backend) tries many parents' logins
    stack.set_policy(otp_required_for_activation=False, requests_per_ip_per_hour=10)
    extra = {"client_ip": "198.51.100.7"} if passes_address else {}
    logins = [f"nessuno{index}@example.it" for index in range(14)]

    def check(login: str, address: dict[str, str]) -> int:
        body = {"school": SCHOOL, "login": login, "password": "Sbagliata-99!", **address}
        event = load_event("verify_credentials", body=body)
        return int(stack.call("VerifyCredentialsFunction", event).status)

    # When it sends more wrong passwords than that, each for another login
    statuses = [check(login, extra) for login in logins]
    # Then the attempts past the address's limit are refused without a check
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
    # And another end user of the same register is not held back
    if passes_address:
        assert check(logins[0], {"client_ip": "198.51.100.8"}) == 401


def test_a_shared_e_mail_logs_in_the_first_activated_and_the_others_by_user_code(stack, load_event):
    # Given two parents sharing one mailbox, Anna activated a minute before Luca, with the same password
    from chiave.domain import Person, Role
    from chiave.store import people

    shared = "famiglia.bianchi@example.it"
    with stack.env():
        people.put_people(
            [
                Person(SCHOOL, "BNCLCU79S05F205Y", "Bianchi", "Luca", Role.GENITORE, email=shared),
                Person(SCHOOL, "SPSNTN75A30F839Y", "Esposito", "Anna", Role.GENITORE, email=shared),
            ]
        )
    stack.set_policy(otp_required_for_activation=False, link_emails_per_recipient_per_hour=20)
    anna = activate(stack, load_event, "SPSNTN75A30F839Y")
    with mock.patch("time.time", return_value=time.time() + 60):
        luca = activate(stack, load_event, "BNCLCU79S05F205Y")
    # When the mailbox logs in, Then it is Anna's account
    by_email = verify_credentials(stack, load_event, shared)
    assert (by_email.status, by_email.body["user_code"]) == (200, anna)
    # And Luca logs in by his user code
    assert verify_credentials(stack, load_event, luca).body["user_code"] == luca
