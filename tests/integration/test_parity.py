"""Enumeration by timing: whoever a request names, known or not, it makes the
same AWS calls and writes and queues about the same number of bytes (equal
work, not a sleep). `make bench` measures the time itself."""

from __future__ import annotations

import pytest

from chiave.domain import Person, Role
from chiave.store import people
from chiave_local.emulator.calls import measuring
from tests.integration.helpers import activate

KNOWN = "RSSMRA82C52H501K"
SHARED_MAILBOX = "famiglia.rossi@example.it"


def _work(stack, function_id, event):
    stack.call(function_id, event)  # warm: the container's clients and data key exist
    with stack.env(function_id), measuring() as made:
        response = stack.call(function_id, event)
    assert response.status == 202
    return [name for name, _ in made], dict(made)


def _close(sizes, other, tolerance=0.05):
    return all(abs(sizes[name] - other[name]) <= tolerance * other[name] for name in sizes)


@pytest.fixture
def accounts(stack, load_event):
    """Maria, active; and two parents sharing one mailbox, both active."""
    with stack.env():
        people.put_people(
            [
                Person(
                    "RMIC817009", "BNCLCU79S05F205Y", "Bianchi", "Luca", Role.GENITORE, email=SHARED_MAILBOX
                ),
                Person(
                    "RMIC817009", "SPSNTN75A30F839Y", "Esposito", "Anna", Role.GENITORE, email=SHARED_MAILBOX
                ),
            ]
        )
    codes = {cf: activate(stack, load_event, cf) for cf in (KNOWN, "BNCLCU79S05F205Y", "SPSNTN75A30F839Y")}
    stack.set_policy(
        otp_required_for_activation=False,
        requests_per_identifier_per_hour=100,
        link_emails_per_recipient_per_hour=20,
    )
    return codes


def test_register_works_the_same_for_a_known_and_an_unknown_person(stack, load_event):
    stack.set_policy(otp_required_for_activation=False, requests_per_identifier_per_hour=100)
    known = _work(
        stack, "RegisterFunction", load_event("register", body={"codice_fiscale": "BNCLCU79S05F205Y"})
    )
    unknown = _work(
        stack, "RegisterFunction", load_event("register", body={"codice_fiscale": "BNCGNN80A01H501T"})
    )
    assert known[0] == unknown[0] == ["BatchGetItem", "SendMessage", "TransactWriteItems"]
    assert _close(known[1], unknown[1])


@pytest.mark.parametrize(
    "kind, unknown",
    [("codice_fiscale", "BNCGNN80A01H501T"), ("user_code", "100000009"), ("email", "nessuno@example.it")],
)
def test_reset_works_the_same_for_a_known_and_an_unknown_identifier(
    stack, load_event, accounts, kind, unknown
):
    identifier = {"codice_fiscale": KNOWN, "user_code": accounts[KNOWN], "email": "maria.rossi@example.it"}[
        kind
    ]
    known = _work(stack, "RequestResetFunction", load_event("request_reset", body={"identifier": identifier}))
    nobody = _work(stack, "RequestResetFunction", load_event("request_reset", body={"identifier": unknown}))
    assert known[0] == nobody[0]
    assert _close(known[1], nobody[1])


def test_a_mailbox_shared_by_two_accounts_makes_the_same_calls(stack, load_event, accounts):
    shared = _work(
        stack, "RequestResetFunction", load_event("request_reset", body={"identifier": SHARED_MAILBOX})
    )
    nobody = _work(
        stack, "RequestResetFunction", load_event("request_reset", body={"identifier": "x@example.it"})
    )
    assert shared[0] == nobody[0] == ["GetItem", "Query", "SendMessage", "TransactWriteItems"]


@pytest.mark.parametrize("password", ["Quaderno-Blu-42", "Sbagliata-Del-Tutto-1"])
def test_a_login_by_a_shared_mailbox_does_the_work_of_one_account(stack, load_event, accounts, password):
    # Given a mailbox of one account and one shared by two
    from chiave.credentials import passwords

    verified = []
    real_verify = passwords.verify_any

    def counting(hashes, given):
        verified.append(len(hashes))
        return real_verify(hashes, given)

    def login(email: str) -> tuple[list[str], int]:
        body = {"school": "RMIC817009", "login": email, "password": password}
        event = load_event("verify_credentials", body=body)
        stack.call("VerifyCredentialsFunction", event)  # warm
        verified.clear()
        with stack.env("VerifyCredentialsFunction"), measuring() as made:
            status = stack.call("VerifyCredentialsFunction", event).status
        assert status in (200, 401)
        return [name for name, _ in made], sum(verified)

    stack.set_policy(otp_required_for_activation=False, login_max_failures=100)
    import unittest.mock

    with unittest.mock.patch.object(passwords, "verify_any", counting):
        one = login("maria.rossi@example.it")
        two = login(SHARED_MAILBOX)
    # Then both make the same calls and check one password hash: the time tells nothing
    assert one == two
    assert one[1] == 1


def test_a_reset_asked_at_the_sign_in_works_the_same_for_a_known_and_an_unknown_person(
    stack, load_event, accounts
):
    # The register's request goes with the link, and with the cover a request for nobody writes
    request = "R" * 43
    known = _work(
        stack,
        "RequestResetFunction",
        load_event("request_reset", body={"identifier": KNOWN, "request": request}),
    )
    nobody = _work(
        stack,
        "RequestResetFunction",
        load_event("request_reset", body={"identifier": "BNCGNN80A01H501T", "request": request}),
    )
    assert known[0] == nobody[0]
    # 1 %: the request's hash is 2 % of the write, so a cover without it would show
    assert _close(known[1], nobody[1], tolerance=0.01), (known, nobody)
