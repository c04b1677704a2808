"""A function for the container tests: what its process sees."""

from __future__ import annotations

import os
import time
from typing import Any

invocations = 0  # module state: per container, as on Lambda


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global invocations
    invocations += 1
    time.sleep(event.get("sleep", 0))
    return {
        "pid": os.getpid(),
        "invocations": invocations,
        "environment": {name: os.environ.get(name) for name in event.get("names", [])},
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
