"""The analysts' layer (issue 15): analytics.data_freshness and the metric views of script 47, checked
against raw rows and invoice lines in a real PostgreSQL, and read by a real analyst login."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime

import psycopg2
import pytest

from scripts.itc import access
from tests.security.test_access import login
from tests.warehouse.kit import UTC, add_request, ny, read, refresh_all


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

def test_given_a_new_warehouse_when_freshness_is_read_then_every_source_view_and_the_quality_run_say_never(db):
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


def test_given_loads_refreshes_and_checks_when_freshness_is_read_then_it_shows_the_latest_in_business_days(db):
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


def test_given_an_analyst_login_when_it_reads_freshness_then_it_sees_the_rows_and_is_still_refused_on_ops(
        db, analyst):
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


def test_given_views_refreshed_by_hand_when_freshness_is_read_then_they_say_refreshed_not_recorded(db):
    """GIVEN the views refreshed directly (no ops.view_refreshes record), one billable request
    WHEN analytics.data_freshness is read
    THEN each view says 'refreshed (not recorded)' with no refresh time."""
    with db, db.cursor() as cur:
        add_request(cur, 1, ny(2026, 10, 5))
    refresh_all(db)
    got = freshness(db)
    assert got[("relation", "curated.verifyplus")]["status"] == "refreshed (not recorded)"
    assert got[("relation", "curated.verifyplus")]["last_refreshed_at"] is None
