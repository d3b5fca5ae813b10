"""The demo price list: made-up unit prices for the local demo and the tests, never for a real warehouse.

The migrations create no price (ref.price_list starts empty): a real warehouse bills only what finance enters in
``ref.price_list`` (README "Operate"). ``itc demo`` seeds these after applying the migrations, and the
tests that need priced invoices take them from here (``tests/warehouse/kit.py``, ``tests/conftest.py``),
so there is one demo price list.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class DemoPrice:
    product: str
    unit_price: Decimal
    effective_from: date
    effective_to: date | None
    note: str
    currency: str = "USD"


DEMO_PRICES: tuple[DemoPrice, ...] = (
    DemoPrice("demand_uploaded", Decimal("25.00"), date(2020, 1, 1), None, "demo price"),
    DemoPrice("demand_archived", Decimal("5.00"), date(2020, 1, 1), None, "demo price"),
    DemoPrice("verifyplus_request", Decimal("35.00"), date(2020, 1, 1), date(2026, 1, 1), "demo price"),
    DemoPrice("verifyplus_request", Decimal("40.00"), date(2026, 1, 1), None, "demo price increase"),
)

_INSERT = (
    "INSERT INTO ref.price_list (product, unit_price, effective_from, effective_to, note, currency) "
    "VALUES (%s, %s, %s, %s, %s, %s)"
)


def seed_demo_prices(cur: Any) -> int:
    """Insert :data:`DEMO_PRICES` into an EMPTY ``ref.price_list``; return how many rows were inserted.

    A price list that already holds a row (an earlier seeding, or prices someone entered) is left as
    it is and 0 is returned. Takes a cursor; the caller commits.
    """
    cur.execute("SELECT EXISTS (SELECT 1 FROM ref.price_list)")
    if cur.fetchone()[0]:
        return 0
    cur.executemany(_INSERT, [astuple(p) for p in DEMO_PRICES])
    return len(DEMO_PRICES)
