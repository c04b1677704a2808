"""CPU of one argon2id verification with chiave's parameters, next to
OWASP's minimum (m = 19 MiB, t = 2, p = 1); run under the bench's Python
with the layer on the path. Prints one JSON line."""

from __future__ import annotations

import json
import statistics
import time

from argon2 import PasswordHasher, Type

from chiave.credentials import passwords

ROUNDS = 15


def cpu_ms(hasher: PasswordHasher) -> float:
    stored = hasher.hash("Quaderno-Blu-42")
    spent = []
    for _ in range(ROUNDS):
        started = time.process_time()
        hasher.verify(stored, "Quaderno-Blu-42")
        spent.append(time.process_time() - started)
    return statistics.median(spent) * 1000


def main() -> None:
    ours = passwords._hasher()
    minimum = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1, type=Type.ID)
    print(
        json.dumps(
            {
                "parameters": f"m={ours.memory_cost} KiB, t={ours.time_cost}, p={ours.parallelism}",
                "ours_ms": round(cpu_ms(ours), 1),
                "owasp_minimum_ms": round(cpu_ms(minimum), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
