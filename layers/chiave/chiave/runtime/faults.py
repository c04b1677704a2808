"""What an AWS failure means for the request that met it.

A *transient* failure (throttling, a 5xx, a timeout, a connection error, a
budget that ran out) is answered `503 service_unavailable` with Retry-After
when nothing was committed. Anything else an AWS client raises (access
denied, a malformed call) is a bug or a broken deployment: a 500.

A failure is *ambiguous* when the request may have been applied although no
answer came back (a read timeout, a dropped connection, a 5xx): a flow whose
commit meets one asks the table whether its commit landed before answering.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    HTTPClientError,
)

from chiave.errors import DomainError

# Seconds a client should wait before trying again after a 503.
RETRY_AFTER_S = 5

_TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "SlowDown",
        "TransactionConflictException",
        "TransactionInProgressException",
        "KMS.ThrottlingException",
        "KMS.KMSInternalException",
        "KmsThrottled",
        "KMSInternalException",
        "KMSThrottlingException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalError",
        "InternalServerError",
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
    }
)


# What an AWS client raises: the service answered with an error (a refusal),
# or no usable answer came back. The edge, the console and notify catch these
# and ask this module what they mean; nothing else names botocore's errors.
Refusal = ClientError
AWS_FAILURES: tuple[type[Exception], ...] = (ClientError, BotoCoreError)


def error_code(error: BaseException) -> str:
    """The service's error code (never its message, which may quote an address)."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "unknown"))
    return type(error).__name__


class ServiceUnavailable(DomainError):
    """An AWS dependency failed, or the time budget ran out, before anything
    was committed. facts: retry_after (seconds)."""

    code = "service_unavailable"

    def __init__(self, retry_after: int = RETRY_AFTER_S) -> None:
        super().__init__(retry_after=retry_after)


class BudgetExhausted(ServiceUnavailable):
    """Too little of the invocation's time is left to start another AWS call."""


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def is_transient(error: BaseException) -> bool:
    if isinstance(error, ServiceUnavailable):
        return True
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code", "") in _TRANSIENT_CODES or _status(error) >= 500
    return isinstance(error, ConnectionError | HTTPClientError)


def is_ambiguous(error: BaseException) -> bool:
    """True when the call may have been applied though it failed: the request
    was sent and no clear refusal came back."""
    if isinstance(error, ClientError):
        return _status(error) >= 500
    # A connection that never opened sent nothing; one that dropped or timed
    # out while reading may have delivered the request.
    return isinstance(error, HTTPClientError)


def is_aws_failure(error: BaseException) -> bool:
    return isinstance(error, ClientError | BotoCoreError)


@contextmanager
def unwrapped_parameter_errors() -> Iterator[None]:
    """Powertools Parameters wraps every failure in GetParameterError: give
    back the AWS error it wrapped, so a throttled or unreachable Secrets
    Manager is a 503 like any other AWS fault, not a 500."""
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    try:
        yield
    except GetParameterError as error:
        wrapped = error.__context__
        if isinstance(wrapped, ClientError | BotoCoreError):
            raise wrapped from None
        raise
