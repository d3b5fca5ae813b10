"""Analytics, price list and invoicing rules (docs/design.md §5), on rows put straight into raw tables."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import psycopg2
import pytest

from tests.warehouse.kit import add_demand, add_demo_prices, add_request, ny, refresh_all, rows


def _summary(db):
    return rows(db, "SELECT billing_month, sending_firm_name, uploaded_count, archived_count "
                    "FROM analytics.demands_summary ORDER BY 1, 2")


def _lines(db, month):
    return rows(db, "SELECT service_month, firm_name, product, line_type, quantity, unit_price, amount, status "
                    "FROM analytics.invoice_lines WHERE billing_month = %s ORDER BY 1, 2, 3, 4", (month,))


@pytest.mark.parametrize("session_tz", ["UTC", "Asia/Tokyo", "America/Los_Angeles"])
def test_new_york_month_whatever_the_session_time_zone(
    db, session_tz
):
    """GIVEN demands at 23:30 31 Oct New York (= 03:30 UTC 1 Nov) and 00:30 1 Nov New York,
    session TimeZone set elsewhere
    WHEN refreshed and summarised THEN the first is October, the second November."""
    late_october = ny(2025, 10, 31, 23, 30)
    assert late_october.astimezone(UTC) == datetime(2025, 11, 1, 3, 30, tzinfo=UTC)
    with db.cursor() as cur:
        cur.execute("SELECT set_config('TimeZone', %s, false)", (session_tz,))
        add_demand(cur, "D-oct", uploaded_at=late_october, archived_at=late_october)
        add_demand(cur, "D-nov", uploaded_at=ny(2025, 11, 1, 0, 30))
        add_request(cur, 1, late_october)
    refresh_all(db)
    with db.cursor() as cur:
        cur.execute("SHOW TimeZone")
        assert cur.fetchone()[0] == session_tz
    assert _summary(db) == [("2025-10", "Acme Law", 1, 1), ("2025-11", "Acme Law", 1, 0)]
    assert rows(db, "SELECT billing_month, billable_requests FROM analytics.verifyplus_monthly") == [("2025-10", 1)]


def test_uploads_and_archives_join_with_zeros(db):
    """GIVEN firm A uploads in March and archives in April, firm B only archives in March
    WHEN summarised THEN every month/firm pair appears with 0 for the missing side."""
    with db.cursor() as cur:
        add_demand(cur, "A1", firm="Firm A", uploaded_at=ny(2025, 3, 5), archived_at=ny(2025, 4, 2))
        add_demand(cur, "A2", firm="Firm A", uploaded_at=ny(2025, 3, 6))
        add_demand(cur, "B1", firm="Firm B", uploaded_at=None, archived_at=ny(2025, 3, 20))
        add_demand(cur, "N1", firm=None, uploaded_at=ny(2025, 3, 7))
    refresh_all(db)
    assert _summary(db) == [
        ("2025-03", "(no firm name)", 1, 0),
        ("2025-03", "Firm A", 2, 0),
        ("2025-03", "Firm B", 0, 1),
        ("2025-04", "Firm A", 0, 1),
    ]


def test_only_billable_requests_count_with_sla(db):
    """GIVEN 4 requests in March (1 duplicate, 1 excluded, 2 billable closing in 1 and 5 days), SLA target 3 days
    WHEN summarised THEN 2 billable, median 3 days, half closed within target."""
    with db.cursor() as cur:
        add_request(cur, 1, ny(2025, 3, 2, 9), closed=ny(2025, 3, 3, 9))
        add_request(cur, 2, ny(2025, 3, 2, 9), closed=ny(2025, 3, 7, 9))
        add_request(cur, 3, ny(2025, 3, 2, 9), duplicate=True, closed=ny(2025, 3, 2, 10))
        add_request(cur, 4, ny(2025, 3, 2, 9), excluded=True)
        add_request(cur, 5, None)
    refresh_all(db)
    got = rows(db, "SELECT billing_month, firm_name, total_requests, billable_requests, duplicate_requests, "
                   "excluded_requests, closed_requests, median_days_to_close, closed_within_target, "
                   "share_closed_within_target FROM analytics.verifyplus_monthly")
    assert got == [("2025-03", "Acme Law", 4, 2, 1, 1, 2, Decimal("3.00"), 1, Decimal("0.5000"))]


def test_month_uses_the_price_in_force_on_its_first_day(db):
    """GIVEN verifyplus_request at 35.00 until 2026-01-01 then 40.00 (the demo prices)
    WHEN December 2025 and January 2026 requests are invoiced THEN 35.00 and 40.00 are used."""
    with db.cursor() as cur:
        add_demo_prices(cur)
        add_request(cur, 1, ny(2025, 12, 31, 23, 59))
        add_request(cur, 2, ny(2025, 12, 15))
        add_request(cur, 3, ny(2026, 1, 1, 0, 1))
    refresh_all(db)
    assert _lines(db, "2025-12") == [
        ("2025-12", "Acme Law", "verifyplus_request", "usage", 2, Decimal("35.00"), Decimal("70.00"), "open")]
    assert _lines(db, "2026-01") == [
        ("2026-01", "Acme Law", "verifyplus_request", "usage", 1, Decimal("40.00"), Decimal("40.00"), "open")]


def test_given_an_overlapping_price_when_inserted_then_refused_with_a_clear_message(db):
    """GIVEN the open-ended demand_uploaded price WHEN finance inserts another from 2025-06-01 THEN it is refused."""
    with db.cursor() as cur:
        add_demo_prices(cur)
    with db.cursor() as cur, pytest.raises(psycopg2.Error, match="overlaps price_id"):
        cur.execute("INSERT INTO ref.price_list (product, unit_price, effective_from) "
                    "VALUES ('demand_uploaded', 30, DATE '2025-06-01')")


def test_given_no_price_in_force_when_invoiced_then_amount_is_null_and_close_refuses(db):
    """GIVEN the demo prices, which start in 2020
        WHEN a 2019 month with an upload, an archive and a request is invoiced and closed
        THEN its lines have no amount and the close is refused naming the month and every unpriced product."""
    with db.cursor() as cur:
        add_demo_prices(cur)
        add_demand(cur, "D1", uploaded_at=ny(2019, 5, 4), archived_at=ny(2019, 5, 5))
        add_request(cur, 1, ny(2019, 5, 6))
    refresh_all(db)
    assert _lines(db, "2019-05") == [
        ("2019-05", "Acme Law", "demand_archived", "usage", 1, None, None, "open"),
        ("2019-05", "Acme Law", "demand_uploaded", "usage", 1, None, None, "open"),
        ("2019-05", "Acme Law", "verifyplus_request", "usage", 1, None, None, "open"),
    ]
    refused = ("close_month: month 2019-05 has usage with no price in force: demand_archived in 2019-05, "
               "demand_uploaded in 2019-05, verifyplus_request in 2019-05 (add the prices to ref.price_list)")
    with db.cursor() as cur, pytest.raises(psycopg2.Error) as caught:
        cur.execute("SELECT analytics.close_month('2019-05', 'finance')")
    assert caught.value.diag.message_primary == refused
    db.rollback()
    assert rows(db, "SELECT count(*) FROM analytics.closed_months") == [(0,)]


def test_no_price_means_a_month_with_usage_cannot_close(db):
    """GIVEN a freshly migrated warehouse (no demo prices: migrations create none) and one March 2025 upload
    WHEN its price list is read and March is closed
    THEN ref.price_list is empty and the close is refused naming March and demand_uploaded."""
    assert rows(db, "SELECT count(*) FROM ref.price_list") == [(0,)]
    with db.cursor() as cur:
        add_demand(cur, "A1", uploaded_at=ny(2025, 3, 5))
    refresh_all(db)
    with db.cursor() as cur, pytest.raises(psycopg2.Error) as caught:
        cur.execute("SELECT analytics.close_month('2025-03', 'finance')")
    assert caught.value.diag.message_primary == (
        "close_month: month 2025-03 has usage with no price in force: demand_uploaded in 2025-03 "
        "(add the prices to ref.price_list)")


def test_closed_lines_stay_and_changes_go_on_the_next_invoice(db):
    """GIVEN March 2025 closed with 2 uploads for Firm A
    WHEN a third March upload, a March upload for new Firm B and an April upload arrive
    THEN March's lines are unchanged, April's invoice shows its usage plus +1 (A) and +1 (B) March adjustments;
    and after April is closed, a removed March demand shows as a -1 adjustment on May's invoice."""
    with db.cursor() as cur:
        add_demo_prices(cur)
        add_demand(cur, "A1", firm="Firm A", uploaded_at=ny(2025, 3, 5))
        add_demand(cur, "A2", firm="Firm A", uploaded_at=ny(2025, 3, 6))
    refresh_all(db)
    with db.cursor() as cur:
        cur.execute("SELECT analytics.close_month('2025-03', 'finance@example.test')")
        assert cur.fetchone()[0] == 1
    db.commit()
    closed_march = [("2025-03", "Firm A", "demand_uploaded", "usage", 2, Decimal("25.00"), Decimal("50.00"), "closed")]
    assert _lines(db, "2025-03") == closed_march

    with db.cursor() as cur:
        add_demand(cur, "A3", firm="Firm A", uploaded_at=ny(2025, 3, 31, 23, 30))
        add_demand(cur, "B1", firm="Firm B", uploaded_at=ny(2025, 3, 10))
        add_demand(cur, "A4", firm="Firm A", uploaded_at=ny(2025, 4, 1, 0, 30))
    refresh_all(db)
    assert _lines(db, "2025-03") == closed_march
    assert _lines(db, "2025-04") == [
        ("2025-03", "Firm A", "demand_uploaded", "adjustment", 1, Decimal("25.00"), Decimal("25.00"), "open"),
        ("2025-03", "Firm B", "demand_uploaded", "adjustment", 1, Decimal("25.00"), Decimal("25.00"), "open"),
        ("2025-04", "Firm A", "demand_uploaded", "usage", 1, Decimal("25.00"), Decimal("25.00"), "open"),
    ]

    with db.cursor() as cur:
        cur.execute("SELECT analytics.close_month('2025-04', 'finance@example.test')")
        assert cur.fetchone()[0] == 3
        cur.execute("DELETE FROM raw.metadata WHERE document_id = 'A1'")
        cur.execute("DELETE FROM raw.cases WHERE document_id = 'A1'")
    db.commit()
    refresh_all(db)
    assert _lines(db, "2025-03") == closed_march
    assert [r[3] for r in _lines(db, "2025-04")] == ["adjustment", "adjustment", "usage"]
    assert _lines(db, "2025-05") == [
        ("2025-03", "Firm A", "demand_uploaded", "adjustment", -1, Decimal("25.00"), Decimal("-25.00"), "open"),
    ]
    assert rows(db, "SELECT billing_month, line_count, total_amount FROM analytics.closed_months ORDER BY 1") == [
        ("2025-03", 1, Decimal("50.00")), ("2025-04", 3, Decimal("75.00")),
    ]


