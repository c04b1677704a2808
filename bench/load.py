"""make load: the local stack with a real school's anagrafica (20,000 people),
under load from simulated parents on 127.0.0.1 only, bounded in time.

Phase 1, one parent at a time: LOAD_SEQUENTIAL registrations, p50/p99 and
the process's memory before and after (it must stay flat).
Phase 2, LOAD_CLIENTS parents at once for LOAD_SECONDS: each registers,
activates with the e-mailed link, asks for a reset and confirms it; each
parent connects from an address of its own in 127.0.0.0/8. Prints
throughput, p50/p99 per step and the failures that are not a 4xx (a 5xx, a
dropped connection, an e-mail that never came), which must be 0.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from moto.ses.models import ses_backends

from bench import logs_to, parity
from chiave_local import seed, sent
from chiave_local.resources import ACCOUNT_ID
from chiave_local.stack import start

PEOPLE = int(os.environ.get("LOAD_PEOPLE", "20000"))
SEQUENTIAL = int(os.environ.get("LOAD_SEQUENTIAL", "1000"))
CLIENTS = int(os.environ.get("LOAD_CLIENTS", "200"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "30"))
MAIL_WAIT_S = 30
LOG_PATH = os.environ.get("LOAD_LOG", ".load.log")
SCHOOL = "RMIC817009"
POLICY = {SCHOOL: {"otp_required_for_activation": False}}
PASSWORD = "Quaderno-Blu-42"  # noqa: S105 - a simulated parent's
_TOKEN = re.compile(r"#token=([A-Za-z0-9_-]{43})")


class Mailbox(threading.Thread):
    """Link tokens by recipient, read from moto's SES as they are sent."""

    def __init__(self, region: str) -> None:
        super().__init__(daemon=True)
        self.ses = ses_backends[ACCOUNT_ID][region]
        self.tokens: dict[str, list[str]] = defaultdict(list)
        self.changed = threading.Condition()
        self.stopped = threading.Event()

    def run(self) -> None:
        seen = 0
        while not self.stopped.wait(0.05):
            messages = self.ses.sent_messages[seen:]
            seen += len(messages)
            with self.changed:
                for message in messages:
                    email = sent.email(getattr(message, "raw_data", ""))
                    found = _TOKEN.search(email["text"])
                    if found:
                        self.tokens[email["to"]].append(found.group(1))
                self.changed.notify_all()

    def token(self, address: str, count: int) -> str | None:
        """The `count`-th link sent to `address`, once it has come."""
        deadline = time.monotonic() + MAIL_WAIT_S
        with self.changed:
            while len(self.tokens[address]) < count:
                if not self.changed.wait(max(0.0, deadline - time.monotonic())):
                    return None
            return self.tokens[address][count - 1]


class Recorder:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter[int]] = defaultdict(Counter)
        self.failures: list[str] = []
        self.lock = threading.Lock()

    def post(self, port: int, address: str, step: str, path: str, body: dict[str, str]) -> int:
        """One request on a connection of its own, from `address`."""
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120, source_address=(address, 0))
        try:
            connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            status = response.status
        except OSError as error:
            with self.lock:
                self.failures.append(f"{step}: {error!r}")
            return 0
        finally:
            connection.close()
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.latencies[step].append(elapsed)
            self.statuses[step][status] += 1
            if status >= 500:
                self.failures.append(f"{step}: {status}")
        return status

    def fail(self, reason: str) -> None:
        with self.lock:
            self.failures.append(reason)


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def parent(recorder: Recorder, mailbox: Mailbox, port: int, address: str, cf: str, email: str) -> int:
    """One parent's whole story: register, activate, reset, confirm. Returns
    the requests made."""

    def post(step: str, path: str, body: dict[str, str]) -> int:
        return recorder.post(port, address, step, f"/v1{path}", body)

    if post("register", f"/schools/{SCHOOL}/registrations", {"codice_fiscale": cf}) != 202:
        return 1
    token = mailbox.token(email, 1)
    if token is None:
        recorder.fail("register: no activation e-mail")
        return 1
    if post("confirm", "/password-resets/confirm", {"token": token, "new_password": PASSWORD}) != 200:
        return 2
    if post("reset", f"/schools/{SCHOOL}/password-resets", {"identifier": cf}) != 202:
        return 3
    token = mailbox.token(email, 2)
    if token is None:
        recorder.fail("reset: no reset e-mail")
        return 3
    post("confirm", "/password-resets/confirm", {"token": token, "new_password": "Nuova-" + PASSWORD})
    return 4


