"""AWS clients, created once per container and only when first used.

boto3 honours AWS_ENDPOINT_URL, so the same code talks to moto locally.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sqs import SQSClient

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)


@cache
def session() -> boto3.session.Session:
    return boto3.session.Session()


def _client(service: str) -> Any:
    return session().client(service, config=_CONFIG)  # type: ignore[call-overload]


@cache
def dynamodb() -> DynamoDBClient:
    client: DynamoDBClient = _client("dynamodb")
    return client


@cache
def sqs() -> SQSClient:
    client: SQSClient = _client("sqs")
    return client


@cache
def sesv2() -> SESV2Client:
    client: SESV2Client = _client("sesv2")
    return client


def reset_clients() -> None:
    """Forget cached clients (tests switch endpoints between sessions)."""
    for factory in (session, dynamodb, sqs, sesv2):
        factory.cache_clear()
