"""Fixed-window request counters (SPEC §5: per identifier and per IP, per hour)."""

from __future__ import annotations

from dataclasses import dataclass

HOUR_S = 3600
DAY_S = 86_400
MONTH_S = 30 * DAY_S
# Link e-mails to one address, across register and every kind of reset.
RECIPIENT_SCOPE = "recipient"


@dataclass(frozen=True)
class Counter:
    scope: str
    subject: str
    limit: int
    window_start: int
    window_s: int = HOUR_S
    # What this request counts for (two links to one shared mailbox count 2).
    amount: int = 1

    @property
    def window_end(self) -> int:
        return self.window_start + self.window_s

    def retry_after(self, now: float) -> int:
        return max(1, int(self.window_end - now))


def hourly(scope: str, subject: str, limit: int, now: float, amount: int = 1) -> Counter:
    start = int(now) - int(now) % HOUR_S
    return Counter(scope=scope, subject=subject, limit=limit, window_start=start, amount=amount)


def daily(scope: str, subject: str, limit: int, now: float) -> Counter:
    return fixed_window(scope, subject, limit, DAY_S, now)


def fixed_window(scope: str, subject: str, limit: int, window_s: int, now: float) -> Counter:
    """A counter over windows of `window_s` seconds from the epoch (a day, 30 days)."""
    start = int(now) - int(now) % window_s
    return Counter(scope=scope, subject=subject, limit=limit, window_start=start, window_s=window_s)


def per_ip(
    school_id: str, client_ip: str, school_limit: int, deployment_limit: int, now: float
) -> list[Counter]:
    """What one client address may do per hour: the school's own limit on its
    parents behind one address, and the deployment's, one for every school."""
    return [
        hourly("ip", f"{school_id}|{client_ip}", school_limit, now),
        hourly("ip", client_ip, deployment_limit, now),
    ]
