"""AWS clients, created once per container and only when first used.

boto3 honours AWS_ENDPOINT_URL, so the same code talks to moto locally.
Every client has short timeouts and checks the invocation's time budget
before each attempt (chiave.runtime.budget), so no call outlives the function.
"""

from __future__ import annotations

import time
from functools import _lru_cache_wrapper, cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from chiave.runtime import budget
from chiave.runtime.faults import ServiceUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=budget.CONNECT_TIMEOUT_S,
    read_timeout=budget.READ_TIMEOUT_S,
)


# When each client was made and how long it took (perf_counter seconds):
# most of a cold start's first request, broken down by `make bench`.
creation_times: dict[str, tuple[float, float]] = {}


@cache
def session() -> boto3.session.Session:
    return boto3.session.Session()


def _client(service: str) -> Any:
    started = time.perf_counter()
    client = session().client(service, config=_CONFIG)  # type: ignore[call-overload]
    client.meta.events.register("before-send", budget.before_attempt)
    creation_times[service] = (started, time.perf_counter() - started)
    return client


def _cached(service: str) -> _lru_cache_wrapper[Any]:
    """The factory of one service's client: made on first use, then kept."""

    def make() -> Any:
        return _client(service)

    make.__name__ = make.__qualname__ = service
    return cache(make)


dynamodb: _lru_cache_wrapper[DynamoDBClient] = _cached("dynamodb")
sqs: _lru_cache_wrapper[SQSClient] = _cached("sqs")
s3: _lru_cache_wrapper[S3Client] = _cached("s3")
kms: _lru_cache_wrapper[KMSClient] = _cached("kms")
sesv2: _lru_cache_wrapper[SESV2Client] = _cached("sesv2")
sns: _lru_cache_wrapper[SNSClient] = _cached("sns")
secretsmanager: _lru_cache_wrapper[SecretsManagerClient] = _cached("secretsmanager")

FACTORIES = (dynamodb, sqs, s3, kms, sesv2, sns, secretsmanager)


def clients() -> list[Any]:
    """Every client this container has created so far."""
    return [factory() for factory in FACTORIES if factory.cache_info().currsize]


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints between sessions)."""
    for factory in (session, *FACTORIES):
        factory.cache_clear()


# SQS takes at most this many messages in one SendMessageBatch.
SQS_BATCH = 10


def send_all(queue_url: str, bodies: list[str]) -> None:
    """Every body to the queue, ten to a SendMessageBatch; a message SQS
    did not take fails the whole call (503), to be run again."""
    for start in range(0, len(bodies), SQS_BATCH):
        entries = [
            {"Id": str(number), "MessageBody": body}
            for number, body in enumerate(bodies[start : start + SQS_BATCH])
        ]
        answer = sqs().send_message_batch(QueueUrl=queue_url, Entries=entries)  # type: ignore[arg-type]
        if answer.get("Failed"):
            raise ServiceUnavailable(retry_after=1)
