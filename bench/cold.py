"""One cold start: a fresh interpreter imports a handler file and serves one
event. Run by bench/__main__.py, never imported by it. `baseline` instead
imports boto3 and does one GetItem, the floor any function pays."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time


class Context:
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "bench")
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-south-1:123456789012:function:bench"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def main() -> None:
    started = time.perf_counter()
    target, event_path = sys.argv[1], sys.argv[2]
    if target == "baseline":
        import boto3

        client = boto3.client("dynamodb")
        client.get_item(
            TableName=os.environ["TABLE_NAME"], Key={"PK": {"S": "SCHOOL#X"}, "SK": {"S": "SCHOOL"}}
        )
        result: object = None
    else:
        spec = importlib.util.spec_from_file_location("handler_module", target)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        with open(event_path, encoding="utf-8") as handle:
            event = json.load(handle)
        result = module.handler(event, Context())
    elapsed = time.perf_counter() - started
    if isinstance(result, dict):
        status = result.get("statusCode", f"{len(result.get('batchItemFailures', []))} failed")
    else:
        status = "-"
    # VmHWM starts afresh at exec (ru_maxrss would carry the forking parent's).
    with open("/proc/self/status", encoding="ascii") as status_file:
        peak_kib = next(int(line.split()[1]) for line in status_file if line.startswith("VmHWM:"))
    sys.__stderr__.write(json.dumps({"elapsed_s": elapsed, "status": status, "peak_kib": peak_kib}) + "\n")


if __name__ == "__main__":
    main()
