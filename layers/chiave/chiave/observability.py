"""One logger and one metrics object per container (Powertools).

Logs are JSON with the API Gateway request id as correlation id; nothing
here logs a secret, and personal data goes through chiave.masking first.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
metrics = Metrics()


def count_outcome(flow: str, outcome: str) -> None:
    """One metric per flow outcome, e.g. register/link_sent."""
    metrics.add_metric(name=f"{flow}.{outcome}", unit=MetricUnit.Count, value=1)
