"""End-to-end tier: the local stack (`make run`) started as a process, real
HTTP on 127.0.0.1, moto over the wire."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from chiave_local.emulator import template

START_TIMEOUT_S = 120  # with a local federation: after its anchor onboarded Chiave


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class LocalStack:
    base_url: str

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> HttpResponse:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base_url + path, data=data, method=method)  # noqa: S310
        request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback only
                return HttpResponse(answer.status, dict(answer.headers), answer.read().decode())
        except urllib.error.HTTPError as error:
            return HttpResponse(error.code, dict(error.headers), error.read().decode())

    def aws(self, service: str) -> Any:
        """A client of the stack's moto, where its functions' AWS calls go (/_local/info)."""
        info = self.request("GET", "/_local/info").json
        return boto3.client(
            service,
            endpoint_url=info["aws_endpoint_url"],
            region_name=info["region"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def person(self, school_id: str, codice_fiscale: str) -> dict[str, Any] | None:
        """A person's item (anagrafica row and account), as the table holds it."""
        from chiave.store import keys
        from chiave.store.table import from_dynamo, to_dynamo

        key = to_dynamo(keys.person(school_id, codice_fiscale))
        answer = self.aws("dynamodb").get_item(TableName=self.resource("Table"), Key=key)
        return from_dynamo(answer["Item"]) if "Item" in answer else None

    def audit(self, school_id: str, codice_fiscale: str) -> list[dict[str, Any]]:
        """An account's audit items."""
        from chiave.store import keys
        from chiave.store.table import from_dynamo

        answer = self.aws("dynamodb").query(
            TableName=self.resource("Table"),
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.audit_partition(school_id, codice_fiscale)}},
        )
        return [from_dynamo(item) for item in answer["Items"]]

    def resource(self, logical_id: str) -> str:
        """The physical name of a template resource (its bucket, its table)."""
        name: str = self.request("GET", "/_local/info").json["resources"][logical_id]
        return name

    def post(self, path: str, body: Any = None, **kwargs: Any) -> HttpResponse:
        return self.request("POST", path, body, **kwargs)

    def emails_to(self, address: str, at_least: int) -> list[dict[str, Any]]:
        """The e-mails sent to `address`, once notify has sent `at_least` of them."""
        return self._sent("emails", address, at_least)

    def sms_to(self, number: str, at_least: int) -> list[dict[str, Any]]:
        """The SMS sent to `number`, once notify has sent `at_least` of them."""
        return self._sent("sms", number, at_least)

    def _sent(self, kind: str, to: str, at_least: int) -> list[dict[str, Any]]:
        deadline = time.monotonic() + 15
        while True:
            found = [item for item in self.request("GET", "/_local/outbox").json[kind] if item["to"] == to]
            if len(found) >= at_least or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


def start_stack(*arguments: str) -> tuple[subprocess.Popen[str], LocalStack | None, str]:
    """`python -m chiave_local` on a free port: the process, the stack once
    it answers (None if it exited), and what it printed before that."""
    # As `make run` starts it: without what this test process was given.
    environment = {
        name: value for name, value in os.environ.items() if name not in template.global_environment()
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "chiave_local", "--port", "0", "--quiet", *arguments],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT_S
    printed: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("ready on "):
            # Keep draining its output so it never blocks on a full pipe.
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return process, LocalStack(line.split()[-1]), "".join(printed)
        printed.append(line)
        if not line and process.poll() is not None:
            break
    return process, None, "".join(printed)


def stop_stack(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=10)


def running_stack(*arguments: str) -> Iterator[LocalStack]:
    """A local stack started with `arguments`, for a fixture to yield; stopped after."""
    process, stack, printed = start_stack(*arguments)
    if stack is None:
        process.kill()
        pytest.fail(f"the local stack did not start:\n{printed}")
    yield stack
    stop_stack(process)


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalStack]:
    yield from running_stack()


def stack_with_policy(tmp_path_factory: Any, overrides: dict[str, dict[str, Any]]) -> Iterator[LocalStack]:
    """A local stack whose schools have these policy overrides (`--policy`), stopped after."""
    policy = tmp_path_factory.mktemp("policy") / "policy.json"
    policy.write_text(json.dumps(overrides), encoding="utf-8")
    yield from running_stack("--policy", str(policy))
