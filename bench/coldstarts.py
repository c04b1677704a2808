"""Cold starts (make bench, part a): every function of template.yaml, on
demand and resumed from a SnapStart snapshot, next to a bare boto3 handler;
medians of interleaved rounds, each against its target."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.world import LAYER, PENDING, PYTHON, World, python_version
from chiave_local.emulator.events import load_event
from chiave_local.emulator.runtime import function_environment
from chiave_local.emulator.template import FunctionSpec

MODES = ("on-demand", "snapstart")
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
COLD_SCRIPT = Path(__file__).parent / "probes" / "cold_start.py"


@dataclass(frozen=True)
class Goal:
    """Wall time and peak memory, each as a ratio to the baseline's."""

    wall: float
    rss: float


API_GOAL = Goal(wall=1.25, rss=1.3)
QUEUE_GOAL = Goal(wall=1.4, rss=1.5)  # notify: the idempotency utility, the SES client
# Functions that need more than their kind, and why.
# Every function that verifies or hashes with argon2id (19 MiB, a hash on the first event).
ARGON2_GOAL = Goal(wall=1.35, rss=1.9)
GOALS = {
    name: ARGON2_GOAL
    for name in (
        "ConfirmResetFunction",
        "IssuePinFunction",
        "ChangePasswordFunction",
        "VerifyCredentialsFunction",
        "VerifyPinFunction",
        "RedeemTemporaryCodeFunction",
        # A login (password verified) opens each of their flows.
        "ContactsFunction",
        "TotpFunction",
        # The account area hashes a new password or PIN with argon2id, as the flows it calls.
        "AccountFunction",
    )
}


def goal_of(spec: FunctionSpec) -> Goal:
    return GOALS.get(spec.logical_id) or (QUEUE_GOAL if spec.queue_sources else API_GOAL)


@dataclass(frozen=True)
class Target:
    function_id: str | None  # None: the baseline
    mode: str = "on-demand"
    goal: Goal | None = None
    # Another sample than the function's own (events/<sample>.json).
    sample: str | None = None

    @property
    def label(self) -> str:
        label = self.function_id or "baseline (boto3 + GetItem)"
        return f"{label} ({self.sample})" if self.sample else label


# Events that load more than the function's sample does, measured beside it:
# notify's first adhesion form imports fpdf2 and reads its font.
EXTRA_SAMPLES = {"NotifyFunction": ["notify_adhesion_form"]}
# BENCH_FUNCTIONS=NotifyFunction,RegisterFunction: only those (and the baseline).
ONLY = [name for name in os.environ.get("BENCH_FUNCTIONS", "").split(",") if name]


@dataclass(frozen=True)
class Run:
    wall_s: float  # on demand: process start to exit; snapstart: restore to answer
    import_s: float
    clients_s: float
    serve_s: float
    restore_s: float
    peak_mib: float
    status: str

    @classmethod
    def from_report(cls, report: dict[str, Any], process_wall_s: float) -> Run:
        return cls(
            wall_s=report.get("wall_s", process_wall_s),
            import_s=report.get("import_s", 0.0),
            clients_s=report["clients_s"],
            serve_s=report["serve_s"],
            restore_s=report.get("restore_s", 0.0),
            peak_mib=report["peak_kib"] / 1024,
            status=str(report["status"]),
        )


@dataclass(frozen=True)
class Row:
    target: Target
    wall_ms: float
    ratio: float
    import_ms: float
    clients_ms: float
    serve_ms: float
    restore_ms: float
    peak_mib: float
    rss_ratio: float
    statuses: list[str]

    def verdict(self) -> str:
        goal = self.target.goal
        if goal is None:
            return ""
        wall = "met" if self.ratio <= goal.wall else "MISSED"
        rss = "met" if self.rss_ratio <= goal.rss else "MISSED"
        return (
            f"{self.target.label} ({self.target.mode}): wall {self.ratio:.2f}x <= {goal.wall}x {wall}; "
            f"peak RSS {self.rss_ratio:.2f}x <= {goal.rss}x {rss}"
        )


def targets(specs: Iterable[FunctionSpec]) -> list[Target]:
    """The baseline, then every function of the template in both modes."""
    chosen = [Target(None)]
    for spec in sorted(specs, key=lambda spec: spec.logical_id):
        if ONLY and spec.logical_id not in ONLY:
            continue
        chosen += [Target(spec.logical_id, mode, goal_of(spec)) for mode in MODES]
        for sample in EXTRA_SAMPLES.get(spec.logical_id, []):
            chosen += [Target(spec.logical_id, mode, goal_of(spec), sample) for mode in MODES]
    return chosen


def _median(runs: list[Run], field: str) -> float:
    return statistics.median(getattr(run, field) for run in runs)


def rows(runs: dict[Target, list[Run]]) -> list[Row]:
    base = next(measured for target, measured in runs.items() if target.function_id is None)
    base_wall, base_peak = _median(base, "wall_s"), _median(base, "peak_mib")
    table = []
    for target, measured in runs.items():
        wall = _median(measured, "wall_s")
        peak = _median(measured, "peak_mib")
        table.append(
            Row(
                target=target,
                wall_ms=wall * 1000,
                ratio=wall / base_wall,
                import_ms=_median(measured, "import_s") * 1000,
                clients_ms=_median(measured, "clients_s") * 1000,
                serve_ms=_median(measured, "serve_s") * 1000,
                restore_ms=_median(measured, "restore_s") * 1000,
                peak_mib=peak,
                rss_ratio=peak / base_peak,
                statuses=sorted({run.status for run in measured}),
            )
        )
    return table


