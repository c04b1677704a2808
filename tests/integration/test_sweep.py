"""The expiry sweep: only expired links read (through the expiry-bucket
index), closed and counted once, one reminder per unused activation link
with a fresh link, retention honoured, live flows untouched; against moto."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from typing import Any
from unittest import mock

import pytest

from chiave.domain import Flow, Purpose
from chiave.runtime import aws
from chiave.store import flows, keys
from chiave.store import sweep as swept
from chiave.store.table import write_batch
from chiave_local.emulator.calls import failing
from tests.integration.helpers import PASSWORD, confirm, last_token

MARIA = "RSSMRA82C52H501K"
HOUR = 3600


def _sweep(stack, load_event, at: float | None = None) -> dict[str, Any]:
    with mock.patch("time.time", return_value=at or time.time()):
        result: dict[str, Any] = stack.functions.invoke("ExpirySweepFunction", load_event("expiry_sweep"))
    return result


def _registered_flow(stack, load_event, cf: str = MARIA) -> tuple[Flow, str]:
    """A real activation link: its flow as stored, and its token."""
    stack.set_policy(otp_required_for_activation=False)
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": cf}))
    token = last_token(stack)
    with stack.env("ExpirySweepFunction"):
        item = swept.get_item(keys.flow(_sha256(token)))
    assert item is not None
    return flows.flow_from(item), token


def _sha256(token: str) -> str:
    from chiave.credentials import tokens

    return tokens.token_hash(token)


def _store(stack, model: Flow, expiries: list[int], **changes: Any) -> list[dict[str, str]]:
    """Flows like `model`, expiring at each of `expiries`; their keys."""
    made = [replace(model, token_sha256=secrets.token_hex(32), expires_at=at, **changes) for at in expiries]
    with stack.env("ExpirySweepFunction"):
        requests = [{"PutRequest": {"Item": flows.put(flow)["Put"]["Item"]}} for flow in made]
        for start in range(0, len(requests), 25):
            write_batch(requests[start : start + 25])
    return [keys.flow(flow.token_sha256) for flow in made]


def _set_cursor(stack, at: int) -> None:
    with stack.env("ExpirySweepFunction"):
        swept.advance_cursor(swept.cursor(), at)


def _item(stack, key: dict[str, str]) -> dict[str, Any] | None:
    with stack.env("ExpirySweepFunction"):
        return swept.get_item(key)


@contextmanager
def _items_read(stack) -> Iterator[list[int]]:
    """Every item the table hands the sweep (Query, GetItem, BatchGetItem, Scan), counted."""
    read = [0]

    def count(parsed: dict[str, Any], **_: Any) -> None:
        read[0] += len(parsed.get("Items", [])) + (1 if "Item" in parsed else 0)
        read[0] += sum(len(items) for items in parsed.get("Responses", {}).values())

    with stack.env("ExpirySweepFunction"):
        client = aws.dynamodb()
    client.meta.events.register("after-call.dynamodb", count, unique_id="sweep-count")
    try:
        yield read
    finally:
        client.meta.events.unregister("after-call.dynamodb", unique_id="sweep-count")


@pytest.mark.parametrize("live", [2_000, 20_000])
def test_the_sweep_reads_only_the_links_that_expired_since_its_last_run(stack, load_event, live):
    # Given many live links (expiring within the day) and 50 that expired in the last quarter hour
    model, _ = _registered_flow(stack, load_event)
    now = int(time.time())
    _store(stack, model, [now + 60 + (index * 97) % (23 * HOUR) for index in range(live)])
    expired = _store(stack, model, [now - 60 - index * 15 for index in range(50)])
    _set_cursor(stack, now - 15 * 60)
    # When the sweep runs
    with _items_read(stack) as read:
        result = _sweep(stack, load_event, now)
    # Then it read the expired links and next to nothing else, however many live ones there are
    assert result["expired_unused"] == 50 and result["complete"] is True
    assert read[0] <= 1.1 * 50 + 2, read[0]  # + the cursor
    assert all("closed_at" in (_item(stack, key) or {}) for key in expired)


def test_the_sweep_never_touches_a_live_or_used_link(stack, load_event):
    # Given a live link, and a used one that expired
    model, token = _registered_flow(stack, load_event)
    now = int(time.time())
    used = _store(stack, model, [now - 120], used_at=now - 3000)[0]
    before_live = _item(stack, keys.flow(model.token_sha256))
    before_used = _item(stack, used)
    _set_cursor(stack, now - 15 * 60)
    # When the sweep runs
    result = _sweep(stack, load_event, now)
    # Then neither changed, and the live link still works
    assert result["expired_unused"] == 0
    assert _item(stack, keys.flow(model.token_sha256)) == before_live
    assert _item(stack, used) == before_used
    assert confirm(stack, load_event, token, PASSWORD).status == 200


def _twice_from(stack, load_event, cursor: int, at: int) -> list[dict[str, Any]]:
    """Two runs that both read the cursor at `cursor` (as two at once would)."""
    results = []
    for _ in range(2):
        _set_cursor(stack, cursor)
        results.append(_sweep(stack, load_event, at))
    return results


def test_two_runs_over_the_same_window_close_and_count_each_link_once(stack, load_event):
    model, _ = _registered_flow(stack, load_event)
    now = int(time.time())
    _store(stack, model, [now - 60 - index for index in range(30)])
    results = _twice_from(stack, load_event, now - 15 * 60, now)
    assert [result["expired_unused"] for result in results] == [30, 0]


def test_a_late_click_still_hears_expired_and_retention_deletes_after(stack, load_event):
    # Given a link that expired unused, swept
    model, token = _registered_flow(stack, load_event)
    _set_cursor(stack, model.expires_at - 60)
    assert _sweep(stack, load_event, model.expires_at + 60)["expired_unused"] == 1
    # Then a late click is told the link expired, not that it is unknown
    with mock.patch("time.time", return_value=model.expires_at + 120):
        late = stack.call("FlowStatusFunction", load_event("flow_status", body={"token": token}))
    assert (late.status, late.body["code"]) == (410, "token_expired")
    # When its retention has passed, Then the sweep deletes it (TTL may not have yet)
    gone_at = model.expires_at + flows.FLOW_RETENTION_S
    _set_cursor(stack, gone_at - 60)
    assert _sweep(stack, load_event, gone_at + 60)["deleted"] == 1
    assert _item(stack, keys.flow(model.token_sha256)) is None


def test_an_unused_activation_link_gets_one_reminder_with_a_fresh_link(stack, load_event):
    # Given Maria's activation link, a day from expiring, and a reset link the same day
    model, old_token = _registered_flow(stack, load_event)
    _store(stack, model, [model.expires_at], purpose=Purpose.RESET)
    mails = len(stack.deliver())
    at = model.expires_at - 24 * HOUR + 60
    # When two sweeps run over the same window, the second having read the link
    # before the first marked it (as two at once would), and another later
    unreminded = _item(stack, keys.flow(model.token_sha256))
    _set_cursor(stack, at - 15 * 60)
    results = [_sweep(stack, load_event, at)]
    _set_cursor(stack, at - 15 * 60)
    with mock.patch.object(
        swept, "get_item", lambda key: unreminded if key == keys.flow(model.token_sha256) else None
    ):
        results.append(_sweep(stack, load_event, at))
    _sweep(stack, load_event, at + 15 * 60)
    # Then exactly one reminder left, for the activation link only, with a new link
    assert [result["reminded"] for result in results] == [1, 0]
    sent = stack.deliver()[mails:]
    assert len(sent) == 1 and "Promemoria" in sent[0]["subject"] and sent[0]["to"] == "maria.rossi@example.it"
    fresh_token = last_token(stack)
    assert fresh_token != old_token
    # And the fresh link activates (the old one keeps working until then)
    status = stack.call("FlowStatusFunction", load_event("flow_status", body={"token": old_token}))
    assert status.status == 200
    assert confirm(stack, load_event, fresh_token, PASSWORD).status == 200
    assert confirm(stack, load_event, old_token, PASSWORD).body["code"] == "token_used"


def test_a_sweep_that_fell_behind_catches_up_window_by_window(stack, load_event):
    model, _ = _registered_flow(stack, load_event)
    now = int(time.time())
    _store(stack, model, [now - 20 * HOUR, now - 10 * HOUR, now - 60])
    _set_cursor(stack, now - 22 * HOUR)
    runs = [_sweep(stack, load_event, now) for _ in range(4)]
    assert [run["expired_unused"] for run in runs] == [1, 1, 0, 1]
    assert runs[-1]["swept_until"] == now
    assert json.dumps(runs)  # the answer is plain JSON for the console


@pytest.mark.parametrize("fault", ["server_error", "timeout"])
def test_a_fault_at_any_call_is_redone_by_the_next_run_and_nothing_is_doubled(stack, load_event, fault):
    # Given an activation link a day from expiring and three links that just expired
    model, _ = _registered_flow(stack, load_event)
    at = model.expires_at - 24 * HOUR + 60
    expired = _store(stack, model, [at - 60, at - 120, at - 180], purpose=Purpose.RESET)
    mails = len(stack.deliver())
    start = at - 15 * 60
    _set_cursor(stack, start)
    position = 0
    while True:
        # When the call at `position` fails (the run ends there, as a Lambda error would)
        # (EventBridge retries a failed run; the next run redoes it anyway)
        with stack.env("ExpirySweepFunction"), failing(fault, position) as made, suppress(Exception):
            _sweep(stack, load_event, at)
        if len(made) <= position:
            break
        position += 1
    # Then, faults and all, each link was closed once, one reminder left, and the cursor moved
    assert position >= 5
    assert all("closed_at" in (_item(stack, key) or {}) for key in expired)
    assert len(stack.deliver()) == mails + 1
    with stack.env("ExpirySweepFunction"):
        assert swept.cursor() == at
