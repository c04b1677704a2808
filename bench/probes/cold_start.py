"""One cold start, as Lambda's runtime makes it: a fresh interpreter imports
a handler file and serves one event. Run by bench/coldstarts.py (under the
Lambda runtime's Python when the machine has it), never imported by it.

    cold_start.py TARGET EVENT_FILE MODE

TARGET is a handler file, or `baseline`: import boto3, create a DynamoDB
client, one GetItem - the floor any function pays. MODE is `on-demand`, or
`snapstart`: the module loads and the before-snapshot hooks run, then the
process forks (the child's memory is the snapshot), and the child runs the
after-restore hooks and serves the event; what is timed is fork to answer.

Writes one JSON line to standard error: the phases' seconds (import, client
creation, serve; restore hooks for snapstart), the answer's status and the
peak resident memory. The process then ends without interpreter teardown,
which a Lambda container never does between a cold start and its answer."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from typing import Any


class Context:
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "bench")
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-south-1:123456789012:function:bench"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def _peak_kib() -> int:
    # VmHWM starts afresh at exec (ru_maxrss would carry the forking parent's).
    with open("/proc/self/status", encoding="ascii") as status_file:
        return next(int(line.split()[1]) for line in status_file if line.startswith("VmHWM:"))


def _status(result: Any) -> str:
    if isinstance(result, dict):
        if "ok" in result:  # a console action's answer
            return "ok" if result["ok"] else str(result["error"]["code"])
        return str(result.get("statusCode", f"{len(result.get('batchItemFailures', []))} failed"))
    return "-"


def _client_seconds(since: float, until: float) -> float:
    """Seconds spent creating AWS clients between two moments (chiave.runtime.aws keeps them)."""
    aws = sys.modules.get("chiave.runtime.aws")
    times = getattr(aws, "creation_times", {}).values()
    return sum(seconds for started, seconds in times if since <= started < until)


def baseline() -> dict[str, Any]:
    started = time.perf_counter()
    import boto3

    imported = time.perf_counter()
    client = boto3.client("dynamodb")
    created = time.perf_counter()
    client.get_item(TableName=os.environ["TABLE_NAME"], Key={"PK": {"S": "SCHOOL#X"}, "SK": {"S": "SCHOOL"}})
    served = time.perf_counter()
    return {
        "import_s": imported - started,
        "clients_s": created - imported,
        "serve_s": served - created,
        "status": "-",
    }


def load(path: str) -> Any:
    spec = importlib.util.spec_from_file_location("handler_module", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def serve(module: Any, event: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    result = module.handler(event, Context())
    served = time.perf_counter()
    clients = _client_seconds(started, served)
    return {"clients_s": clients, "serve_s": served - started - clients, "status": _status(result)}


def on_demand(path: str, event: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    module = load(path)
    imported = time.perf_counter()
    at_import = _client_seconds(started, imported)
    report = serve(module, event)
    return {
        **report,
        "import_s": imported - started - at_import,
        "clients_s": report["clients_s"] + at_import,
    }


def snapstart(path: str, event: dict[str, Any]) -> dict[str, Any]:
    from snapshot_restore_py import get_after_restore, get_before_snapshot

    started = time.perf_counter()
    module = load(path)
    for hook, args, kwargs in get_before_snapshot():  # type: ignore[misc]
        hook(*args, **kwargs)
    initialised = time.perf_counter()
    reader, writer = os.pipe()
    forked = time.perf_counter()
    child = os.fork()
    if child == 0:  # the restored container
        os.close(reader)
        for hook, args, kwargs in get_after_restore():  # type: ignore[misc]
            hook(*args, **kwargs)
        restored = time.perf_counter()
        report = {**serve(module, event), "restore_s": restored - forked, "peak_kib": _peak_kib()}
        os.write(writer, json.dumps(report).encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        report = json.loads(pipe.read() or b"{}")
    os.waitpid(child, 0)
    answered = time.perf_counter()
    return {**report, "init_s": initialised - started, "wall_s": answered - forked}


def main() -> None:
    target, event_path, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    # BENCH_PROFILE_DIR: where each on-demand run's cProfile statistics go.
    profile_dir = os.environ.get("BENCH_PROFILE_DIR")
    if profile_dir and mode == "on-demand":
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    if target == "baseline":
        report = baseline()
    else:
        with open(event_path, encoding="utf-8") as handle:
            event = json.load(handle)
        report = snapstart(target, event) if mode == "snapstart" else on_demand(target, event)
    if profile_dir and mode == "on-demand":
        profiler.disable()
        name = os.path.basename(os.path.dirname(target)) if target != "baseline" else "baseline"
        profiler.dump_stats(os.path.join(profile_dir, f"{name}.prof"))
    report.setdefault("peak_kib", _peak_kib())
    sys.stdout.flush()
    sys.__stderr__.write(json.dumps(report) + "\n")
    sys.__stderr__.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
