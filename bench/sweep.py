"""The expiry sweep (make bench, section `sweep`): the items it reads for 50
links expired in the last quarter hour, among 2,000 and 20,000 live ones."""

from __future__ import annotations

import secrets
import time
from dataclasses import replace
from typing import Any
from unittest import mock

from bench.world import ACTIVE, World
from chiave.domain import Person, Purpose, Role
from chiave.runtime import aws
from chiave.steps import links
from chiave.store import flows, keys, schools
from chiave.store import sweep as swept
from chiave.store.table import write_batch
from chiave_local.emulator.events import load_event
from chiave_local.emulator.runtime import environment, function_environment

LIVE_LINKS = (2_000, 20_000)


def sweep_reads(world: World, live: int, expired: int = 50) -> dict[str, Any]:
    """Items the sweep reads for `expired` links among `live` ones; then
    every link it was given is removed, for the next measure."""
    now = int(time.time())
    spec = world.functions.specs["ExpirySweepFunction"]
    with environment(function_environment(spec, world.stack.deployment)):
        school = schools.get_school("RMIC817009")
        assert school is not None
        person = Person(school.id, ACTIVE, "Rossi", "Maria", Role.GENITORE, email="maria.rossi@example.it")
        model = links.new_flow(school, person, Purpose.ACTIVATION, "", 3600, False, now)
        expiries = [now + 60 + (i * 97) % (23 * 3600) for i in range(live)]
        expiries += [now - 60 - i * 15 for i in range(expired)]
        made = [replace(model, token_sha256=secrets.token_hex(32), expires_at=at) for at in expiries]
        for start in range(0, len(made), 25):
            write_batch(
                [{"PutRequest": {"Item": flows.put(f)["Put"]["Item"]}} for f in made[start : start + 25]]
            )
        swept.advance_cursor(swept.cursor(), now - 15 * 60)
    read = [0]

    def count(parsed: dict[str, Any], **_: Any) -> None:
        read[0] += len(parsed.get("Items", [])) + (1 if "Item" in parsed else 0)
        read[0] += sum(len(items) for items in parsed.get("Responses", {}).values())

    client = aws.dynamodb()
    client.meta.events.register("after-call.dynamodb", count, unique_id="bench-sweep")
    try:
        with mock.patch("time.time", return_value=now):
            result = world.call("ExpirySweepFunction", load_event("expiry_sweep"))
    finally:
        client.meta.events.unregister("after-call.dynamodb", unique_id="bench-sweep")
    with environment(function_environment(spec, world.stack.deployment)):
        swept.delete_all([keys.flow(flow.token_sha256) for flow in made])
    return {"live": live, "expired": result["expired_unused"], "read": read[0]}


def measure(world: World) -> list[dict[str, Any]]:
    return [sweep_reads(world, live) for live in LIVE_LINKS]


def markdown(runs: list[dict[str, Any]]) -> str:
    lines = [
        "### Expiry sweep: items read (links expired in the last quarter hour among live ones)",
        "",
        "| live links | expired | items read | per expired link | target |",
        "|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        ratio = run["read"] / max(1, run["expired"])
        verdict = "<= 1.1: met" if run["read"] <= 1.1 * run["expired"] + 2 else "> 1.1: missed"
        lines.append(f"| {run['live']:,} | {run['expired']} | {run['read']} | {ratio:.2f} | {verdict} |")
    return "\n".join(lines) + "\n"
