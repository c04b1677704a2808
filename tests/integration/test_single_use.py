"""Single use and expiry are enforced by the confirm transaction itself, not
only by the read before it: each condition has a test of its own, with two
confirmations interleaved deterministically at the conditional write (moto
does not lock items, so thread timing alone would prove little)."""

from __future__ import annotations

import time

import pytest

from chiave.credentials import passwords, tokens
from chiave.domain import AccountStatus
from chiave.errors import TokenExpired, TokenUsed
from chiave.store import audit, flows, keys
from tests.integration.helpers import PASSWORD, last_token

KNOWN = "RSSMRA82C52H501K"


def _open_link(stack, load_event):
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    token = last_token(stack)
    with stack.env("ConfirmResetFunction"):
        flow = flows.get_flow(tokens.token_hash(token))
    assert flow is not None and flow.used_at is None
    return flow


def _account(stack):
    dynamodb = stack.deployment.client("dynamodb")
    key = {name: {"S": value} for name, value in keys.person("RMIC817009", KNOWN).items()}
    return dynamodb.get_item(TableName=stack.deployment.refs["Table"], Key=key)["Item"]


def _complete(stack, flow, code, now):
    with stack.env("ConfirmResetFunction"):
        record = audit.entry(flow.school_id, flow.codice_fiscale, "password_set", "self", "done", 400, now)
        flows.complete_flow(
            flow, passwords.hash_secret(PASSWORD), code, AccountStatus.ACTIVE, record, "c" + code, now
        )


def test_two_confirmations_that_read_the_link_unused_complete_once(stack, load_event):
    # Given two confirmations that both read the link while it was unused
    flow = _open_link(stack, load_event)
    now = int(time.time())
    # When both write, one after the other
    _complete(stack, flow, "817536758", now)
    # Then the second is refused and the first one's user code stays
    with pytest.raises(TokenUsed):
        _complete(stack, flow, "100000009", now)
    assert _account(stack)["user_code"]["S"] == "817536758"


def test_a_used_link_is_refused_at_write_even_when_the_account_did_not_move_on(stack, load_event):
    # Given a link read unused, then marked used by someone else without a new
    # credential (so only the link's own condition can refuse the write)
    flow = _open_link(stack, load_event)
    dynamodb = stack.deployment.client("dynamodb")
    dynamodb.update_item(
        TableName=stack.deployment.refs["Table"],
        Key={name: {"S": value} for name, value in keys.flow(flow.token_sha256).items()},
        UpdateExpression="SET used_at = :now",
        ExpressionAttributeValues={":now": {"N": str(int(time.time()))}},
    )
    # When the stale confirmation writes, Then it is refused and the account is untouched
    with pytest.raises(TokenUsed):
        _complete(stack, flow, "817536758", int(time.time()))
    assert _account(stack)["status"]["S"] == "pending"
    assert "password_hash" not in _account(stack)


def test_a_link_that_expires_between_read_and_write_is_refused_at_write(stack, load_event):
    # Given a link read while open
    flow = _open_link(stack, load_event)
    # When its confirmation writes after the expiry
    later = flow.expires_at + 1
    # Then the transaction refuses it and nothing changed
    with pytest.raises(TokenExpired):
        _complete(stack, flow, "817536758", later)
    assert _account(stack)["status"]["S"] == "pending"
