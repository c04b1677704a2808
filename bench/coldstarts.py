"""Cold starts (make bench, part a): every function of template.yaml, on
demand and resumed from a SnapStart snapshot, next to a bare boto3 handler;
medians of interleaved rounds, each against its target."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chiave_local.template import FunctionSpec

MODES = ("on-demand", "snapstart")


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
    )
}


def goal_of(spec: FunctionSpec) -> Goal:
    return GOALS.get(spec.logical_id) or (QUEUE_GOAL if spec.queue_sources else API_GOAL)


@dataclass(frozen=True)
class Target:
    function_id: str | None  # None: the baseline
    mode: str = "on-demand"
    goal: Goal | None = None

    @property
    def label(self) -> str:
        return self.function_id or "baseline (boto3 + GetItem)"


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
        chosen += [Target(spec.logical_id, mode, goal_of(spec)) for mode in MODES]
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


def markdown(table: list[Row], runs: int, python: str) -> str:
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