def markdown(table: list[Row], runs: int = RUNS, python: str = "") -> str:
    python = python or python_version()
    lines = [
        f"### Cold start ({python}; {runs} interleaved rounds, medians; moto over HTTP)",
        "",
        "On demand: a fresh interpreter imports the handler and serves one event (wall: process",
        "start to answer). SnapStart: the module loaded and the before-snapshot hooks ran, then",
        "the process forked; wall is fork to answer (after-restore hooks included).",
        "",
        "| function | mode | wall ms | ratio | import ms | clients ms | serve ms | restore ms "
        "| peak RSS MiB | RSS ratio | status |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in table:
        lines.append(
            f"| {row.target.label} | {row.target.mode} | {row.wall_ms:.0f} | {row.ratio:.2f}x "
            f"| {row.import_ms:.0f} | {row.clients_ms:.0f} | {row.serve_ms:.0f} | {row.restore_ms:.1f} "
            f"| {row.peak_mib:.1f} | {row.rss_ratio:.2f}x | {','.join(row.statuses)} |"
        )
    lines += ["", "Verdicts:", ""]
    lines += [f"- {row.verdict()}" for row in table if row.target.goal is not None]
    return "\n".join(lines) + "\n"


# ---- measured against the bench's world ---------------------------------------------


def event_for(world: World, spec: FunctionSpec, sample: str | None = None) -> dict[str, Any]:
    """The function's sample event (events/<folder>.json, or `sample`), made
    live where its flow needs state: a fresh link, a committed message."""
    folder = sample or (spec.sample_event(spec.routes[0]) if spec.routes else spec.code_dir.name)
    if spec.logical_id == "RegisterFunction":
        return load_event(folder, body={"codice_fiscale": PENDING})
    if spec.logical_id == "RequestResetFunction":
        return load_event(folder, body={"identifier": "maria.rossi@example.it"})
    if spec.logical_id == "ConfirmResetFunction":
        password = f"Nuova-{uuid.uuid4().hex[:8]}-1"
        return load_event(folder, body={"token": world.reset_token(), "new_password": password})
    if spec.logical_id == "FlowStatusFunction":
        return load_event(folder, body={"token": world.reset_token()})
    if spec.logical_id == "SendOtpFunction":
        return load_event(folder, body={"token": world.otp_token()})
    if spec.logical_id == "VerifyOtpFunction":
        return world.verify_event()
    if spec.logical_id in ("IssuePinFunction", "VerifyCredentialsFunction"):
        return world.login_event(folder)
    if spec.logical_id == "ChangePasswordFunction":
        return world.change_event()
    if spec.logical_id == "VerifyPinFunction":
        return world.pin_event()
    if spec.logical_id == "RedeemTemporaryCodeFunction":
        return world.redeem_event()
    if spec.logical_id == "ContactsFunction":
        return world.new_email_event()
    if spec.logical_id == "TotpFunction":
        return world.app_event("totp_enrol")
    if spec.logical_id == "SpidCieFunction":
        # To the provider, its chain kept in the table (as after the first sign-in of the hour):
        # the request object's public key read and its Sign, the sign-in kept.
        world.call("SpidCieFunction", world.spid_start_event())
        return world.spid_start_event()
    if spec.logical_id == "AccountFunction":
        # The overview, from a browser just signed in: the session, the account, its devices, its trail.
        return world.account_event("account_account")
    if spec.logical_id == "BackchannelLogoutFunction":
        # A logout whose commit landed, told to a register that answers: the key read, one Sign, one POST.
        return world.logout_event()
    if spec.logical_id == "FactorChangesFunction":
        # A link that stands for nothing: the handler, its imports and one read.
        return load_event("factor_changes_cancel", body={"token": "A" * 43})
    event = load_event(folder)
    body = json.loads(event["Records"][0]["body"]) if spec.queue_sources else {}
    if "notices" in body:  # an outbox message whose commit has landed
        message = body | {"commit_id": uuid.uuid4().hex}
        message["notices"][0]["id"] = uuid.uuid4().hex
        world.committed(message["commit_id"])
        event["Records"][0]["body"] = json.dumps(message)
    return event


def cold_once(world: World, target: Target) -> Run:
    spec = world.functions.specs[target.function_id or "FlowStatusFunction"]
    environment = {
        **os.environ,
        **function_environment(spec, world.stack.deployment),
        # The layer on the path, as Lambda puts /opt/python there.
        "PYTHONPATH": str(LAYER),
    }
    # Bytecode as a deployment compiled for its runtime would have it.
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    if target.function_id is None:
        handler_file, event_path = "baseline", "-"
    else:
        handler_file = str(spec.code_dir / f"{spec.module}.py")
        event_file = world.workdir / f"{target.function_id}-{uuid.uuid4().hex}.json"
        event_file.write_text(json.dumps(event_for(world, spec, target.sample)), encoding="utf-8")
        event_path = str(event_file)
    started = time.perf_counter()
    process = subprocess.Popen(
        [PYTHON, str(COLD_SCRIPT), handler_file, event_path, target.mode],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    # communicate() lets this process's moto thread serve the child meanwhile.
    _, errors = process.communicate(timeout=120)
    wall = time.perf_counter() - started
    lines = errors.strip().splitlines()
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"{handler_file} failed:\n" + "\n".join(lines[-20:]))
    return Run.from_report(json.loads(lines[-1]), wall)


def measure(world: World) -> list[Row]:
    chosen = targets(world.functions.specs.values())
    runs: dict[Target, list[Run]] = {target: [] for target in chosen}
    for target in chosen:  # a discarded round: writes bytecode, warms the page cache
        cold_once(world, target)
    for _ in range(RUNS):  # interleaved, so drift hits every target alike
        for target in chosen:
            runs[target].append(cold_once(world, target))
    return rows(runs)
