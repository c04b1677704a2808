"""Timing parity: register and request-reset, for known and unknown people,
on a warm container, in shuffled order, so drift hits both alike. Reports
medians and a two-sided Mann-Whitney rank test: a small p-value would mean
the response time tells whether a person exists."""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.world import (
    HOLDER_PASSWORD,
    PARITY_ACTIVE,
    PARITY_PAIRS,
    PARITY_PENDING,
    PARITY_UNKNOWN,
    SHARED_EMAIL,
    SOLO_EMAIL,
    World,
)
from chiave_local.emulator.events import load_event

PAIRS = PARITY_PAIRS


@dataclass(frozen=True)
class Comparison:
    flow: str
    known_ms: list[float]
    unknown_ms: list[float]

    @property
    def p_value(self) -> float:
        return mann_whitney_p(self.known_ms, self.unknown_ms)


def mann_whitney_p(first: list[float], second: list[float]) -> float:
    """Two-sided p-value of the Mann-Whitney U test (normal approximation,
    ties given their average rank and corrected for)."""
    pooled = sorted([(value, 0) for value in first] + [(value, 1) for value in second])
    ranks = [0.0] * len(pooled)
    ties = 0.0
    start = 0
    while start < len(pooled):
        end = start
        while end + 1 < len(pooled) and pooled[end + 1][0] == pooled[start][0]:
            end += 1
        for index in range(start, end + 1):
            ranks[index] = (start + end) / 2 + 1
        size = end - start + 1
        ties += size**3 - size
        start = end + 1
    n1, n2 = len(first), len(second)
    rank_sum = sum(rank for rank, (_, group) in zip(ranks, pooled, strict=True) if group == 0)
    u = rank_sum - n1 * (n1 + 1) / 2
    total = n1 + n2
    variance = n1 * n2 / 12 * ((total + 1) - ties / (total * (total - 1)))
    if variance <= 0:
        return 1.0
    z = (u - n1 * n2 / 2) / math.sqrt(variance)
    return math.erfc(abs(z) / math.sqrt(2))


def compare(flow: str, known: list[Callable[[], Any]], unknown: list[Callable[[], Any]]) -> Comparison:
    calls = [(True, call) for call in known] + [(False, call) for call in unknown]
    random.shuffle(calls)
    times: dict[bool, list[float]] = {True: [], False: []}
    for is_known, call in calls:
        started = time.perf_counter()
        call()
        times[is_known].append((time.perf_counter() - started) * 1000)
    return Comparison(flow, times[True], times[False])


def markdown(rows: list[Comparison]) -> str:
    lines = [
        f"### Timing parity ({PAIRS} known and {PAIRS} unknown requests each, shuffled, warm container)",
        "",
        "| flow | known median ms | unknown median ms | difference ms | Mann-Whitney p | verdict |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        known, unknown = statistics.median(row.known_ms), statistics.median(row.unknown_ms)
        p, verdict = (
            row.p_value,
            ("no significant difference" if row.p_value >= 0.05 else "DIFFERENT (p < 0.05)"),
        )
        difference = known - unknown
        lines.append(
            f"| {row.flow} | {known:.2f} | {unknown:.2f} | {difference:+.2f} | {p:.2f} | {verdict} |"
        )
    return "\n".join(lines) + "\n"


def measure(world: World) -> list[Comparison]:
    def request(function_id: str, sample: str, field: str, value: str) -> Any:
        return lambda: world.call(function_id, load_event(sample, body={field: value}))

    def requests(function_id: str, sample: str, field: str, values: list[str]) -> list[Any]:
        return [request(function_id, sample, field, value) for value in values]

    def login(email: str) -> Any:
        body = {"school": "RMIC817009", "login": email, "password": HOLDER_PASSWORD}
        return lambda: world.call("VerifyCredentialsFunction", load_event("verify_credentials", body=body))

    unknown = PARITY_UNKNOWN
    comparisons = [
        compare(
            "register",
            requests("RegisterFunction", "register", "codice_fiscale", PARITY_PENDING),
            requests("RegisterFunction", "register", "codice_fiscale", unknown[:PAIRS]),
        ),
        compare(
            "request-reset (codice fiscale)",
            requests("RequestResetFunction", "request_reset", "identifier", PARITY_ACTIVE),
            requests("RequestResetFunction", "request_reset", "identifier", unknown[PAIRS:]),
        ),
        compare(
            "verify-credentials by e-mail (one account / two sharing it)",
            [login(SOLO_EMAIL)] * PAIRS,
            [login(SHARED_EMAIL)] * PAIRS,
        ),
    ]
    world.deliver()
    return comparisons
