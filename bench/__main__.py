"""make bench: (a) cold start of each function next to a boto3 + GetItem
baseline, (b) AWS calls per flow on a warm container. Prints Markdown."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from bench import logs_to, parity
from chiave import keys
from chiave_local import seed, sent
from chiave_local.calls import recording
from chiave_local.events import load_event
from chiave_local.runtime import function_environment
from chiave_local.stack import RunningStack, start
from chiave_local.worker import QueuePoller

RUNS = int(os.environ.get("BENCH_RUNS", "7"))
LOG_PATH = os.environ.get("BENCH_LOG", ".bench.log")
COLD = Path(__file__).with_name("cold.py")
ACTIVE = "RSSMRA82C52H501K"  # activated once, then reset again and again
PENDING = "BNCLCU79S05F205Y"  # registers on every run (limits raised for the bench)
POLICY = {
    "RMIC817009": {
        "otp_required_for_activation": False,
        "requests_per_identifier_per_hour": 100,
        "requests_per_ip_per_hour": 10_000,
        "link_emails_per_recipient_per_hour": 20,
    }
}
# Timing parity: people who register once each, people activated to ask for
# a reset once each, and codes nobody has.
PARITY_PENDING = seed.generated_codes(parity.PAIRS, "PND")
PARITY_ACTIVE = seed.generated_codes(parity.PAIRS, "TTV")
PARITY_UNKNOWN = seed.generated_codes(2 * parity.PAIRS, "NSS")
TARGET_RATIO = 1.25
CALL_TARGETS = {"register": 4, "request-reset": 4, "confirm-reset": 3}


class Bench:
    def __init__(self, stack: RunningStack, workdir: Path) -> None:
        self.stack = stack
        self.functions = stack.functions
        self.workdir = workdir
        self.poller = QueuePoller(self.functions, "NotifyFunction", "OutboxQueue")
        self.resets = 0

    def call(self, function_id: str, event: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.functions.invoke(function_id, event)
        return result

    def deliver(self) -> list[dict[str, Any]]:
        while self.poller.poll_once():
            pass
        return sent.outbox(self.stack.deployment.region)["emails"]

    def token(self) -> str:
        found = re.search(r"#token=([A-Za-z0-9_-]{43})", self.deliver()[-1]["text"])
        assert found
        return found.group(1)

    def reset_token(self) -> str:
        # Spread over many accounts: one mailbox gets at most 20 links an hour.
        self.resets += 1
        cf = PARITY_ACTIVE[self.resets % len(PARITY_ACTIVE)]
        self.call("RequestResetFunction", load_event("request_reset", body={"identifier": cf}))
        return self.token()

    def activate(self, cf: str = ACTIVE) -> str:
        self.call("RegisterFunction", load_event("register", body={"codice_fiscale": cf}))
        event = load_event("confirm_reset", body={"token": self.token(), "new_password": "Quaderno-Blu-42"})
        return str(json.loads(self.call("ConfirmResetFunction", event)["body"])["user_code"])

    def committed(self, commit_id: str) -> None:
        """The receipt a flow's transaction writes for the message it queued."""
        self.stack.deployment.client("dynamodb").put_item(
            TableName=self.stack.deployment.refs["Table"],
            Item={name: {"S": value} for name, value in keys.commit_receipt(commit_id).items()},
        )

    # ---- (c) timing parity ------------------------------------------------------------

    def timing_parity(self) -> list[parity.Comparison]:
        def request(function_id: str, sample: str, field: str, value: str) -> Any:
            return lambda: self.call(function_id, load_event(sample, body={field: value}))

        def requests(function_id: str, sample: str, field: str, values: list[str]) -> list[Any]:
            return [request(function_id, sample, field, value) for value in values]

        unknown = PARITY_UNKNOWN
        comparisons = [
            parity.compare(
                "register",
                requests("RegisterFunction", "register", "codice_fiscale", PARITY_PENDING),
                requests("RegisterFunction", "register", "codice_fiscale", unknown[: parity.PAIRS]),
            ),
            parity.compare(
                "request-reset (codice fiscale)",
                requests("RequestResetFunction", "request_reset", "identifier", PARITY_ACTIVE),
                requests("RequestResetFunction", "request_reset", "identifier", unknown[parity.PAIRS :]),
            ),
        ]
        self.deliver()
        return comparisons

    # ---- (a) cold start -------------------------------------------------------------

    def event_for(self, function_id: str) -> dict[str, Any]:
        if function_id == "RegisterFunction":
            return load_event("register", body={"codice_fiscale": PENDING})
        if function_id == "RequestResetFunction":
            return load_event("request_reset", body={"identifier": "maria.rossi@example.it"})
        if function_id == "ConfirmResetFunction":
            return load_event(
                "confirm_reset",
                body={"token": self.reset_token(), "new_password": f"Nuova-{uuid.uuid4().hex[:8]}-1"},
            )
        if function_id == "FlowStatusFunction":
            return load_event("flow_status", body={"token": self.reset_token()})
        event = load_event("notify")
        message = json.loads(event["Records"][0]["body"]) | {"commit_id": uuid.uuid4().hex}
        message["notices"][0]["id"] = uuid.uuid4().hex
        self.committed(message["commit_id"])
        event["Records"][0]["body"] = json.dumps(message)
        return event

    def cold_once(self, function_id: str | None) -> dict[str, Any]:
        spec = self.functions.specs[function_id or "FlowStatusFunction"]
        environment = {**os.environ, **function_environment(spec, self.stack.deployment)}
        # Bytecode as a deployment compiled for its runtime would have it.
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        if function_id is None:
            target, event_path = "baseline", "-"
        else:
            target = str(spec.code_dir / f"{spec.module}.py")
            event_file = self.workdir / f"{function_id}-{uuid.uuid4().hex}.json"
            event_file.write_text(json.dumps(self.event_for(function_id)), encoding="utf-8")
            event_path = str(event_file)
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, str(COLD), target, event_path],
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
            raise RuntimeError(f"{target} failed:\n" + "\n".join(lines[-20:]))
        report = json.loads(lines[-1])
        return {
            "wall_s": wall,
            "inner_s": report["elapsed_s"],
            "status": report["status"],
            "peak_mib": report["peak_kib"] / 1024,
        }

    def cold_starts(self) -> list[dict[str, Any]]:
        rows = []
        targets: list[str | None] = [None, *sorted(self.functions.specs)]
        runs: dict[str | None, list[dict[str, Any]]] = {target: [] for target in targets}
        for target in targets:  # a discarded round: writes bytecode, warms the page cache
            self.cold_once(target)
        for _ in range(RUNS):  # interleaved, so drift hits every target alike
            for target in targets:
                runs[target].append(self.cold_once(target))
        baseline = statistics.median(run["wall_s"] for run in runs[None])
        for target in targets:
            wall = statistics.median(run["wall_s"] for run in runs[target])
            rows.append(
                {
                    "function": target or "baseline (boto3 + GetItem)",
                    "wall_ms": wall * 1000,
                    "inner_ms": statistics.median(run["inner_s"] for run in runs[target]) * 1000,
                    "peak_mib": statistics.median(run["peak_mib"] for run in runs[target]),
                    "ratio": wall / baseline,
                    "statuses": sorted({str(run["status"]) for run in runs[target]}),
                }
            )
        return rows

    # ---- (b) AWS calls per flow -------------------------------------------------------

    def count_calls(self, function_id: str, make_event: Any) -> Counter[str]:
        self.call(function_id, make_event())  # warm the container
        event = make_event()  # preparing the event may call AWS itself
        with recording() as made:
            result = self.call(function_id, event)
        assert result["statusCode"] < 300, result
        return Counter(made)

    def calls_per_flow(self, user_code: str) -> list[tuple[str, str, Counter[str]]]:
        def register_unknown() -> dict[str, Any]:
            return load_event("register", body={"codice_fiscale": "BNCGNN80A01H501T"})

        def reset(identifier: str) -> Any:
            return lambda: load_event("request_reset", body={"identifier": identifier})

        def confirm() -> dict[str, Any]:
            return load_event(
                "confirm_reset", body={"token": self.reset_token(), "new_password": "Nuova-Pass-2026!"}
            )

        cases = [
            (
                "register",
                "person known, link sent",
                "RegisterFunction",
                lambda: load_event("register", body={"codice_fiscale": PENDING}),
            ),
            ("register", "person unknown", "RegisterFunction", register_unknown),
            ("request-reset", "by codice fiscale", "RequestResetFunction", reset(ACTIVE)),
            ("request-reset", "by user code", "RequestResetFunction", reset(user_code)),
            ("request-reset", "by e-mail", "RequestResetFunction", reset("maria.rossi@example.it")),
            ("confirm-reset", "reset link", "ConfirmResetFunction", confirm),
            (
                "flow status",
                "open link",
                "FlowStatusFunction",
                lambda: load_event("flow_status", body={"token": self.reset_token()}),
            ),
        ]
        return [(flow, case, self.count_calls(function_id, make)) for flow, case, function_id, make in cases]


