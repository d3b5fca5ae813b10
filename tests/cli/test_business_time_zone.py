"""The `itc` command takes the business time zone from the warehouse (``ref.business_time_zone()``), never
from its own environment: its reports and the warehouse's views agree on which month a time falls in."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg2
import pytest

from orchestrator.refresh import refresh_views
from scripts.itc import dashboard, invoice
from tests.warehouse.kit import add_demand, add_demo_prices

ZONE = "Pacific/Auckland"  # 13 hours ahead of UTC in late October: its months end a day before New York's


@pytest.fixture
def auckland(db: psycopg2.extensions.connection, monkeypatch: pytest.MonkeyPatch) -> psycopg2.extensions.connection:
    """A warehouse billing in Auckland time, priced, with one upload in September and one in October (mid-month,
    the same months in any zone), refreshed; the command's environment says New York."""
    monkeypatch.setenv("ITC_BUSINESS_TZ", "America/New_York")
    with db, db.cursor() as cur:
        cur.execute("UPDATE ref.settings SET value = %s WHERE key = 'business_time_zone'", (ZONE,))
        add_demo_prices(cur)
        add_demand(cur, "S1", uploaded_at=datetime(2026, 9, 15, 12, tzinfo=UTC))
        add_demand(cur, "O1", uploaded_at=datetime(2026, 10, 15, 12, tzinfo=UTC))
    refresh_views(db)
    return db


def test_latest_complete_month_follows_the_warehouse_zone(auckland: psycopg2.extensions.connection) -> None:
    """GIVEN a warehouse whose ref.settings business time zone is Pacific/Auckland, ITC_BUSINESS_TZ=New York
    in the environment, and invoice lines in September and October 2026
    WHEN `itc` asks for the latest complete month at 2026-10-31 12:00 UTC (1 November in Auckland, still
    31 October in New York)
    THEN the answer is October (complete in Auckland), not September, and the zone it used is Auckland's."""
    assert invoice.business_tz(auckland) == ZONE
    assert invoice.latest_complete_month(auckland, now=datetime(2026, 10, 31, 12, tzinfo=UTC)) == "2026-10"
    assert invoice.latest_complete_month(auckland, now=datetime(2026, 10, 31, 10, tzinfo=UTC)) == "2026-09"


def test_dashboard_names_the_warehouse_zone(auckland: psycopg2.extensions.connection) -> None:
    """GIVEN the Auckland warehouse and ITC_BUSINESS_TZ=New York in the environment
    WHEN the dashboard is collected and rendered
    THEN it says its months are calendar months in Pacific/Auckland, the zone its figures were billed in."""
    html = dashboard.render(dashboard.collect(auckland))
    assert f"in the business time zone ({ZONE})" in html
    assert "America/New_York" not in html


def test_a_warehouse_without_the_zone_function_names_the_fix(empty_db_dsn: str) -> None:
    """GIVEN an empty database (never migrated: no ref.business_time_zone())
    WHEN `itc` asks it for the business time zone
    THEN it fails with an error naming the missing function and `itc migrate`."""
    from scripts.itc.errors import ItcError

    conn = psycopg2.connect(empty_db_dsn)
    try:
        with pytest.raises(ItcError, match=r"no ref.business_time_zone\(\): run `itc migrate`"):
            invoice.business_tz(conn)
    finally:
        conn.close()
