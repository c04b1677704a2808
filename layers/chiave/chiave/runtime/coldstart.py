"""What a Lambda container does once, at start-up (docs/PERFORMANCE.md).

Loading: on Lambda, chiave/__init__.py switches the cyclic garbage collector
off before anything else of ours loads. Imports allocate long-lived objects
only, yet each few thousand allocations trigger a pass over all of them:
tens of milliseconds of every cold start. `ready()`, the last step of every
function module, moves what loading built to the permanent generation
(gc.freeze: never scanned again) and switches collection back on.

SnapStart (template parameter EnableSnapStart): Lambda runs the module, then
our before-snapshot hook, then snapshots the memory; every new container
resumes from that snapshot and runs the after-restore hooks. So:
- before the snapshot, `warm_up()` does what a first request would
  otherwise pay for: the AWS clients the function's modules use, lazy
  imports, pydantic validators. Each module says what it needs with
  `on_warm_up`. Nothing it does may be a secret or differ per environment.
- after restore, `on_restore` hooks re-create what must differ between
  containers resumed from one snapshot (the random module's state, this
  container's data key). Tokens and codes come from `secrets` (the kernel's
  CSPRNG, which a snapshot does not copy). They must finish well within
  Lambda's 10 s restore limit: ours take microseconds.
- boto3 clients made before the snapshot survive it: their pooled TCP
  connections are stale after restore and urllib3 opens new ones (a dropped
  connection is detected before reuse, and botocore retries a reset);
  their credentials come from Lambda's container credentials provider,
  which botocore refreshes before they expire.
"""

from __future__ import annotations

import gc
import os
import random
from collections.abc import Callable
from typing import Any, TypeVar

from snapshot_restore_py import register_after_restore, register_before_snapshot

Hook = TypeVar("Hook", bound=Callable[[], Any])

_warmers: list[Callable[[], Any]] = []
_collector_paused = False


def pause_collector() -> None:
    """On Lambda only: tests and tools that import chiave keep their collector."""
    global _collector_paused
    if "AWS_LAMBDA_FUNCTION_NAME" in os.environ and gc.isenabled():
        gc.disable()
        _collector_paused = True


def ready() -> None:
    """The function module has loaded: keep what it built, collect again."""
    global _collector_paused
    if _collector_paused:
        gc.freeze()
        gc.enable()
        _collector_paused = False


def on_warm_up(warmer: Hook) -> Hook:
    """Run `warmer` before SnapStart's snapshot (decorator or call)."""
    _warmers.append(warmer)
    return warmer


def on_restore(hook: Hook) -> Hook:
    """Run `hook` in every container resumed from the snapshot."""
    register_after_restore(hook)
    return hook


@register_before_snapshot
def warm_up() -> None:
    for warmer in _warmers:
        warmer()
    # Free time before the snapshot: collect loading's garbage, then keep the rest.
    gc.collect()
    gc.freeze()


# Python's `random` (retry jitter) is seeded once per process: containers
# resumed from one snapshot would otherwise draw the same sequence.
on_restore(random.seed)
