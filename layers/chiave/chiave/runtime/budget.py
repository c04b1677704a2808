"""The invocation's time budget: every AWS call and retry fits inside it.

Lambda kills a function at its timeout, wherever it is; a flow killed between
two writes would leave state half-done. So each invocation sets a deadline a
little before Lambda's, and no AWS call attempt (first try or botocore retry)
starts unless it can end, with its client timeouts, before that deadline: the
flow refuses cleanly with a 503 instead.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from chiave.runtime.faults import BudgetExhausted

# Client timeouts of every AWS client (chiave.runtime.aws): one attempt lasts at most this.
CONNECT_TIMEOUT_S = 1.0
READ_TIMEOUT_S = 2.0
ATTEMPT_S = CONNECT_TIMEOUT_S + READ_TIMEOUT_S
# Kept back from Lambda's own deadline: botocore's back-off before a retry
# (at most 2 s with 3 attempts), and the time to log and answer.
RESERVE_S = 2.5

_deadline: float | None = None


class HasRemainingTime(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


@contextmanager
def invocation(context: HasRemainingTime) -> Iterator[None]:
    """Every handler runs inside this: the deadline of its invocation."""
    global _deadline
    _deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - RESERVE_S
    try:
        yield
    finally:
        _deadline = None


def remaining() -> float:
    """Seconds left; unbounded outside an invocation (seeding, scripts)."""
    return float("inf") if _deadline is None else _deadline - time.monotonic()


def allows(seconds: float) -> bool:
    return remaining() >= seconds


def before_attempt(**_: Any) -> None:
    """botocore `before-send` hook: runs before every attempt, retries included."""
    if not allows(ATTEMPT_S):
        raise BudgetExhausted()
