"""orchestrator.quality: checks pass on good data, fail (and raise) on bad, results stored, metrics emitted."""

from __future__ import annotations

import json

import pytest

from orchestrator.quality import QualityCheckError, run_quality_checks
from tests.warehouse.kit import add_demand, add_request, ny, refresh_all, rows


def _record_load(cur, source, table_counts, hours_ago=1):
    records = sum(c["records"] for c in table_counts.values())
    cur.execute(
        "INSERT INTO ops.load_runs (source, run_id, manifest_bucket, manifest_key, manifest_sha256, status, "
        "started_at, finished_at, records, loaded, table_counts) "
        "VALUES (%s, 'r1', 'landing', %s, %s, 'succeeded', now() - make_interval(hours => %s), "
        "now() - make_interval(hours => %s), %s, %s, %s) RETURNING load_id",
        (source, f"{source}/run=r1/_manifest.json", (source[0] * 64)[:64], hours_ago, hours_ago, records, records,
         json.dumps(table_counts)),
    )
    return cur.fetchone()[0]


def _counts(records, rejected=0):
    return {"records": records, "loaded": records - rejected, "rejected": rejected, "rows": records - rejected}


def _good_warehouse(db):
    with db.cursor() as cur:
        add_demand(cur, "D1", uploaded_at=ny(2025, 3, 2), archived_at=ny(2025, 3, 9))
        add_demand(cur, "D2", uploaded_at=ny(2025, 4, 2))
        add_request(cur, 1, ny(2025, 3, 2), closed=ny(2025, 3, 3))
        add_request(cur, 2, ny(2025, 3, 2), duplicate=True)
        _record_load(cur, "demand", {"documents": _counts(3, rejected=1), "documents_metadata": _counts(2),
                                     "templates": _counts(0), "documents_audit": _counts(0)})
        _record_load(cur, "verifyplus", {"requests": _counts(2)})
    refresh_all(db)


def test_given_a_consistent_warehouse_when_checked_then_every_check_passes_and_is_stored(db, capsys):
    """GIVEN fresh loads whose counts match raw, refreshed views WHEN checked
    THEN all pass, results are in ops.quality_results and EMF metric lines are printed."""
    _good_warehouse(db)
    summary = run_quality_checks(db, expected_time_zone="America/New_York")
    assert summary["passed"] is True, summary["failed"]
    checks = {r["check"] for r in summary["results"]}
    assert checks == {"views_populated", "freshness", "manifest_counts", "curated_key_unique", "summary_totals",
                      "invoice_amounts", "business_time_zone"}
    stored = rows(db, "SELECT count(*), bool_and(passed) FROM ops.quality_results WHERE check_run_id = %s",
                  (summary["check_run_id"],))
    assert stored == [(summary["checks"], True)]
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    names = {m["Name"] for e in emf for d in e["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    assert names == {"QualityCheckFailures", "DataFreshnessHours"}
    assert all(e["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "ITC" for e in emf)
    freshness = {e["Source"]: e["DataFreshnessHours"] for e in emf if "DataFreshnessHours" in e}
    assert set(freshness) == {"demand", "verifyplus"}


def test_given_a_stale_source_and_raw_count_mismatch_when_checked_then_it_raises_naming_the_checks(db):
    """GIVEN Verify+ last loaded 50 h ago, and raw.cases holding a row the last demand load did not give
    WHEN checked THEN QualityCheckError names freshness [verifyplus] and manifest_counts [demand.documents],
    and the failures are stored."""
    _good_warehouse(db)
    with db.cursor() as cur:
        cur.execute("UPDATE ops.load_runs SET finished_at = now() - interval '50 hours' WHERE source = 'verifyplus'")
        add_demand(cur, "D-extra", uploaded_at=ny(2025, 3, 2))
        cur.execute("DELETE FROM raw.metadata WHERE document_id = 'D-extra'")
    db.commit()
    refresh_all(db)
    with pytest.raises(QualityCheckError) as caught:
        run_quality_checks(db, freshness_hours=30, emit_metrics=False)
    message = str(caught.value)
    assert "freshness [verifyplus]" in message and "more than 30" in message
    assert "manifest_counts [demand.documents]: raw.cases holds 3 rows but load" in message
    failed = rows(db, "SELECT check_name, subject FROM ops.quality_results WHERE NOT passed ORDER BY 1, 2")
    assert failed == [("freshness", "verifyplus"), ("manifest_counts", "demand.documents")]


def test_given_analytics_not_refreshed_after_curated_when_checked_then_summary_totals_fail(db):
    """GIVEN a new upload refreshed into curated but not into analytics WHEN checked without raising
    THEN summary_totals [demands_uploaded] fails and the summary says so."""
    _good_warehouse(db)
    with db.cursor() as cur:
        add_demand(cur, "D3", uploaded_at=ny(2025, 4, 3))
        cur.execute("REFRESH MATERIALIZED VIEW curated.demands_uploaded")
    db.commit()
    summary = run_quality_checks(db, sources=(), raise_on_failure=False, emit_metrics=False)
    assert summary["passed"] is False
    assert summary["failed"] == ["summary_totals:demands_uploaded"]


def test_given_a_closed_line_with_a_wrong_amount_when_checked_then_invoice_amounts_fail(db):
    """GIVEN a frozen invoice line whose amount is not quantity x price WHEN checked THEN invoice_amounts fails."""
    _good_warehouse(db)
    with db.cursor() as cur:
        cur.execute("INSERT INTO analytics.closed_months (billing_month, closed_by, line_count, total_amount) "
                    "VALUES ('2025-01', 'test', 1, 999)")
        cur.execute("INSERT INTO analytics.closed_invoice_lines (billing_month, service_month, firm_name, product, "
                    "line_type, quantity, unit_price, currency, amount) "
                    "VALUES ('2025-01', '2025-01', 'Acme Law', 'demand_uploaded', 'usage', 2, 25, 'USD', 999)")
    db.commit()
    summary = run_quality_checks(db, sources=(), raise_on_failure=False, emit_metrics=False)
    assert summary["failed"] == ["invoice_amounts:analytics.invoice_lines"]
    detail = rows(db, "SELECT detail FROM ops.quality_results WHERE check_name = 'invoice_amounts'")[0][0]
    assert detail == "1 line(s) whose amount is not quantity x unit price"


def test_given_views_never_refreshed_and_no_loads_when_checked_then_told_what_is_missing(db):
    """GIVEN a fresh warehouse
    WHEN checked THEN views_populated and freshness fail with 'never been refreshed' / 'no succeeded load'."""
    with pytest.raises(QualityCheckError, match="has never been refreshed") as caught:
        run_quality_checks(db, sources=("demand",), emit_metrics=False)
    assert "demand: no succeeded load yet" in str(caught.value) or any(
        r.detail == "demand: no succeeded load yet" for r in caught.value.results)


def test_given_a_different_configured_time_zone_when_checked_then_business_time_zone_fails(db):
    """GIVEN ITC_BUSINESS_TZ=America/Chicago but the warehouse on New York
    WHEN checked THEN the check says to migrate."""
    _good_warehouse(db)
    summary = run_quality_checks(db, expected_time_zone="America/Chicago", raise_on_failure=False, emit_metrics=False)
    assert summary["failed"] == ["business_time_zone:ref.settings"]
