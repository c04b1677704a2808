"""Integration tier: the template's functions invoked in-process against
moto (mock_aws), with the table, queues and SES resources created from
template.yaml by the same code the local stack uses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from moto import mock_aws

from chiave.credentials import pepper, subjects, tokens, totp
from chiave.oidc import signing
from chiave.policy import policy_from_overrides
from chiave.runtime import aws
from chiave.store import schools
from chiave_local.demo import seed, sent
from chiave_local.emulator.resources import Deployment, deploy
from chiave_local.emulator.runtime import Functions, environment, function_environment
from chiave_local.emulator.worker import QueuePoller

REGION = "eu-south-1"
PORTAL = "https://registro.example.it"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]
    raw: dict[str, Any]


@dataclass
class Stack:
    deployment: Deployment
    functions: Functions
    _pollers: dict[tuple[str, str], QueuePoller] = field(default_factory=dict)

    def call(self, function_id: str, event: dict[str, Any]) -> Response:
        result = self.functions.invoke(function_id, event)
        return Response(
            status=result["statusCode"],
            headers={
                **(result.get("headers") or {}),
                **{name: values[-1] for name, values in (result.get("multiValueHeaders") or {}).items()},
            },
            body=json.loads(result["body"]) if result.get("body") else {},
            raw=result,
        )

    def env(self, function_id: str = "RegisterFunction") -> Any:
        """Run store calls as that function would: its environment."""
        return environment(function_environment(self.functions.specs[function_id], self.deployment))

    def set_policy(self, school_id: str = "RMIC817009", **overrides: Any) -> None:
        with self.env():
            school = schools.get_school(school_id)
            assert school is not None
            # On top of what the seed gave the school (the demo's password sign-in).
            given = {**seed.DEMO_POLICY.get(school_id, {}), **overrides}
            schools.put_school(replace(school, policy=policy_from_overrides(given)))

    def deliver(self) -> list[dict[str, Any]]:
        """Drain the outbox through notify; every e-mail sent so far."""
        self.drain()
        return sent.outbox(REGION)["emails"]

    def drain(self, function_id: str = "NotifyFunction", queue_id: str = "OutboxQueue") -> int:
        """Hand a queue's messages to the function it feeds until none is left; how many."""
        handed = 0
        while batch := self.poller(function_id, queue_id).poll_once():
            handed += batch
        return handed

    def queued(self, queue_id: str = "OutboxQueue", invisible: bool = False) -> int:
        """Messages waiting in a queue (or, with `invisible`, handed out or deferred)."""
        sqs = self.deployment.client("sqs")
        name = "ApproximateNumberOfMessagesNotVisible" if invisible else "ApproximateNumberOfMessages"
        attributes = sqs.get_queue_attributes(QueueUrl=self.deployment.refs[queue_id], AttributeNames=[name])
        return int(attributes["Attributes"][name])

    def release_failed(self, function_id: str = "NotifyFunction", queue_id: str = "OutboxQueue") -> int:
        """As if the visibility timeout of every message the function failed
        or deferred had passed: they are handed out again on the next poll."""
        poller = self.poller(function_id, queue_id)
        sqs = self.deployment.client("sqs")
        for handle in poller.failed:
            sqs.change_message_visibility(
                QueueUrl=poller.queue_url, ReceiptHandle=handle, VisibilityTimeout=0
            )
        released, poller.failed = len(poller.failed), []
        return released

    def poller(self, function_id: str = "NotifyFunction", queue_id: str = "OutboxQueue") -> QueuePoller:
        if (function_id, queue_id) not in self._pollers:
            self._pollers[function_id, queue_id] = QueuePoller(self.functions, function_id, queue_id)
        return self._pollers[function_id, queue_id]


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        aws.reset_clients()
        tokens.forget_keys()
        pepper.forget()
        totp.forget()
        subjects.forget()
        signing.forget()
        deployment = deploy("", REGION)
        functions = Functions(deployment)
        test_stack = Stack(deployment, functions)
        with test_stack.env("ConfigureSchoolFunction"):
            seed.load(None, None, PORTAL)
        # Tests opt into the spec's default (OTP required) where they test it.
        test_stack.set_policy(otp_required_for_activation=False)
        yield test_stack
    aws.reset_clients()