def _close_march_2025_with_one_demand(db):
    """One demand uploaded in March 2025 (New York), demo prices, views refreshed, March closed by 'finance'."""
    with db.cursor() as cur:
        add_demo_prices(cur)
        add_demand(cur, "A1", uploaded_at=ny(2025, 3, 5))
    refresh_all(db)
    with db.cursor() as cur:
        cur.execute("SELECT analytics.close_month('2025-03', 'finance')")
    db.commit()


def test_closing_a_month_twice_is_refused(db):
    """GIVEN March 2025 closed WHEN closed a second time THEN 'already closed' is raised and the lines are unchanged."""
    _close_march_2025_with_one_demand(db)
    already = r"month 2025-03 is already closed \(closed at .* by finance\)"
    with db.cursor() as cur, pytest.raises(psycopg2.Error, match=already):
        cur.execute("SELECT analytics.close_month('2025-03', 'someone else')")
    db.rollback()
    assert rows(db, "SELECT count(*) FROM analytics.closed_invoice_lines") == [(1,)]


@pytest.mark.parametrize(("month", "message"), [
    ("2025-13", "is not YYYY-MM"),
    ("March", "is not YYYY-MM"),
    ("2999-01", "has not ended yet in time zone America/New_York"),
])
def test_given_a_bad_or_unfinished_month_when_closed_then_refused_with_reason(db, month, message):
    """GIVEN a malformed or not yet ended month WHEN closed THEN the error names the problem."""
    refresh_all(db)
    with db.cursor() as cur, pytest.raises(psycopg2.Error, match=message):
        cur.execute("SELECT analytics.close_month(%s, 'finance')", (month,))


