"""The analysts' layer (docs/analysts.md): analytics.data_freshness and the metric views (analytics.months,
analytics.firms, the revenue, SLA and growth views), checked against raw rows and invoice lines in a real PostgreSQL,
and read by a real analyst login."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest

from orchestrator.refresh import refresh_views
from scripts.itc import access
from tests.security.test_access import login
from tests.warehouse.kit import UTC, add_demand, add_demo_prices, add_request, ny, read, refresh_all


def add_load(cur, source: str, extracted_at: datetime, *, status: str = "succeeded",
             finished_at: datetime | None = None) -> int:
    cur.execute(
        "INSERT INTO ops.load_runs (source, run_id, manifest_bucket, manifest_key, manifest_sha256, extracted_at, "
        "status, started_at, finished_at) VALUES (%s, %s, 'landing', 'k', md5(%s) || md5(%s), %s, %s, %s, %s) "
        "RETURNING load_id",
        (source, f"run-{uuid.uuid4().hex[:6]}", str(extracted_at) + status, source, extracted_at, status,
         finished_at or extracted_at, finished_at or extracted_at),
    )
    return cur.fetchone()[0]


def freshness(conn) -> dict[tuple[str, str], dict]:
    with conn.cursor() as cur:
        cur.execute("SELECT * FROM analytics.data_freshness")
        names = [d.name for d in cur.description]
        out = {(r[0], r[1]): dict(zip(names, r, strict=True)) for r in cur.fetchall()}
    conn.rollback()
    return out


@pytest.fixture
def analyst(db, db_dsn) -> Iterator[psycopg2.extensions.connection]:
    """A real analyst login (itc access grant), connected over TCP, session time zone UTC."""
    name = f"ana_{uuid.uuid4().hex[:8]}"
    password = access.grant_analyst(db, name, granted_by="metric tests", reason="analyst layer", valid_days=1)
    conn = login(db_dsn, name, password)
    with conn.cursor() as cur:
        cur.execute("SET TimeZone = 'UTC'")
    conn.commit()
    yield conn
    conn.close()
    access.revoke_analyst(db, name, revoked_by="metric tests", reason="test over")


# ------------------------------------------------------------------------------------ data freshness

def test_new_warehouse_freshness_says_never(db):
    """GIVEN a migrated warehouse nothing was loaded into
    WHEN analytics.data_freshness is read
    THEN both sources say 'never loaded', every curated/analytics materialized view 'never refreshed',
    and the quality row 'never run'."""
    got = freshness(db)
    assert {k: v["status"] for k, v in got.items() if k[0] == "source"} == {
        ("source", "demand"): "never loaded", ("source", "verifyplus"): "never loaded"}
    relations = {k[1]: v["status"] for k, v in got.items() if k[0] == "relation"}
    assert set(relations) >= {"curated.demands_uploaded", "curated.demands_archived", "curated.verifyplus",
                              "analytics.demands_summary", "analytics.verifyplus_monthly"}
    assert set(relations.values()) == {"never refreshed"}
    assert got[("quality", "quality_checks")]["status"] == "never run"
    assert got[("quality", "quality_checks")]["checked_at"] is None


def test_freshness_shows_latest_in_business_days(db):
    """GIVEN a demand snapshot extracted at 22:00 New York on 1 November (03:00 UTC on the 2nd), a failed
    load after it, a Verify+ snapshot extracted at 06:00 New York on 2 November, two refreshes of a view
    and a quality run with one failed error and one warning
    WHEN analytics.data_freshness is read (session in UTC)
    THEN demand is complete through 31 October (not 1 November, as a UTC date would say), its status
    is 'failed' with 1 failed load since the data shown; verifyplus is complete through 1 November; the
    view shows its latest refresh; the quality row counts 1 passed, 1 failed, 1 warned and names them."""
    with db, db.cursor() as cur:
        cur.execute("SET TimeZone = 'UTC'")
        demand = add_load(cur, "demand", ny(2026, 11, 1, 22))
        add_load(cur, "demand", ny(2026, 11, 2, 22), status="failed")
        add_load(cur, "verifyplus", ny(2026, 11, 2, 6))
        cur.execute("INSERT INTO ops.view_refreshes (view_name, refreshed_at, duration_ms, row_count, concurrent) "
                    "VALUES ('analytics.demands_summary', %s, 5, 7, true), "
                    "('analytics.demands_summary', %s, 5, 9, true)", (ny(2026, 11, 1, 23), ny(2026, 11, 2, 7)))
        cur.execute("INSERT INTO ops.quality_results (check_run_id, check_name, subject, passed, level, checked_at) "
                    "VALUES ('old', 'freshness', 'demand', false, 'error', %s), "
                    "('new', 'freshness', 'demand', true, 'error', %s), "
                    "('new', 'invoice_amounts', '2026-10', false, 'error', %s), "
                    "('new', 'row_count_change', 'raw.cases', false, 'warning', %s)",
                    (ny(2026, 11, 1, 8), ny(2026, 11, 2, 8), ny(2026, 11, 2, 8), ny(2026, 11, 2, 8)))
    got = freshness(db)
    d = got[("source", "demand")]
    assert (d["status"], d["load_id"], d["complete_through"], d["failed_loads_since"]) == (
        "failed", demand, date(2026, 10, 31), 1)
    assert d["extracted_at"] == ny(2026, 11, 1, 22) and d["extracted_at"].astimezone(UTC).day == 2
    v = got[("source", "verifyplus")]
    assert (v["status"], v["complete_through"], v["failed_loads_since"]) == ("succeeded", date(2026, 11, 1), 0)
    r = got[("relation", "analytics.demands_summary")]
    assert (r["last_refreshed_at"], r["row_count"]) == (ny(2026, 11, 2, 7), 9)
    q = got[("quality", "quality_checks")]
    assert (q["status"], q["checked_at"], q["checks_passed"], q["checks_failed"], q["checks_warned"]) == (
        "failed", ny(2026, 11, 2, 8), 1, 1, 1)
    assert q["failed_checks"] == "invoice_amounts:2026-10, row_count_change:raw.cases"


def test_analyst_reads_freshness_but_not_ops(db, analyst):
    """GIVEN a loaded source and an analyst login granted by `itc access grant`
    WHEN the analyst reads analytics.data_freshness, then ops.load_runs
    THEN the freshness rows come back (the view reads ops with its owner's rights), and ops itself is
    refused with 'permission denied for schema ops'."""
    with db, db.cursor() as cur:
        add_load(cur, "verifyplus", ny(2026, 11, 2, 6))
    rows = read(analyst, "SELECT kind, name, status, complete_through FROM analytics.data_freshness "
                         "WHERE kind = 'source' ORDER BY name")
    assert rows == [("source", "demand", "never loaded", None),
                    ("source", "verifyplus", "succeeded", date(2026, 11, 1))]
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="permission denied for schema ops"):
        read(analyst, "SELECT * FROM ops.load_runs")


def test_hand_refresh_says_refreshed_not_recorded(db):
    """GIVEN the views refreshed directly (no ops.view_refreshes record), one billable request
    WHEN analytics.data_freshness is read
    THEN each view says 'refreshed (not recorded)' with no refresh time."""
    with db, db.cursor() as cur:
        add_request(cur, 1, ny(2026, 10, 5))
    refresh_all(db)
    got = freshness(db)
    assert got[("relation", "curated.verifyplus")]["status"] == "refreshed (not recorded)"
    assert got[("relation", "curated.verifyplus")]["last_refreshed_at"] is None


# ------------------------------------------------------------------------------------ the metric views

def refresh(conn) -> None:
    """Every materialized view, in dependency order, as the refresh job does."""
    refresh_views(conn)


def test_company_sla_median_is_the_true_median(db):
    """GIVEN in October 2026 firm A's billable requests closing in 2 and 8 days, firm B's in 9 and 21, plus a
    duplicate (1 day), an excluded (1 day) and an open request
    WHEN analytics.verifyplus_sla is read
    THEN the company median is 8.5 (the firm medians 5 and 15 average to 10.0), 4 of 5 billable closed, 1
    within the 3-day target; each firm has its own row with its median."""
    with db, db.cursor() as cur:
        for rid, firm, days in ((1, "Firm A", 2), (2, "Firm A", 8), (3, "Firm B", 9), (4, "Firm B", 21)):
            add_request(cur, rid, ny(2026, 10, 1, 9), firm=firm, closed=ny(2026, 10, 1 + days, 9))
        add_request(cur, 5, ny(2026, 10, 2, 9), firm="Firm A", duplicate=True, closed=ny(2026, 10, 3, 9))
        add_request(cur, 6, ny(2026, 10, 2, 9), firm="Firm B", excluded=True, closed=ny(2026, 10, 3, 9))
        add_request(cur, 7, ny(2026, 10, 2, 9), firm="Firm B")
    refresh(db)
    firm_medians = read(db, "SELECT avg(median_days_to_close) FROM analytics.verifyplus_monthly "
                            "WHERE billing_month = '2026-10'")
    assert firm_medians == [(Decimal("10.0000000000000000"),)]
    got = read(db, "SELECT scope, firm_key, firm_name, billable_requests, closed_requests, median_days_to_close, "
                   "closed_within_target, share_closed_within_target FROM analytics.verifyplus_sla "
                   "WHERE billing_month = '2026-10' ORDER BY scope, firm_key")
    assert got == [
        ("company", None, None, 5, 4, Decimal("8.50"), 1, Decimal("0.2500")),
        ("firm", "name:firm a", "Firm A", 2, 2, Decimal("5.00"), 1, Decimal("0.5000")),
        ("firm", "name:firm b", "Firm B", 3, 2, Decimal("15.00"), 0, Decimal("0.0000")),
    ]
    assert read(db, "SELECT billable_requests, closed_requests, median_days_to_close, share_closed_within_target "
                    "FROM analytics.verifyplus_sla WHERE scope = 'company' AND billing_month = '2026-09'") == [
        (0, 0, None, None)]


def test_empty_month_has_zero_growth_across_it(db):
    """GIVEN 3 demands uploaded in August 2026, none in September, 2 in October (one at 23:30 New York on 31
    October, which is November in UTC)
    WHEN analytics.monthly_growth is read for demands_uploaded
    THEN September shows 0 (change -3, -100.0 %), October 2 against 0 (change +2, no percentage)."""
    with db, db.cursor() as cur:
        cur.execute("SET TimeZone = 'UTC'")
        for i in range(3):
            add_demand(cur, f"aug-{i}", uploaded_at=ny(2026, 8, 10 + i))
        add_demand(cur, "oct-1", uploaded_at=ny(2026, 10, 5))
        add_demand(cur, "oct-2", uploaded_at=ny(2026, 10, 31, 23, 30))
    refresh(db)
    got = read(db, "SELECT billing_month, value, previous_value, change, change_pct FROM analytics.monthly_growth "
                   "WHERE metric = 'demands_uploaded' AND billing_month BETWEEN '2026-08' AND '2026-11' ORDER BY 1")
    assert got == [("2026-08", 3, 0, 3, None), ("2026-09", 0, 3, -3, Decimal("-100.0")),
                   ("2026-10", 2, 0, 2, None), ("2026-11", 0, 2, -2, Decimal("-100.0"))]


def test_revenue_views_add_up_to_invoice_lines(db):
    """GIVEN the demo prices, 2 demands uploaded in August 2026 (closed), then a third August demand arriving
    late, no usage in September, one billable Verify+ request in October
    WHEN revenue is read
    THEN by billing month: August 50.00 usage (final), September 25.00 adjustment (draft), October 40.00; by
    service month: August 75.00 (50 usage + 25 adjustment), September 0; each equals the invoice lines'
    sum; revenue growth goes 50 -> 25 (-50.0 %) -> 40."""
    with db, db.cursor() as cur:
        add_demo_prices(cur)
        add_demand(cur, "aug-1", uploaded_at=ny(2026, 8, 3))
        add_demand(cur, "aug-2", uploaded_at=ny(2026, 8, 4))
    refresh(db)
    with db, db.cursor() as cur:
        cur.execute("SELECT analytics.close_month('2026-08', 'metric tests')")
        add_demand(cur, "aug-late", uploaded_at=ny(2026, 8, 30))
        add_request(cur, 1, ny(2026, 10, 7))
    refresh(db)
    by_billing = read(db, "SELECT billing_month, usage_amount, adjustment_amount, price_adjustment_amount, "
                          "total_amount, invoice_status FROM analytics.revenue_by_billing_month "
                          "WHERE billing_month BETWEEN '2026-08' AND '2026-10' ORDER BY 1")
    assert by_billing == [("2026-08", Decimal("50.00"), 0, 0, Decimal("50.00"), "final"),
                          ("2026-09", 0, Decimal("25.00"), 0, Decimal("25.00"), "draft"),
                          ("2026-10", Decimal("40.00"), 0, 0, Decimal("40.00"), "draft")]
    by_service = read(db, "SELECT service_month, usage_amount, adjustment_amount, total_amount "
                          "FROM analytics.revenue_by_service_month "
                          "WHERE service_month BETWEEN '2026-08' AND '2026-10' ORDER BY 1")
    assert by_service == [("2026-08", Decimal("50.00"), Decimal("25.00"), Decimal("75.00")),
                          ("2026-09", 0, 0, 0), ("2026-10", Decimal("40.00"), 0, Decimal("40.00"))]
    for view, month in (("revenue_by_billing_month", "billing_month"), ("revenue_by_service_month", "service_month")):
        mismatched = read(db, f"""
            SELECT r.{month}, r.total_amount, l.total FROM analytics.{view} r
            FULL JOIN (SELECT {month}, sum(amount) AS total FROM analytics.invoice_lines GROUP BY 1) l USING ({month})
            WHERE r.total_amount IS DISTINCT FROM coalesce(l.total, 0)""")
        assert mismatched == []
    growth = read(db, "SELECT billing_month, value, change_pct FROM analytics.monthly_growth "
                      "WHERE metric = 'revenue' AND billing_month BETWEEN '2026-08' AND '2026-10' ORDER BY 1")
    assert growth == [("2026-08", Decimal("50.00"), None), ("2026-09", Decimal("25.00"), Decimal("-50.0")),
                      ("2026-10", Decimal("40.00"), Decimal("60.0"))]


def test_each_firm_has_one_key_and_all_names(db):
    """GIVEN demands from 'Acme Law' and Verify+ requests from 'ACME  law' (case and spacing differ), 'Baker
    Legal' mapped to account baker ('Baker Legal LLP') in both sources, and a Verify+ firm with only a
    duplicate request
    WHEN analytics.firms and analytics.firm_names are read
    THEN Acme is one firm keyed by its normalised name with both spellings, Baker is keyed by its account and
    named by it, and the duplicate-only firm is listed too."""
    with db, db.cursor() as cur:
        cur.execute("INSERT INTO ref.billing_accounts (account_id, account_name) VALUES ('baker', 'Baker Legal LLP')")
        cur.execute("INSERT INTO ref.billing_account_names (match_kind, match_value, account_id) "
                    "VALUES ('firm_name', 'baker legal', 'baker')")
        add_demand(cur, "d-1", firm="Acme Law", uploaded_at=ny(2026, 9, 3))
        add_demand(cur, "d-2", firm="Baker Legal", uploaded_at=ny(2026, 10, 3))
        add_request(cur, 1, ny(2026, 10, 1), firm="ACME  law")
        add_request(cur, 2, ny(2026, 10, 1), firm="Baker Legal")
        add_request(cur, 3, ny(2026, 10, 1), firm="Solo Dup", duplicate=True)
    refresh(db)
    assert read(db, "SELECT firm_key, firm_name, billing_account_id, names, in_demands, in_verifyplus, first_month, "
                    "last_month FROM analytics.firms ORDER BY firm_key") == [
        ("baker", "Baker Legal LLP", "baker", ["Baker Legal"], True, True, "2026-10", "2026-10"),
        ("name:acme law", "ACME  law", None, ["ACME  law", "Acme Law"], True, True, "2026-09", "2026-10"),
        ("name:solo dup", "Solo Dup", None, ["Solo Dup"], False, True, "2026-10", "2026-10"),
    ]
    assert read(db, "SELECT firm_name, firm_key FROM analytics.firm_names ORDER BY firm_name COLLATE \"C\"") == [
        ("ACME  law", "name:acme law"), ("Acme Law", "name:acme law"), ("Baker Legal", "baker"),
        ("Solo Dup", "name:solo dup")]
    assert read(db, "SELECT DISTINCT analytics.firm_key(billing_account_id, firm_name) FROM analytics.invoice_lines "
                    "ORDER BY 1") == [("baker",), ("name:acme law",)]


def test_calendar_runs_from_service_start_to_now(db):
    """GIVEN service start 2026-01, August 2026 closed, both sources loaded from snapshots extracted on
    1 September 2026 at 06:00 New York
    WHEN analytics.months is read
    THEN it starts at 2026-01, ends at the current business month, each month starts at midnight New York;
    August is closed/final and complete (the snapshots are complete through 31 August), September is not."""
    refresh(db)
    with db, db.cursor() as cur:
        cur.execute("UPDATE ref.settings SET value = '2026-01' WHERE key = 'service_start_month'")
        cur.execute("SELECT analytics.close_month('2026-08', 'metric tests')")
        for source in ("demand", "verifyplus"):
            add_load(cur, source, ny(2026, 9, 1, 6))
    months = read(db, "SELECT billing_month, month_start, month_end, is_closed, invoice_status, has_ended, "
                      "is_complete, is_current FROM analytics.months ORDER BY 1")
    current = read(db, "SELECT ref.billing_month(now())")[0][0]
    assert months[0][0] == "2026-01" and months[-1][0] == current and months[-1][7]
    assert len({m[0] for m in months}) == len(months)
    aug = next(m for m in months if m[0] == "2026-08")
    assert aug[1:] == (ny(2026, 8, 1, 0), ny(2026, 9, 1, 0), True, "final", True, True, False)
    sep = next(m for m in months if m[0] == "2026-09")
    assert (sep[3], sep[4], sep[6]) == (False, "draft", False)


def test_given_an_analyst_login_when_it_reads_every_metric_view_then_rows_come_back(db, analyst):
    """GIVEN a refreshed warehouse with one demand and an analyst login
    WHEN the analyst reads each view of the metric layer and calls analytics.firm_key
    THEN every read succeeds (no ops, raw or curated privilege needed)."""
    with db, db.cursor() as cur:
        add_demand(cur, "d-1", uploaded_at=ny(2026, 10, 3))
        add_request(cur, 1, ny(2026, 10, 1), closed=ny(2026, 10, 2))
    refresh(db)
    for view in METRIC_VIEWS:
        assert read(analyst, f"SELECT count(*) > 0 FROM analytics.{view}") == [(True,)], view
    assert read(analyst, "SELECT analytics.firm_key(NULL, ' Acme   LAW ')") == [("name:acme law",)]


METRIC_VIEWS = ("data_freshness", "months", "firms", "firm_names", "revenue_by_billing_month",
                "revenue_by_service_month", "verifyplus_sla", "monthly_growth")


# ------------------------------------------------------------------------------------ docs/analysts.md

ANALYSTS_DOC = Path(__file__).resolve().parents[2] / "docs" / "analysts.md"
_QUESTION = re.compile(r"```sql\n-- question: (\w+)[^\n]*\n(.*?)```", re.S)


def seed_analysts_doc_examples(db) -> None:
    """The rows check_analysts_doc_answers expects docs/analysts.md's answers from: Acme Law (demands in
    August and October, Verify+ requests at 21:00 New York on 30 September, on 15 October and twice at 22:00 New York on
    31 October, plus a duplicate), Baker Legal billed on account baker, the demo prices; refreshed."""
    with db, db.cursor() as cur:
        add_demo_prices(cur)
        cur.execute("INSERT INTO ref.billing_accounts (account_id, account_name) VALUES ('baker', 'Baker Legal LLP')")
        cur.execute("INSERT INTO ref.billing_account_names (match_kind, match_value, account_id) "
                    "VALUES ('firm_name', 'Baker Legal', 'baker')")
        add_demand(cur, "aug-1", uploaded_at=ny(2026, 8, 2), archived_at=ny(2026, 10, 10))
        add_demand(cur, "aug-2", uploaded_at=ny(2026, 8, 2))
        add_demand(cur, "oct-1", uploaded_at=ny(2026, 10, 1))
        add_demand(cur, "oct-b", firm="Baker Legal", uploaded_at=ny(2026, 10, 3))
        add_request(cur, 1, ny(2026, 9, 30, 21))
        add_request(cur, 2, ny(2026, 10, 15), closed=ny(2026, 10, 17))
        add_request(cur, 3, ny(2026, 10, 31, 22))
        add_request(cur, 4, ny(2026, 10, 31, 22))
        add_request(cur, 5, ny(2026, 10, 20), duplicate=True)
    refresh(db)


def analysts_doc_queries() -> dict[str, str]:
    """question name -> SQL of every query in docs/analysts.md."""
    return dict(_QUESTION.findall(ANALYSTS_DOC.read_text(encoding="utf-8")))


def check_analysts_doc_answers(answers: dict[str, list[tuple]]) -> None:
    """Each docs/analysts.md question's answer over seed_analysts_doc_examples (session in UTC)."""
    assert set(answers) == {"freshness", "october_billing_month_column", "october_created_month",
                            "demands_per_firm", "verifyplus_per_firm", "sla_trend",
                            "invoice_lines", "growth"}
    assert [r[:3] for r in answers["freshness"] if r[0] == "source"] == [
        ("source", "demand", "never loaded"), ("source", "verifyplus", "never loaded")]
    assert (answers["october_billing_month_column"], answers["october_created_month"]) == ([(3,)], [(3,)])
    assert answers["demands_per_firm"] == [("2026-08", "name:acme law", "Acme Law", 2, 0),
                                           ("2026-10", "name:acme law", "Acme Law", 1, 1),
                                           ("2026-10", "baker", "Baker Legal LLP", 1, 0)]
    assert answers["verifyplus_per_firm"] == [("2026-09", "name:acme law", "Acme Law", 1),
                                              ("2026-10", "name:acme law", "Acme Law", 3)]
    assert answers["sla_trend"] == [("2026-08", 0, 0, None, None, Decimal("3")),
                                    ("2026-09", 1, 0, None, None, Decimal("3")),
                                    ("2026-10", 3, 1, Decimal("2.00"), Decimal("1.0000"), Decimal("3"))]
    assert [(r[1], r[2], r[3], r[6], r[8]) for r in answers["invoice_lines"]] == [
        ("draft", "Acme Law", "demand_archived", 1, Decimal("5.00")),
        ("draft", "Acme Law", "demand_uploaded", 1, Decimal("25.00")),
        ("draft", "Acme Law", "verifyplus_request", 3, Decimal("120.00")),
        ("draft", "Baker Legal LLP", "demand_uploaded", 1, Decimal("25.00"))]
    uploaded = [(r[0], r[3], r[5]) for r in answers["growth"] if r[1] == "demands_uploaded"]
    assert uploaded == [("2026-08", 2, 2), ("2026-09", 0, -2), ("2026-10", 2, 2)]
    revenue = [(r[0], r[3]) for r in answers["growth"] if r[1] == "revenue"]
    assert revenue == [("2026-08", Decimal("50.00")), ("2026-09", Decimal("40.00")), ("2026-10", Decimal("175.00"))]


def test_analyst_doc_queries_use_the_metric_views(db, analyst):
    """GIVEN Acme Law (demands in August and October, Verify+ requests at 21:00 New York on 30 September, on
    15 October and twice at 22:00 New York on 31 October, plus a duplicate) and Baker Legal billed on account
    baker, the demo prices
    WHEN every query of docs/analysts.md runs as an analyst login in a UTC session
    THEN each gives check_analysts_doc_answers' answer: 3 October requests by billing month and by month of
    creation (the month of 21:00 and 22:00 New York, whatever the session's time zone)."""
    seed_analysts_doc_examples(db)
    answers = {name: read(analyst, query) for name, query in analysts_doc_queries().items()}
    check_analysts_doc_answers(answers)
