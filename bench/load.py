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
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

from chiave_local.demo import seed

PEOPLE = int(os.environ.get("LOAD_PEOPLE", "20000"))
SEQUENTIAL = int(os.environ.get("LOAD_SEQUENTIAL", "1000"))
CLIENTS = int(os.environ.get("LOAD_CLIENTS", "200"))
WARM_UP = 300  # until every container the steady flow needs has started
SECONDS = float(os.environ.get("LOAD_SECONDS", "30"))
# On two cores, 200 parents at once queue for minutes: an e-mail that has
# not come after this long is a failure.
MAIL_WAIT_S = 180
LOG_PATH = os.environ.get("LOAD_LOG", ".load.log")
SCHOOL = "RMIC817009"
POLICY = {SCHOOL: {"otp_required_for_activation": False}}
PASSWORD = "Quaderno-Blu-42"  # noqa: S105 - a simulated parent's
_TOKEN = re.compile(r"#token=([A-Za-z0-9_-]{43})")


class Mailbox(threading.Thread):
    """Link tokens by recipient, read from the stack's outbox as they are sent."""

    def __init__(self, base_url: str) -> None:
        super().__init__(daemon=True)
        self.base_url = base_url
        self.tokens: dict[str, list[str]] = defaultdict(list)
        self.changed = threading.Condition()
        self.stopped = threading.Event()

    def run(self) -> None:
        seen = 0
        while not self.stopped.wait(0.2):
            url = f"{self.base_url}/_local/outbox?since={seen}"
            try:
                with urllib.request.urlopen(url, timeout=60) as answer:  # noqa: S310 - the stack on 127.0.0.1
                    emails = json.load(answer)["emails"]
            except OSError:  # the stack is busy or stopping: look again
                continue
            seen += len(emails)
            with self.changed:
                for email in emails:
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


def _rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (the stack and its containers)."""
    total = 0
    for task in [str(pid), *Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]:
        with open(f"/proc/{task}/status", encoding="ascii") as status:
            total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return total / 1024


def _start_stack(anagrafica: Path, policy: Path, log: Path) -> tuple[subprocess.Popen[str], str]:
    """`make run` with the anagrafica, as its own process; its output goes to `log`."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chiave_local",
            "--port",
            "0",
            "--quiet",
            "--seed",
            str(anagrafica),
            "--policy",
            str(policy),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output = log.open("w", encoding="utf-8")
    for line in process.stdout:
        if line.startswith("ready on "):
            threading.Thread(target=shutil.copyfileobj, args=(process.stdout, output), daemon=True).start()
            return process, line.split()[-1]
        output.write(line)
    raise RuntimeError(f"the local stack did not start: see {log}")


def _address(number: int) -> str:
    """A parent's own address in 127.0.0.0/8 (per-address limits are per parent, as at home)."""
    return f"127.{1 + number // 62500}.{number // 250 % 250}.{2 + number % 250}"


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def parent(recorder: Recorder, mailbox: Mailbox, port: int, address: str, cf: str, email: str) -> int:
    """One parent's whole story: register, activate, reset, confirm. Returns
    the requests made."""

    def post(step: str, path: str, body: dict[str, str]) -> int:
        return recorder.post(port, address, step, f"/v1{path}", body)

    def link(step: str, path: str, body: dict[str, str], nth: int) -> str | None:
        """Ask for a link, then wait for the `nth` e-mail to the parent."""
        if post(step, path, body) != 202:
            return None
        token = mailbox.token(email, nth)
        if token is None:
            recorder.fail(f"{step}: the e-mail with the link never came")
        return token

    token = link("register", f"/schools/{SCHOOL}/registrations", {"codice_fiscale": cf}, 1)
    if token is None:
        return 1
    if post("confirm", "/password-resets/confirm", {"token": token, "new_password": PASSWORD}) != 200:
        return 2
    token = link("reset", f"/schools/{SCHOOL}/password-resets", {"identifier": cf}, 2)
    if token is None:
        return 3
    post("confirm", "/password-resets/confirm", {"token": token, "new_password": "Nuova-" + PASSWORD})
    return 4


def main() -> int:
    log = Path(LOG_PATH)
    report, failures = run(log)
    print(f"(the stack's logs: {log})\n" + "\n".join(report), flush=True)
    return 1 if failures else 0


def run(log: Path) -> tuple[list[str], list[str]]:
    codes = seed.generated_codes(PEOPLE, "LDP")
    emails = [seed.generated_email(index) for index in range(len(codes))]
    with tempfile.TemporaryDirectory() as workdir:
        anagrafica = Path(workdir) / "anagrafica.csv"
        anagrafica.write_text(seed.generated_csv(SCHOOL, codes), encoding="utf-8")
        policy = Path(workdir) / "policy.json"
        policy.write_text(json.dumps(POLICY), encoding="utf-8")
        started = time.monotonic()
        stack, base_url = _start_stack(anagrafica, policy, log)
        startup = time.monotonic() - started
        mailbox = Mailbox(base_url)
        mailbox.start()
        port = int(urlsplit(base_url).port or 0)
        try:
            report = [f"### make load ({len(codes)} people; stack ready in {startup:.1f} s)", ""]
            # Phase 1: one at a time
            sequential = Recorder()
            path = f"/v1/schools/{SCHOOL}/registrations"
            for index in range(WARM_UP):  # containers started and warm, as under steady use
                sequential.post(port, _address(index), "warm-up", path, {"codice_fiscale": codes[-1 - index]})
            rss_before = _rss_mib(stack.pid)
            for index in range(WARM_UP, WARM_UP + SEQUENTIAL):
                sequential.post(
                    port, _address(index), "register", path, {"codice_fiscale": codes[-1 - index]}
                )
            rss_after = _rss_mib(stack.pid)
            p50, p99 = _percentiles(sequential.latencies["register"])
            report += [
                f"Sequential: {SEQUENTIAL} registrations, p50 {p50:.0f} ms, p99 {p99:.0f} ms; "
                f"answers {dict(sorted(sequential.statuses['register'].items()))}; "
                f"memory {rss_before:.0f} MiB before, {rss_after:.0f} MiB after; "
                f"failures {len(sequential.failures)}",
                "",
            ]
            # Phase 2: many at once
            concurrent = Recorder()
            pool = iter(range(len(codes) - WARM_UP - SEQUENTIAL))
            pool_lock = threading.Lock()
            done_requests = [0]
            deadline = time.monotonic() + SECONDS

            def client(number: int) -> None:
                address = _address(WARM_UP + SEQUENTIAL + number)
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
            stack.terminate()
            stack.wait(timeout=30)
    return report, failures


if __name__ == "__main__":
    sys.exit(main())
