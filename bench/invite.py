"""A bulk invitation (make bench, section `invite`): the calls of the console
action, of its orders and of the paced lane, and the lane's duration at
the quota (its pace on a virtual clock)."""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import replace
from typing import Any
from unittest import mock

from bench.world import World, patient_clients
from chiave.domain import Person, Role
from chiave.notify import pacing
from chiave.store import people, schools
from chiave_local.demo import seed
from chiave_local.emulator.calls import recording
from chiave_local.emulator.events import load_event
from chiave_local.emulator.runtime import environment, function_environment
from chiave_local.emulator.template import parameter_defaults
from chiave_local.emulator.worker import QueuePoller

INVITE_PEOPLE = int(os.environ.get("BENCH_INVITE_PEOPLE", "10000"))
INVITE_SCHOOL = "RMIC8INV01"


def measure(world: World, count: int = INVITE_PEOPLE) -> dict[str, Any]:
    """A school of `count` parents without an account, invited in bulk:
    the calls of the console action, of the orders, of the paced lane
    (its pace on a virtual clock: the lane's duration at the quota)."""
    codes = seed.generated_codes(count, "INV")
    spec = world.functions.specs["InviteFunction"]
    with environment(function_environment(spec, world.stack.deployment)):
        demo = schools.get_school("RMIC817009")
        assert demo is not None
        schools.put_school(replace(demo, id=INVITE_SCHOOL))
        people.put_people(
            Person(
                INVITE_SCHOOL,
                cf,
                "Rossi",
                f"Genitore{i:05d}",
                Role.GENITORE,
                email=f"inv{i:05d}@example.it",
            )
            for i, cf in enumerate(codes)
        )
    orders = QueuePoller(world.functions, "InvitationsFunction", "InvitationQueue")
    lane = QueuePoller(world.functions, "BulkNotifyFunction", "BulkOutboxQueue")
    # What other sections left on the lane (the cold section's sample invitation) is not measured.
    while orders.poll_once() or lane.poll_once():
        pass
    phases: dict[str, Counter[str]] = {}
    started = time.perf_counter()
    with patient_clients(), recording() as made:
        answer = world.call("InviteFunction", {**load_event("invite"), "school": INVITE_SCHOOL})
    phases["invite (console)"] = Counter(made)
    # The lane drains while orders come in, as on AWS (and moto's queues stay short).
    phases["invitations (orders)"], phases["bulk notify (paced)"] = Counter(), Counter()
    virtual = [0.0]
    with (
        mock.patch.object(pacing, "clock", lambda: virtual[0]),
        mock.patch.object(pacing, "sleep", lambda seconds: virtual.__setitem__(0, virtual[0] + seconds)),
    ):
        while True:
            with recording() as made:
                handed = orders.poll_once()
            phases["invitations (orders)"].update(made)
            with recording() as made:
                while lane.poll_once():
                    pass
            phases["bulk notify (paced)"].update(made)
            if not handed:
                break
    bulk = world.functions.specs["BulkNotifyFunction"]
    quota = float(parameter_defaults()["SesMailsPerSecond"])
    senders = bulk.queue_concurrency
    return {
        "people": count,
        "invited": answer["invited"],
        "phases": phases,
        "seconds": time.perf_counter() - started,
        "lane_minutes": count / (senders * pacing.per_sender(quota, senders)) / 60,
        "pace": f"{senders} senders x {pacing.per_sender(quota, senders)}/s of a {quota:g}/s quota",
    }


def markdown(run: dict[str, Any]) -> str:
    lines = [
        f"### Bulk invitation of {run['people']:,} parents ({run['invited']:,} invited; "
        f"{run['seconds']:.0f} s on moto in this process)",
        "",
        "| phase | SQS calls | SES calls | DynamoDB calls | KMS calls | detail |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for phase, counter in run["phases"].items():
        by_service: Counter[str] = Counter()
        for call, number in counter.items():
            by_service[call.split(":")[0]] += number
        detail = ", ".join(f"{name} x{number}" for name, number in sorted(counter.items()))
        lines.append(
            f"| {phase} | {by_service['sqs']} | {by_service['sesv2']} | {by_service['dynamodb']} | "
            f"{by_service['kms']} | {detail} |"
        )
    lines += ["", f"The paced lane ({run['pace']}) sends them in {run['lane_minutes']:.0f} minutes."]
    return "\n".join(lines) + "\n"
