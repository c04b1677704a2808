"""`make run`: the whole API on 127.0.0.1 over an in-process moto server."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from chiave_local.demo import federation
from chiave_local.emulator.containers import POOL_SIZE
from chiave_local.stack import start


def _interrupted(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chiave_local", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 3000))
    parser.add_argument(
        "--seed",
        type=Path,
        default=os.environ.get("SEED") or None,
        help="anagrafica CSV (default: the demo school)",
    )
    parser.add_argument(
        "--policy",
        type=Path,
        default=os.environ.get("POLICY") or None,
        help="JSON object: school id -> policy overrides",
    )
    parser.add_argument(
        "--containers",
        type=int,
        default=int(os.environ.get("CONTAINERS") or POOL_SIZE),
        help=f"containers each function may run at once, as Lambda scales out (default {POOL_SIZE})",
    )
    parser.add_argument(
        "--trust-anchor",
        default=os.environ.get("TRUST_ANCHOR") or None,
        help="the SPID/CIE federation's trust anchor (entity id) the intermediate names as its superior",
    )
    parser.add_argument(
        "--federation",
        action="store_true",
        help="start the local SPID/CIE federation beside the stack (make run does; not with --trust-anchor)",
    )
    parser.add_argument("--quiet", action="store_true", help="no walk-through at start-up")
    arguments = parser.parse_args(argv)
    try:
        stack = start(
            arguments.port,
            arguments.seed,
            arguments.policy,
            containers=arguments.containers,
            trust_anchor=arguments.trust_anchor,
            local_federation=arguments.federation,
        )
    except (ValueError, OSError, federation.Unavailable) as error:
        print(f"chiave local stack: {error}", file=sys.stderr)
        return 2
    # A terminated stack (a test's teardown, `timeout`) stops as Ctrl-C does:
    # the demo register and the local federation with it.
    signal.signal(signal.SIGTERM, _interrupted)
    if not arguments.quiet:
        print(stack.walkthrough(), flush=True)
    try:
        stack.serve_forever(ready=lambda: print(f"ready on {stack.base_url}", flush=True))
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
