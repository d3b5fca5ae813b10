"""orchestrator.refresh: dependency order, plain then CONCURRENTLY, ops.view_refreshes, no deadlock with a load."""

from __future__ import annotations

import threading

import psycopg2

from itc_common_utilities.db import advisory_xact_lock
from orchestrator.refresh import refresh_views, view_order
from tests.warehouse.kit import add_demand, ny, rows

ALL_VIEWS = {"curated.demands_uploaded", "curated.demands_archived", "curated.verifyplus",
             "analytics.demands_summary", "analytics.verifyplus_monthly", "analytics.billable_unit_events",
             "analytics.billable_unit_counts"}


def test_each_view_refreshes_after_the_views_it_reads(db):
    """GIVEN the migrated warehouse WHEN the refresh order is derived from pg_depend THEN curated before analytics."""
    with db.cursor() as cur:
        order = view_order(cur)
    assert set(order) == ALL_VIEWS
    assert order.index("analytics.demands_summary") > order.index("curated.demands_uploaded")
    assert order.index("analytics.demands_summary") > order.index("curated.demands_archived")
    assert order.index("analytics.verifyplus_monthly") > order.index("curated.verifyplus")
    assert order.index("analytics.billable_unit_events") > max(
        order.index(v) for v in ("curated.demands_uploaded", "curated.demands_archived", "curated.verifyplus"))
    assert order.index("analytics.billable_unit_counts") > order.index("analytics.billable_unit_events")


def test_first_refresh_plain_then_concurrent_and_recorded(db):
    """GIVEN views never populated and one uploaded demand WHEN refreshed twice
    THEN the first refresh is plain, the second CONCURRENTLY, rows are counted, ops.view_refreshes has 14 rows."""
    with db.cursor() as cur:
        add_demand(cur, "D1", uploaded_at=ny(2025, 3, 2))
    db.commit()
    first = refresh_views(db)
    second = refresh_views(db)
    assert {v["view"]: v["concurrent"] for v in first["views"]} == dict.fromkeys(ALL_VIEWS, False)
    assert {v["view"]: v["concurrent"] for v in second["views"]} == dict.fromkeys(ALL_VIEWS, True)
    assert {v["view"]: v["rows"] for v in second["views"]}["curated.demands_uploaded"] == 1
    assert rows(db, "SELECT view_name, row_count, concurrent FROM ops.view_refreshes "
                    "WHERE view_name = 'analytics.demands_summary' ORDER BY refresh_id") == [
        ("analytics.demands_summary", 1, False), ("analytics.demands_summary", 1, True)]
    assert rows(db, "SELECT count(*) FROM ops.view_refreshes") == [(14,)]


def test_refresh_beside_a_load_skips_uncommitted_rows(db, db_dsn):
    """GIVEN a demand load mid-transaction (holding load:demand, rows inserted, not committed)
    WHEN a refresh runs beside it THEN the refresh finishes without the load's rows;
    and once the load commits, the next refresh shows them."""
    refresh_views(db)
    loader = psycopg2.connect(db_dsn)
    try:
        with loader.cursor() as cur:
            advisory_xact_lock(cur, "load:demand")
            add_demand(cur, "D-loading", uploaded_at=ny(2025, 3, 2))
        outcome: dict = {}

        def refresh_in_thread() -> None:
            conn = psycopg2.connect(db_dsn)
            try:
                outcome["result"] = refresh_views(conn)
            except Exception as exc:  # reported by the assertion below
                outcome["error"] = exc
            finally:
                conn.close()

        worker = threading.Thread(target=refresh_in_thread)
        worker.start()
        worker.join(timeout=120)
        assert not worker.is_alive(), "refresh is blocked behind the load"
        assert "error" not in outcome, outcome.get("error")
        assert {v["view"]: v["rows"] for v in outcome["result"]["views"]}["curated.demands_uploaded"] == 0
        loader.commit()
    finally:
        loader.close()
    refresh_views(db)
    assert rows(db, "SELECT document_id FROM curated.demands_uploaded") == [("D-loading",)]


def test_given_a_refresh_in_progress_when_a_load_commits_beside_it_then_both_finish(db, db_dsn):
    """GIVEN a session holding the refresh lock
    WHEN a load takes load:demand and commits THEN the load is not blocked."""
    refresher = psycopg2.connect(db_dsn)
    try:
        with refresher.cursor() as cur:
            advisory_xact_lock(cur, "refresh")
            cur.execute("REFRESH MATERIALIZED VIEW curated.demands_uploaded")
        done = threading.Event()

        def load_in_thread() -> None:
            conn = psycopg2.connect(db_dsn)
            try:
                with conn.cursor() as cur:
                    advisory_xact_lock(cur, "load:demand")
                    add_demand(cur, "D2", uploaded_at=ny(2025, 3, 2))
                conn.commit()
                done.set()
            finally:
                conn.close()

        worker = threading.Thread(target=load_in_thread)
        worker.start()
        worker.join(timeout=120)
        assert done.is_set(), "the load is blocked behind the refresh"
        refresher.commit()
    finally:
        refresher.close()
    assert rows(db, "SELECT count(*) FROM raw.cases") == [(1,)]


def test_given_a_bad_view_name_when_refreshing_selected_views_then_a_clear_error(db):
    """GIVEN refresh_views WHEN asked for a view that does not exist THEN the error names it."""
    import pytest

    from itc_common_utilities.errors import TerminalError

    with pytest.raises(TerminalError, match="not a curated/analytics materialized view: curated.nope"):
        refresh_views(db, views=["curated.nope"])
