"""AWS clients, created once per container and only when first used.

boto3 honours AWS_ENDPOINT_URL, so the same code talks to moto locally.
Every client has short timeouts and checks the invocation's time budget
before each attempt (chiave.budget), so no call outlives the function.
"""

from __future__ import annotations

import time
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from chiave import budget
from chiave.faults import ServiceUnavailable

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


@cache
def dynamodb() -> DynamoDBClient:
    client: DynamoDBClient = _client("dynamodb")
    return client


@cache
def sqs() -> SQSClient:
    client: SQSClient = _client("sqs")
    return client


@cache
def s3() -> S3Client:
    client: S3Client = _client("s3")
    return client


@cache
def kms() -> KMSClient:
    client: KMSClient = _client("kms")
    return client


@cache
def sesv2() -> SESV2Client:
    client: SESV2Client = _client("sesv2")
    return client


@cache
def sns() -> SNSClient:
    client: SNSClient = _client("sns")
    return client


@cache
def secretsmanager() -> SecretsManagerClient:
    client: SecretsManagerClient = _client("secretsmanager")
    return client


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
