"""argon2id's CPU per verification (make bench, section `argon2`), under
the runtime's Python and the layer as deployed."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from bench.world import LAYER, PYTHON, World

ARGON2_SCRIPT = Path(__file__).parent / "probes" / "argon2_cost.py"
ARGON2_BUDGET_MS = 60


def measure(_world: World) -> dict[str, Any]:
    """One verification's CPU, under the runtime's Python and the layer as deployed."""
    answer = subprocess.run(
        [PYTHON, str(ARGON2_SCRIPT)],
        env={**os.environ, "PYTHONPATH": str(LAYER)},
        capture_output=True,
        text=True,
        check=True,
    )
    measured: dict[str, Any] = json.loads(answer.stdout.strip().splitlines()[-1])
    return measured


def markdown(cost: dict[str, Any]) -> str:
    verdict = "met" if cost["ours_ms"] <= ARGON2_BUDGET_MS else "missed"
    return (
        "### argon2id: CPU per verification (median)\n\n"
        "| parameters | CPU | target |\n|---|---:|---|\n"
        f"| chiave: {cost['parameters']} | {cost['ours_ms']} ms | <= {ARGON2_BUDGET_MS} ms: {verdict} |\n"
        f"| OWASP minimum: m=19456 KiB, t=2, p=1 | {cost['owasp_minimum_ms']} ms | |\n"
    )