def markdown(cold: list[dict[str, Any]], calls: list[tuple[str, str, Counter[str]]]) -> str:
    lines = [
        f"### Cold start ({RUNS} runs each, medians; fresh interpreter, one event, moto over HTTP)",
        "",
        "| function | wall ms | import+serve ms | peak RSS MiB | ratio to baseline | target | status |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for row in cold:
        verdict = (
            ""
            if row["function"].startswith("baseline")
            else ("met" if row["ratio"] <= TARGET_RATIO else f"missed (> {TARGET_RATIO}x)")
        )
        lines.append(
            f"| {row['function']} | {row['wall_ms']:.0f} | {row['inner_ms']:.0f} | {row['peak_mib']:.1f} "
            f"| {row['ratio']:.2f}x | {verdict} | {','.join(row['statuses'])} |"
        )
    lines += [
        "",
        "### AWS calls per flow (warm container)",
        "",
        "| flow | case | calls | detail | target |",
        "|---|---|---:|---|---|",
    ]
    for flow, case, counter in calls:
        total = sum(counter.values())
        target = CALL_TARGETS.get(flow)
        verdict = f"<= {target}: {'met' if total <= target else 'missed'}" if target else ""
        detail = ", ".join(f"{name} x{count}" for name, count in sorted(counter.items()))
        lines.append(f"| {flow} | {case} | {total} | {detail} | {verdict} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    with tempfile.TemporaryDirectory() as workdir:
        policy = Path(workdir) / "policy.json"
        policy.write_text(json.dumps(POLICY), encoding="utf-8")
        anagrafica = Path(workdir) / "anagrafica.csv"
        anagrafica.write_text(
            seed.generated_csv("RMIC817009", PARITY_PENDING + PARITY_ACTIVE), encoding="utf-8"
        )
        with logs_to(Path(LOG_PATH)):
            calls, timing, cold = measure(anagrafica, policy, Path(workdir))
    print(f"(the functions' logs: {LOG_PATH})\n\n" + markdown(cold, calls) + "\n" + parity.markdown(timing))
    return 0


def measure(
    anagrafica: Path, policy: Path, workdir: Path
) -> tuple[list[tuple[str, str, Counter[str]]], list[parity.Comparison], list[dict[str, Any]]]:
    # In this process: the bench watches the calls the AWS clients make.
    stack = start(0, anagrafica, policy, run_pollers=False, isolated=False)
    try:
        bench = Bench(stack, workdir)
        user_code = bench.activate()
        for cf in PARITY_ACTIVE:
            bench.activate(cf)
        calls = bench.calls_per_flow(user_code)
        timing = bench.timing_parity()
        cold = bench.cold_starts()
    finally:
        stack.stop()
    return calls, timing, cold


if __name__ == "__main__":
    sys.exit(main())
