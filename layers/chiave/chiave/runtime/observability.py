"""One logger and one metrics object per container (Powertools).

Logs are JSON with the API Gateway request id as correlation id; nothing
here logs a secret, and personal data goes through chiave.runtime.masking first.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
metrics = Metrics()


def count_outcome(flow: str, outcome: str) -> None:
    """One metric per flow outcome, e.g. register/link_sent."""
    metrics.add_metric(name=f"{flow}.{outcome}", unit=MetricUnit.Count, value=1)


def count_by(name: str, value: int, **dimensions: str) -> None:
    """A count with its own dimensions (e.g. per school and purpose), published at once."""
    from aws_lambda_powertools.metrics import single_metric

    with single_metric(name=name, unit=MetricUnit.Count, value=value) as metric:
        for dimension, dimension_value in dimensions.items():
            metric.add_dimension(name=dimension, value=dimension_value)


def gauge_seconds(name: str, value: float) -> None:
    """A duration the alarms watch (seconds left before something expires)."""
    metrics.add_metric(name=name, unit=MetricUnit.Seconds, value=value)
