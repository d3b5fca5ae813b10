"""orchestrator.quality: checks pass on good data, fail (and raise) on bad, results stored, metrics emitted."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from orchestrator.quality import QualityCheckError, run_quality_checks
from tests.warehouse.kit import NY, add_demand, add_demo_prices, add_request, ny, refresh_all, rows


def _record_load(cur, source, table_counts, hours_ago=1, run_id="r1"):
    records = sum(c["records"] for c in table_counts.values())
    cur.execute(
        "INSERT INTO ops.load_runs (source, run_id, manifest_bucket, manifest_key, manifest_sha256, status, "
        "started_at, finished_at, records, loaded, table_counts) "
        "VALUES (%s, %s, 'landing', %s, %s, 'succeeded', now() - make_interval(hours => %s), "
        "now() - make_interval(hours => %s), %s, %s, %s) RETURNING load_id",
        (source, run_id, f"{source}/run={run_id}/_manifest.json",
         hashlib.sha256(f"{source}/{run_id}".encode()).hexdigest(), hours_ago, hours_ago, records, records,
         json.dumps(table_counts)),
    )
    return cur.fetchone()[0]


def _counts(records, rejected=0):
    return {"records": records, "loaded": records - rejected, "rejected": rejected, "rows": records - rejected}


def _good_warehouse(db, *, priced=True):
    with db.cursor() as cur:
        if priced:
            add_demo_prices(cur)
        add_demand(cur, "D1", uploaded_at=ny(2025, 3, 2), archived_at=ny(2025, 3, 9))
        add_demand(cur, "D2", uploaded_at=ny(2025, 4, 2))
        add_request(cur, 1, ny(2025, 3, 2), closed=ny(2025, 3, 3))
        add_request(cur, 2, ny(2025, 3, 2), duplicate=True)
        _record_load(cur, "demand", {"documents": _counts(3, rejected=1), "documents_metadata": _counts(2),
                                     "templates": _counts(0), "documents_audit": _counts(0)})
        _record_load(cur, "verifyplus", {"requests": _counts(2)})
    refresh_all(db)


def test_consistent_warehouse_passes_every_check(db, capsys):
    """GIVEN fresh loads whose counts match raw, refreshed views WHEN checked
    THEN all pass, results are in ops.quality_results and EMF metric lines are printed."""
    _good_warehouse(db)
    summary = run_quality_checks(db, expected_time_zone="America/New_York")
    assert summary["passed"] is True, summary["failed"]
    checks = {r["check"] for r in summary["results"]}
    assert checks == {"views_populated", "freshness", "manifest_counts", "curated_key_unique", "summary_totals",
                      "usage_months", "open_month_prices", "invoice_amounts", "business_time_zone", "phi_grants",
                      "quarantined_share", "units_at_risk"}
    assert summary["warnings"] == []
    stored = rows(db, "SELECT count(*), bool_and(passed) FROM ops.quality_results WHERE check_run_id = %s",
                  (summary["check_run_id"],))
    assert stored == [(summary["checks"], True)]
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    names = {m["Name"] for e in emf for d in e["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
    assert names == {"QualityCheckFailures", "QualityCheckWarnings", "DataFreshnessHours"}
    assert all(e["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "ITC" for e in emf)
    freshness = {e["Source"]: e["DataFreshnessHours"] for e in emf if "DataFreshnessHours" in e}
    assert set(freshness) == {"demand", "verifyplus"}


def test_stale_source_and_count_mismatch_fail_by_name(db):
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


def test_stale_analytics_fail_summary_totals(db):
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


def _freeze_a_line_with_a_wrong_amount(db):
    """January 2025 closed with one line: 2 x 25.00 billed as 999 (committed)."""
    with db.cursor() as cur:
        cur.execute("INSERT INTO analytics.closed_months (billing_month, closed_by, closed_by_login, line_count, "
                    "unit_count, total_amount) VALUES ('2025-01', 'test', 'test', 1, 2, 999)")
        cur.execute("INSERT INTO analytics.closed_invoice_lines (billing_month, service_month, firm_name, product, "
                    "line_type, quantity, unit_price, currency, amount) "
                    "VALUES ('2025-01', '2025-01', 'Acme Law', 'demand_uploaded', 'usage', 2, 25, 'USD', 999)")
    db.commit()


def test_wrong_closed_line_amount_fails_invoice_amounts(db):
    """GIVEN a frozen invoice line whose amount is not quantity x price WHEN checked THEN invoice_amounts fails."""
    _good_warehouse(db)
    _freeze_a_line_with_a_wrong_amount(db)
    summary = run_quality_checks(db, sources=(), raise_on_failure=False, emit_metrics=False)
    assert summary["failed"] == ["invoice_amounts:analytics.invoice_lines"]
    detail = rows(db, "SELECT detail FROM ops.quality_results WHERE check_name = 'invoice_amounts'")[0][0]
    assert detail == "1 line(s) whose amount is not quantity x unit price"


def test_empty_warehouse_check_says_what_is_missing(db):
    """GIVEN a fresh warehouse
    WHEN checked THEN views_populated and freshness fail with 'never been refreshed' / 'no succeeded load'."""
    with pytest.raises(QualityCheckError, match="has never been refreshed") as caught:
        run_quality_checks(db, sources=("demand",), emit_metrics=False)
    assert "demand: no succeeded load yet" in str(caught.value) or any(
        (r.detail or "").startswith("demand: no succeeded load yet") for r in caught.value.results)


def test_other_time_zone_fails_business_time_zone(db):
    """GIVEN ITC_BUSINESS_TZ=America/Chicago but the warehouse on New York
    WHEN checked THEN the check says to migrate."""
    _good_warehouse(db)
    summary = run_quality_checks(db, expected_time_zone="America/Chicago", raise_on_failure=False, emit_metrics=False)
    assert summary["failed"] == ["business_time_zone:ref.settings"]


def _detail(db, check, subject):
    return rows(db, "SELECT level, passed, detail FROM ops.quality_results WHERE check_name = %s AND subject = %s",
                (check, subject))


def test_1970_usage_fails_naming_month_and_product(db):
    """GIVEN the issue-10 case: Exchange times in epoch seconds read as milliseconds, so 3 uploads (2 archived)
    land in January 1970 - priced or not, they would be invoiced
    WHEN checked THEN usage_months fails (error) once per product, naming 1970-01, the product and the count,
    and QualityCheckError carries the message."""
    _good_warehouse(db)
    with db.cursor() as cur:
        for n, seconds in enumerate((1_760_000_000, 1_760_100_000, 1_761_000_000)):
            as_ms = datetime.fromtimestamp(seconds / 1000, UTC)  # 1970-01-21
            add_demand(cur, f"D-1970-{n}", uploaded_at=as_ms, archived_at=as_ms if n else None)
    db.commit()
    refresh_all(db)
    with pytest.raises(QualityCheckError) as caught:
        run_quality_checks(db, sources=(), emit_metrics=False)
    uploaded = ("3 demand_uploaded demand(s) billed in 1970-01, before the service start month 2019-01 "
                "(ref.settings service_start_month): check the source timestamps")
    archived = ("2 demand_archived demand(s) billed in 1970-01, before the service start month 2019-01 "
                "(ref.settings service_start_month): check the source timestamps")
    assert f"usage_months [1970-01 demand_uploaded]: {uploaded}" in str(caught.value)
    assert _detail(db, "usage_months", "1970-01 demand_uploaded") == [("error", False, uploaded)]
    assert _detail(db, "usage_months", "1970-01 demand_archived") == [("error", False, archived)]


def test_given_a_later_service_start_setting_when_checked_then_earlier_usage_fails(db):
    """GIVEN ref.settings service_start_month = 2025-04 and usage in March 2025 WHEN checked
    THEN usage_months fails for March, naming the setting; April passes."""
    _good_warehouse(db)
    with db.cursor() as cur:
        cur.execute("UPDATE ref.settings SET value = '2025-04' WHERE key = 'service_start_month'")
    db.commit()
    summary = run_quality_checks(db, sources=(), raise_on_failure=False, emit_metrics=False)
    assert summary["failed"] == ["usage_months:2025-03 demand_archived", "usage_months:2025-03 demand_uploaded",
                                 "usage_months:2025-03 verifyplus_request"]
    assert _detail(db, "usage_months", "2025-03 verifyplus_request")[0][2] == (
        "1 verifyplus_request request(s) billed in 2025-03, before the service start month 2025-04 "
        "(ref.settings service_start_month): check the source timestamps")


def test_given_a_bad_service_start_setting_when_written_then_refused(db):
    """GIVEN ref.settings WHEN service_start_month is set to '2019' THEN it is refused naming the setting."""
    with db.cursor() as cur, pytest.raises(Exception, match="service_start_month: 2019 is not a month YYYY-MM"):
        cur.execute("UPDATE ref.settings SET value = '2019' WHERE key = 'service_start_month'")


def test_given_usage_after_the_current_month_when_checked_then_usage_months_fails(db):
    """GIVEN a Verify+ request created in the month after the current one (New York)
    WHEN checked THEN usage_months fails naming that month, the product, the count and the current month."""
    _good_warehouse(db)
    now = datetime.now(NY)
    next_month = (now.replace(day=1) + timedelta(days=32)).replace(day=15)
    with db.cursor() as cur:
        add_request(cur, 99, next_month)
    db.commit()
    refresh_all(db)
    summary = run_quality_checks(db, sources=(), raise_on_failure=False, emit_metrics=False)
    month = next_month.strftime("%Y-%m")
    assert summary["failed"] == [f"usage_months:{month} verifyplus_request"]
    assert _detail(db, "usage_months", f"{month} verifyplus_request") == [(
        "error", False, f"1 verifyplus_request request(s) billed in {month}, after the current month "
                        f"{now.strftime('%Y-%m')} (America/New_York): check the source timestamps")]


def test_row_count_swing_warns_and_passes(db, capsys):
    """GIVEN the previous demand load gave raw.cases 10 rows and the latest 2 (-80 %), threshold 0.2
    WHEN checked with raise_on_failure THEN nothing is raised, the run passes, the warning is in the summary and
    in ops.quality_results (level warning) with a message naming the table, both loads and the setting;
    a QualityCheckWarnings metric (not QualityCheckFailures) counts it."""
    _good_warehouse(db)
    with db.cursor() as cur:
        previous = _record_load(cur, "demand", {"documents": _counts(10), "documents_metadata": _counts(2),
                                                "templates": _counts(0), "documents_audit": _counts(0)},
                                hours_ago=25, run_id="r0")
        cur.execute("SELECT load_id FROM ops.latest_loads WHERE source = 'demand'")
        latest = cur.fetchone()[0]
    db.commit()
    summary = run_quality_checks(db)
    assert summary["passed"] is True and summary["failed"] == []
    assert summary["warnings"] == ["row_count_change:demand.documents"]
    assert _detail(db, "row_count_change", "demand.documents") == [(
        "warning", False, f"raw.cases went from 10 rows (load {previous}) to 2 (load {latest}), -80.0%: "
                          "more than ref.settings row_count_warning_share 0.2")]
    assert _detail(db, "row_count_change", "demand.documents_metadata") == [("warning", True, None)]
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    warnings = {e["Check"]: e["QualityCheckWarnings"] for e in emf if "QualityCheckWarnings" in e}
    assert warnings == {"row_count_change": [1.0], "quarantined_share": [0.0], "units_at_risk": [0.0]}
    assert all("QualityCheckFailures" not in e for e in emf if e.get("Check") == "row_count_change")


def test_unpriced_open_month_fails_naming_products(db):
    """GIVEN a migrated warehouse (no prices) with usage in March and April 2025
    WHEN checked THEN open_month_prices fails (error) for each month naming its unpriced products,
    and invoice_amounts, which reports no negative count any more, passes."""
    _good_warehouse(db, priced=False)
    with pytest.raises(QualityCheckError) as caught:
        run_quality_checks(db, sources=(), emit_metrics=False)
    march = ("open month 2025-03 has usage with no price in force for demand_archived, demand_uploaded, "
             "verifyplus_request (3 line(s)): add the prices to ref.price_list")
    assert f"open_month_prices [2025-03]: {march}" in str(caught.value)
    assert _detail(db, "open_month_prices", "2025-03") == [("error", False, march)]
    assert _detail(db, "open_month_prices", "2025-04") == [(
        "error", False, "open month 2025-04 has usage with no price in force for demand_uploaded (1 line(s)): "
                        "add the prices to ref.price_list")]
    assert [r.detail for r in caught.value.results if r.check == "invoice_amounts"] == [None]
    observed = rows(db, "SELECT observed FROM ops.quality_results WHERE check_name = 'invoice_amounts'")[0][0]
    assert observed["wrong_price"] == 0 and observed["wrong_amount"] == 0


def test_invoice_check_message_counts_are_positive(db):
    """GIVEN no prices (4 unpriced open lines) and one frozen line whose amount is wrong
    WHEN checked THEN invoice_amounts says '1 line(s) whose amount is not quantity x unit price' and nothing
    else (it used to add '-4 open line(s) not at the price in force')."""
    _good_warehouse(db, priced=False)
    _freeze_a_line_with_a_wrong_amount(db)
    summary = run_quality_checks(db, sources=(), raise_on_failure=False, emit_metrics=False)
    assert "invoice_amounts:analytics.invoice_lines" in summary["failed"]
    assert _detail(db, "invoice_amounts", "analytics.invoice_lines") == [
        ("error", False, "1 line(s) whose amount is not quantity x unit price")]


@pytest.mark.parametrize(("first_load_hours_ago", "passes"), [(2, True), (31, False)])
def test_source_never_loaded_is_stale_a_day_after_the_first_load(db, first_load_hours_ago, passes):
    """GIVEN a new warehouse whose only load is the demand source's, N hours ago, and no Verify+ load yet
    WHEN the quality checks run with freshness_hours 30
    THEN Verify+ is waiting for its first load two hours in (passes, detail says so), and stale 31 hours in."""
    with db.cursor() as cur:
        add_demand(cur, "D1", uploaded_at=ny(2025, 3, 2))
        _record_load(cur, "demand", {"documents": _counts(1), "documents_metadata": _counts(1),
                                     "templates": _counts(0), "documents_audit": _counts(0)},
                     hours_ago=first_load_hours_ago)
    db.commit()
    refresh_all(db)
    run_quality_checks(db, freshness_hours=30, emit_metrics=False, raise_on_failure=False)
    passed, observed = rows(db, "SELECT passed, observed FROM ops.quality_results "
                                "WHERE check_name = 'freshness' AND subject = 'verifyplus'")[0]
    assert passed is passes
    assert observed["waiting_for_first_load"] is True
    assert observed["hours_since_first_load"] >= first_load_hours_ago
