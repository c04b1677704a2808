"""make bench and make load: figures measured against the local stack."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def logs_to(path: Path) -> Iterator[None]:
    """The functions' JSON logs and metrics (written to standard output, as
    on Lambda) go to `path`, so the tables printed afterwards stand alone."""
    sys.stdout.flush()
    saved = os.dup(1)
    with path.open("w", encoding="utf-8") as log:
        os.dup2(log.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
