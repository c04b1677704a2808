"""The bulk lane's pace: invitations never outrun SES's sending quota.

SES accepts `SES_MAILS_PER_SECOND` mails a second for the whole account;
the bulk lane takes BULK_SHARE of it and leaves the rest to the mails a
parent is waiting for (resets, codes, notices), which have a queue and a
notify of their own. The bulk queue hands at most `PACED_SENDERS` batches
out at once (its event source's maximum concurrency), and each sender
holds every send for `interval()` before the next, in this container or
another: however Lambda spreads the batches, the lane sends at most
PACED_SENDERS mails per interval, BULK_SHARE of the quota."""

from __future__ import annotations

import time

from chiave.runtime.settings import settings

BULK_SHARE = 0.7

# Replaced by tests with a virtual clock.
clock = time.monotonic
sleep = time.sleep


def per_sender(mails_per_second: float, senders: int) -> int:
    """Mails a second each sender may send: its whole share, at least one."""
    return max(1, int(mails_per_second * BULK_SHARE // senders))


def interval() -> float:
    """Seconds each send holds its sender; 0 outside the bulk lane."""
    current = settings()
    if not current.paced_senders:
        return 0.0
    return 1.0 / per_sender(current.ses_mails_per_second, current.paced_senders)


def rest_since(started: float) -> None:
    """Hold the sender until a send begun at `started` has had its interval."""
    wait = started + interval() - clock()
    if wait > 0:
        sleep(wait)
