"""The anagrafica import (make bench, section `import`): a new school's file
of IMPORT_ROWS parents, then the same file again; seconds and write requests."""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from bench.world import World, patient_clients
from chiave_local.demo import seed
from chiave_local.emulator.calls import recording
from chiave_local.emulator.events import load_event

IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "50000"))
IMPORT_SCHOOL = "RMIC8IMP01"


def measure(world: World, rows: int = IMPORT_ROWS) -> list[dict[str, Any]]:
    """A new school's file of `rows` new parents, then the same file again."""
    codes = seed.generated_codes(rows, "IMP")
    lines = ["scuola;codice_fiscale;cognome;nome;email;cellulare;ruolo;classe"] + [
        f"{IMPORT_SCHOOL};{code};Rossi;Genitore{i:05d};genitore{i:05d}@example.it;+39333{i:07d};genitore;1A"
        for i, code in enumerate(codes)
    ]
    # A new school is configured before its file is loaded, as an operator does.
    configured = world.call(
        "ConfigureSchoolFunction", {**load_event("configure_school"), "school": IMPORT_SCHOOL}
    )
    assert configured["ok"], configured
    bucket = world.stack.deployment.refs["ImportBucket"]
    s3 = world.stack.deployment.client("s3")
    runs = []
    for name in ("first upload (all new)", "same file again"):
        key = f"imports/{IMPORT_SCHOOL}/{uuid.uuid4().hex}.csv"
        s3.put_object(Bucket=bucket, Key=key, Body="\n".join(lines).encode("utf-8"))
        event = load_event("imports")
        event["Records"][0]["s3"]["bucket"]["name"], event["Records"][0]["s3"]["object"]["key"] = (
            bucket,
            key,
        )
        started = time.perf_counter()
        with patient_clients(), recording() as made:
            answer = world.call("ImportFunction", event)["imports"][0]
        seconds = time.perf_counter() - started
        writes = sum(1 for call in made if call in ("dynamodb:BatchWriteItem", "dynamodb:UpdateItem"))
        summary = ", ".join(
            f"{outcome} {answer[outcome]}" for outcome in ("accepted", "changed", "unchanged", "rejected")
        )
        runs.append({"file": name, "rows": rows, "seconds": seconds, "writes": writes, "summary": summary})
    return runs


def markdown(runs: list[dict[str, Any]]) -> str:
    lines = [
        "### Anagrafica import (one invocation, moto in this process)",
        "",
        "| file | rows | seconds | write requests | rows per write request | outcome |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        per_request = run["rows"] / max(1, run["writes"])
        verdict = ">= 25: met" if per_request >= 25 or run["writes"] == 0 else "< 25: missed"
        lines.append(
            f"| {run['file']} | {run['rows']} | {run['seconds']:.1f} | {run['writes']} | "
            f"{per_request:.1f} ({verdict}) | {run['summary']} |"
        )
    return "\n".join(lines) + "\n"
