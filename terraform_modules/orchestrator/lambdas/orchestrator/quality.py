"""Data quality checks run after each load and refresh; results go to ``ops.quality_results``.

The checks themselves are in :mod:`orchestrator.quality_checks` (their list and levels are there), and
those of the field quarantine and the units at risk in :mod:`orchestrator.quality_units`.
Levels (``ops.quality_results.level``): a failed ``error`` fails the run; a failed ``warning`` is
stored and shown by ``itc status`` but the run still passes. :func:`run_quality_checks` stores every
result (committed), emits CloudWatch embedded-metric lines (namespace ``ITC``: ``QualityCheckFailures``
per error-level Check, ``QualityCheckWarnings`` per warning-level Check, ``DataFreshnessHours`` per
Source), and raises :class:`QualityCheckError` naming the failed errors — so the state machine alerts
— unless ``raise_on_failure=False`` (the CLI's summary). Checks read keys and counts only, never PHI.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

import psycopg2.extensions
from aws_lambda_powertools.metrics import MetricUnit

from itc_common_utilities import metrics
from itc_common_utilities.errors import TerminalError, translate_errors
from itc_common_utilities.logger.logger_setup import setup_logger
from orchestrator.quality_checks import (
    WARNING,
    CheckResult,
    check_business_time_zone,
    check_curated_keys,
    check_freshness,
    check_invoice_amounts,
    check_manifest_counts,
    check_open_month_prices,
    check_phi_grants,
    check_row_count_changes,
    check_summary_totals,
    check_usage_months,
    check_views_populated,
)
from orchestrator.quality_units import check_quarantined_share, check_units_at_risk


class QualityCheckError(TerminalError):
    """One or more quality checks failed; ``results`` holds every result of the run."""

    def __init__(self, message: str, results: list[CheckResult], check_run_id: str) -> None:
        super().__init__(message)
        self.results = results
        self.check_run_id = check_run_id


def _emit_metrics(results: list[CheckResult], namespace: str, service: str) -> None:
    """QualityCheckFailures per error-level check (what the alarm sums), QualityCheckWarnings per
    warning-level check, and DataFreshnessHours per source, as EMF lines."""
    counts: dict[tuple[str, str], int] = {}
    for r in results:
        name = "QualityCheckWarnings" if r.level == WARNING else "QualityCheckFailures"
        counts[(name, r.check)] = counts.get((name, r.check), 0) + (0 if r.passed else 1)
    for (name, check), count in sorted(counts.items()):
        metrics.emit(name, count, {"Check": check, "service": service}, metric_namespace=namespace)
    for r in results:
        if r.check == "freshness" and "hours" in r.observed:
            metrics.emit("DataFreshnessHours", r.observed["hours"], {"Source": r.subject, "service": service},
                         unit=MetricUnit.NoUnit, metric_namespace=namespace)


def run_quality_checks(
    conn: psycopg2.extensions.connection,
    *,
    sources: Iterable[str] = ("demand", "verifyplus"),
    freshness_hours: float = 30.0,
    expected_time_zone: str | None = None,
    raise_on_failure: bool = True,
    emit_metrics: bool = True,
    metrics_namespace: str = "ITC",
    check_run_id: str | None = None,
    logger: Any = None,
) -> dict[str, Any]:
    """Run every check, store the results in ops.quality_results (committed) and return a summary.

    Returns ``{"check_run_id", "passed", "checks", "failed", "warnings", "results": [CheckResult as dict, ...]}``:
    ``passed`` and ``failed`` count error-level results only; ``warnings`` lists the failed warnings.
    Raises :class:`QualityCheckError` (terminal) when an error-level check fails and ``raise_on_failure``.
    """
    log = logger or setup_logger("orchestrator")
    run_id = check_run_id or uuid.uuid4().hex
    results = _run_and_store(conn, run_id, tuple(sources), freshness_hours, expected_time_zone)
    failed = [r for r in results if r.failed_error]
    warnings = [r for r in results if r.failed_warning]
    if emit_metrics:
        _emit_metrics(results, metrics_namespace, getattr(log, "service", "orchestrator"))
    for r in failed:
        log.error("quality check failed", extra={"check": r.check, "subject": r.subject, "detail": r.detail})
    for r in warnings:
        log.warning("quality warning", extra={"check": r.check, "subject": r.subject, "detail": r.detail})
    log.info("quality checks finished", extra={"check_run_id": run_id, "checks": len(results), "failed": len(failed),
                                               "warnings": len(warnings)})
    if failed and raise_on_failure:
        shown = "; ".join(f"{r.check} [{r.subject}]: {r.detail}" for r in failed[:5])
        more = f" (and {len(failed) - 5} more)" if len(failed) > 5 else ""
        raise QualityCheckError(f"{len(failed)} quality check(s) failed: {shown}{more}", results, run_id)
    return {
        "check_run_id": run_id,
        "passed": not failed,
        "checks": len(results),
        "failed": [f"{r.check}:{r.subject}" for r in failed],
        "warnings": [f"{r.check}:{r.subject}" for r in warnings],
        "results": [asdict(r) for r in results],
    }


def _checks(cur: Any, sources: tuple[str, ...], freshness_hours: float,
            expected_time_zone: str | None) -> list[CheckResult]:
    """Every check's results, in order; the view checks only when the views are populated."""
    populated = check_views_populated(cur)
    results = [*populated, *check_freshness(cur, sources, freshness_hours), *check_manifest_counts(cur, sources),
               *check_row_count_changes(cur, sources), *check_quarantined_share(cur, sources),
               *check_units_at_risk(cur)]
    if all(r.passed for r in populated):  # the view checks cannot read an unpopulated view
        results += [*check_curated_keys(cur), *check_summary_totals(cur), *check_usage_months(cur),
                    *check_open_month_prices(cur), *check_invoice_amounts(cur)]
    if expected_time_zone:
        results += check_business_time_zone(cur, expected_time_zone)
    return results + check_phi_grants(cur)


def _run_and_store(conn: psycopg2.extensions.connection, run_id: str, sources: tuple[str, ...],
                   freshness_hours: float, expected_time_zone: str | None) -> list[CheckResult]:
    """Run the checks and store their results in ops.quality_results in one committed transaction."""
    conn.autocommit = False
    try:
        with conn.cursor() as cur:
            with translate_errors("running the quality checks"):
                results = _checks(cur, sources, freshness_hours, expected_time_zone)
            with translate_errors("storing the quality results"):
                for r in results:
                    cur.execute(
                        "INSERT INTO ops.quality_results (check_run_id, check_name, subject, passed, observed, detail, "
                        "level) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        (run_id, r.check, r.subject, r.passed, json.dumps(r.observed, default=str), r.detail,
                         r.level),
                    )
                conn.commit()
    except BaseException:
        if not conn.closed:
            conn.rollback()
        raise
    return results
