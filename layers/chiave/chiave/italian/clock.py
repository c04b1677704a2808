"""Italian time: what a parent, a secretary or an operator reads a moment in."""

from __future__ import annotations

from datetime import UTC, datetime


def rome(epoch: float) -> datetime:
    """The moment in Italian time (CET/CEST), or in UTC on a runtime without
    the zone database (its offset says which)."""
    # Imported here: only the few answers and e-mails that name a moment need it.
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return datetime.fromtimestamp(epoch, ZoneInfo("Europe/Rome"))
    except ZoneInfoNotFoundError:
        return datetime.fromtimestamp(epoch, UTC)


def iso(epoch: float) -> str:
    """ISO 8601 with its offset, to the second: 2026-12-03T09:15:00+01:00."""
    return rome(epoch).isoformat(timespec="seconds")
