"""make bench: every section, or `python -m bench cold sweep` (etc.) for
those only. Each section is a module with `measure(world)` and
`markdown(result)`; this dispatcher starts the world once and prints
Markdown, the functions' logs going to BENCH_LOG."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from bench import argon2_cpu, calls, coldstarts, imports, invite, logs_to, parity, sweep
from bench.world import running

SECTIONS: dict[str, ModuleType] = {
    "calls": calls,
    "argon2": argon2_cpu,
    "parity": parity,
    "cold": coldstarts,
    "import": imports,
    "sweep": sweep,
    "invite": invite,
}
LOG_PATH = os.environ.get("BENCH_LOG", ".bench.log")


def main(argv: list[str]) -> int:
    chosen = [name for name in SECTIONS if name in argv] or list(SECTIONS)
    with tempfile.TemporaryDirectory() as workdir, logs_to(Path(LOG_PATH)), running(Path(workdir)) as world:
        measured = {name: SECTIONS[name].measure(world) for name in chosen}
    parts = [f"(the functions' logs: {LOG_PATH})\n"]
    parts += [SECTIONS[name].markdown(result) for name, result in measured.items()]
    print("\n".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