def main() -> int:
    log = Path(LOG_PATH)
    with logs_to(log):
        report, failures = run()
    print(f"(the functions' logs: {log})\n" + "\n".join(report), flush=True)
    return 1 if failures else 0


def run() -> tuple[list[str], list[str]]:
    codes = parity.people(PEOPLE, "LDP")
    emails = [f"genitore{index:05d}@example.it" for index in range(len(codes))]
    with tempfile.TemporaryDirectory() as workdir:
        anagrafica = Path(workdir) / "anagrafica.csv"
        rows = [
            f"{SCHOOL};{code};Rossi;Genitore{i:05d};{emails[i]};;genitore" for i, code in enumerate(codes)
        ]
        anagrafica.write_text(seed.demo_csv().rstrip("\n") + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
        policy = Path(workdir) / "policy.json"
        policy.write_text(json.dumps(POLICY), encoding="utf-8")
        started = time.monotonic()
        stack = start(0, anagrafica, policy)
        startup = time.monotonic() - started
        threading.Thread(target=stack.serve_forever, daemon=True).start()
        mailbox = Mailbox(stack.deployment.region)
        mailbox.start()
        port = stack.server.server_address[1]
        try:
            report = [f"### make load ({len(codes)} people; stack ready in {startup:.1f} s)", ""]
            # Phase 1: one at a time
            sequential = Recorder()
            rss_before = _rss_mib()
            for index in range(SEQUENTIAL):
                cf = codes[len(codes) - 1 - index]
                path = f"/v1/schools/{SCHOOL}/registrations"
                sequential.post(port, "127.0.0.2", "register", path, {"codice_fiscale": cf})
            rss_after = _rss_mib()
            p50, p99 = _percentiles(sequential.latencies["register"])
            report += [
                f"Sequential: {SEQUENTIAL} registrations, p50 {p50:.0f} ms, p99 {p99:.0f} ms; "
                f"memory {rss_before:.0f} MiB before, {rss_after:.0f} MiB after; "
                f"failures {len(sequential.failures)}",
                "",
            ]
            # Phase 2: many at once
            concurrent = Recorder()
            pool = iter(range(len(codes) - SEQUENTIAL))
            pool_lock = threading.Lock()
            done_requests = [0]
            deadline = time.monotonic() + SECONDS

            def client(number: int) -> None:
                address = f"127.0.{1 + number // 250}.{2 + number % 250}"
                while time.monotonic() < deadline:
                    with pool_lock:
                        index = next(pool, None)
                    if index is None:
                        return
                    made = parent(concurrent, mailbox, port, address, codes[index], emails[index])
                    with pool_lock:
                        done_requests[0] += made

            began = time.monotonic()
            threads = [threading.Thread(target=client, args=(number,)) for number in range(CLIENTS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - began
            report += [
                f"Concurrent: {CLIENTS} parents for {SECONDS:.0f} s (each: register, activate, reset, "
                f"confirm): {done_requests[0]} requests in {elapsed:.1f} s, "
                f"{done_requests[0] / elapsed:.1f} requests/s",
                "",
                "| step | requests | answers | p50 ms | p99 ms |",
                "|---|---:|---|---:|---:|",
            ]
            for step, values in concurrent.latencies.items():
                p50, p99 = _percentiles(values)
                answers = ", ".join(
                    f"{status} x{n}" for status, n in sorted(concurrent.statuses[step].items())
                )
                report.append(f"| {step} | {len(values)} | {answers} | {p50:.0f} | {p99:.0f} |")
            failures = sequential.failures + concurrent.failures
            report += [
                "",
                f"Failures that are not a 4xx: {len(failures)}",
                *[f"  {f}" for f in failures[:20]],
            ]
        finally:
            mailbox.stopped.set()
            stack.stop()
    return report, failures


if __name__ == "__main__":
    sys.exit(main())
