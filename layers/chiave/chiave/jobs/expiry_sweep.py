"""expiry-sweep (SPEC §2.8, every 15 minutes): closes the links that expired
unused since its last run and counts them per purpose and school, e-mails
one reminder per unused activation link a day before it expires (with a
fresh link), and deletes the links whose retention has passed and TTL has
not yet removed.

Each run reads only the flows whose expiry falls in its window, through the
ByExpiryBucket index (hour by hour, never a Scan): the window runs from
the cursor the last run left to now, at most MAX_WINDOW_S, so a sweep that
fell behind catches up over several runs. Every write is conditional, so
two runs at once close, remind and count each link once, and a run cut
short leaves the cursor where it was for the next to redo. The flows'
correctness never depends on it: every read checks expiry itself."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from chiave.domain import Purpose, School
from chiave.notify import outbox
from chiave.runtime import budget
from chiave.runtime.observability import count_by, count_outcome, logger
from chiave.steps.links import reminder
from chiave.store import flows, schools
from chiave.store import sweep as swept

# A run never looks further back than this (the first run, or one after a long pause).
FIRST_LOOKBACK_S = 24 * 3600
MAX_WINDOW_S = 6 * 3600
REMIND_BEFORE_S = 24 * 3600
# Stop while this much of the invocation is left; the next run redoes the window.
STOP_WITH_S = 5.0


@dataclass
class Summary:
    swept_from: int
    swept_until: int
    items_read: int = 0
    expired_unused: int = 0
    reminded: int = 0
    deleted: int = 0
    complete: bool = True
    by_purpose_and_school: Counter[tuple[str, str]] = field(default_factory=Counter)

    def report(self) -> dict[str, object]:
        return {
            "swept_from": self.swept_from,
            "swept_until": self.swept_until,
            "items_read": self.items_read,
            "expired_unused": self.expired_unused,
            "reminded": self.reminded,
            "deleted": self.deleted,
            "complete": self.complete,
        }


def sweep(now: float) -> dict[str, object]:
    moment = int(now)
    previous = swept.cursor()
    start = previous if previous is not None else moment - FIRST_LOOKBACK_S
    end = min(moment, start + MAX_WINDOW_S)
    summary = Summary(swept_from=start, swept_until=end)
    if end > start:
        _close_expired(summary, start, end, moment)
        _remind(summary, start + REMIND_BEFORE_S, end + REMIND_BEFORE_S, moment)
        _delete_retained(summary, start - flows.FLOW_RETENTION_S, end - flows.FLOW_RETENTION_S)
        if summary.complete:
            summary.complete = swept.advance_cursor(previous, end)
    for (purpose, school_id), count in summary.by_purpose_and_school.items():
        count_by("sweep.expired_unused", count, purpose=purpose, school=school_id)
    count_outcome("sweep", "complete" if summary.complete else "partial")
    report = summary.report()
    logger.info("sweep done", extra=report)
    return report


def _time_left(summary: Summary) -> bool:
    if budget.allows(STOP_WITH_S):
        return True
    summary.complete = False
    return False


def _close_expired(summary: Summary, start: int, end: int, now: int) -> None:
    for item in swept.expiring(start, end):
        summary.items_read += 1
        if not item.used and swept.close(item.key, now):
            summary.expired_unused += 1
            summary.by_purpose_and_school[(item.purpose, item.school_id)] += 1
        if not _time_left(summary):
            return


def _remind(summary: Summary, start: int, end: int, now: int) -> None:
    known: dict[str, School | None] = {}
    for item in swept.expiring(start, end):
        summary.items_read += 1
        if item.purpose == Purpose.ACTIVATION.value and not item.used:
            if item.school_id not in known:
                known[item.school_id] = schools.get_school(item.school_id)
            summary.reminded += _remind_one(item.key, known[item.school_id], now)
        if not _time_left(summary):
            return


def _remind_one(key: dict[str, str], school: School | None, now: int) -> int:
    flow = swept.to_remind(key)
    if school is None or flow is None or not flow.email:
        return 0
    link = reminder(school, flow, now)
    message = outbox.queue([link.notice])
    # False: another run reminded it, or the link was used meanwhile; notify drops the message.
    return int(swept.remind(key, link.flow, message.commit_id, now))


def _delete_retained(summary: Summary, start: int, end: int) -> None:
    stale = []
    for item in swept.expiring(start, end):
        summary.items_read += 1
        stale.append(item.key)
    swept.delete_all(stale)
    summary.deleted = len(stale)
