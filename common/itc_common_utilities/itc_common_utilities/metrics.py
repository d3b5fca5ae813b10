"""The pipeline's own CloudWatch metrics, as embedded-metric-format (EMF) log lines.

One JSON line per metric on stdout (Powertools ``single_metric``); CloudWatch Logs turns them into
metrics in the namespace ``ITC`` (``ITC_METRICS_NAMESPACE`` / ``POWERTOOLS_METRICS_NAMESPACE``),
which the monitoring module alarms on: ``RecordsRejected`` / ``RecordsLoaded`` per ``Source``,
``QualityCheckFailures`` per ``Check``, ``DataFreshnessHours`` per ``Source``.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from itc_common_utilities.settings import LoggingSettings, load_settings

DEFAULT_NAMESPACE = "ITC"


def namespace() -> str:
    """``ITC_METRICS_NAMESPACE``, else ``POWERTOOLS_METRICS_NAMESPACE``, else ``ITC`` (:class:`LoggingSettings`)."""
    return load_settings(LoggingSettings).namespace(DEFAULT_NAMESPACE)


def emit(name: str, value: float, dimensions: dict[str, str], *, unit: MetricUnit = MetricUnit.Count,
         metric_namespace: str | None = None) -> None:
    """Emit one metric with its dimensions (a ``service`` dimension is added from the environment)."""
    settings = load_settings(LoggingSettings)
    with single_metric(name=name, unit=unit, value=value,
                       namespace=metric_namespace or settings.namespace(DEFAULT_NAMESPACE)) as metric:
        for key, val in dimensions.items():
            metric.add_dimension(name=key, value=val)
        service = settings.service
        if service and "service" not in dimensions:
            metric.add_dimension(name="service", value=service)
