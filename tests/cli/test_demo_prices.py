"""No demo prices in production: migrations create no price; `itc demo` seeds its own."""

from __future__ import annotations

from decimal import Decimal

import psycopg2

from scripts.itc import demo
from scripts.stack.demo_prices import DEMO_PRICES
from tests.warehouse.kit import read

PRICES = ("SELECT product, unit_price, currency, effective_from, effective_to, note FROM ref.price_list "
          "ORDER BY price_id")


def test_migrations_alone_leave_the_price_list_empty(migrated_db_dsn):
    """GIVEN a database migrated by the runner, as `itc migrate` and the deployed migrate mode do
    WHEN its price list is read THEN it has no price (a real warehouse bills only finance's prices)."""
    conn = psycopg2.connect(migrated_db_dsn)
    try:
        assert read(conn, "SELECT count(*) FROM ref.price_list") == [(0,)]
        assert read(conn, "SELECT count(*) FROM ref.products") == [(3,)]
    finally:
        conn.close()


def test_demo_inserts_its_prices_once(empty_db_dsn):
    """GIVEN an empty database WHEN `itc demo` prepares the warehouse (migrations, then its price list)
    THEN every script is applied and ref.price_list holds exactly the demo prices; preparing it again
    applies nothing and inserts nothing."""
    applied, priced = demo.prepare_warehouse(empty_db_dsn)
    assert applied and priced == len(DEMO_PRICES) == 4
    conn = psycopg2.connect(empty_db_dsn)
    try:
        shown = read(conn, PRICES)
        assert [(p, price, cur) for p, price, cur, *_ in shown] == [
            ("demand_uploaded", Decimal("25.00"), "USD"), ("demand_archived", Decimal("5.00"), "USD"),
            ("verifyplus_request", Decimal("35.00"), "USD"), ("verifyplus_request", Decimal("40.00"), "USD")]
        assert shown == [(p.product, p.unit_price, p.currency, p.effective_from, p.effective_to, p.note)
                         for p in DEMO_PRICES]
        assert demo.prepare_warehouse(empty_db_dsn) == ([], 0)
        assert len(read(conn, PRICES)) == 4
    finally:
        conn.close()