def test_given_closed_lines_when_someone_edits_them_then_refused(db):
    """GIVEN a closed month WHEN its lines are updated or deleted
        THEN the database refuses: closed months are never rewritten."""
    _close_march_2025_with_one_demand(db)
    with db.cursor() as cur, pytest.raises(psycopg2.Error, match="append-only"):
        cur.execute("UPDATE analytics.closed_invoice_lines SET quantity = 99")
    db.rollback()
    with db.cursor() as cur, pytest.raises(psycopg2.Error, match="append-only"):
        cur.execute("DELETE FROM analytics.closed_months")


def test_given_unrefreshed_views_when_closing_then_told_to_refresh_first(db):
    """GIVEN a fresh warehouse never refreshed WHEN a month is closed THEN the error says to refresh first."""
    with db.cursor() as cur, pytest.raises(psycopg2.Error, match="never been refreshed"):
        cur.execute("SELECT analytics.close_month('2025-03', 'finance')")


def test_given_a_bad_time_zone_setting_when_written_then_refused(db):
    """GIVEN ref.settings WHEN business_time_zone is set to 'Mars/Olympus' THEN it is refused naming the setting."""
    with db.cursor() as cur, pytest.raises(psycopg2.Error, match="business_time_zone: Mars/Olympus is not a time zone"):
        cur.execute("UPDATE ref.settings SET value = 'Mars/Olympus' WHERE key = 'business_time_zone'")


def test_given_business_time_zone_changed_when_refreshed_then_months_follow_it(db):
    """GIVEN the business time zone set to UTC
        WHEN the 23:30 31 Oct New York demand is summarised THEN it is November."""
    with db.cursor() as cur:
        cur.execute("UPDATE ref.settings SET value = 'UTC' WHERE key = 'business_time_zone'")
        add_demand(cur, "D1", uploaded_at=ny(2025, 10, 31, 23, 30))
    refresh_all(db)
    assert _summary(db) == [("2025-11", "Acme Law", 1, 0)]


def test_analytics_layer_has_no_phi_columns(db):
    """GIVEN the analytics layer WHEN its column comments are read THEN none is marked PHI/PII."""
    marked = rows(db, """
        SELECT c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relnamespace = 'analytics'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
          AND col_description(c.oid, a.attnum) ~ '\\((PHI|PII)'
    """)
    assert marked == []
