"""The invoice CSV finance opens in a spreadsheet: customer-typed firm names never run as formulas."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import psycopg2

from scripts.itc import invoice
from scripts.itc.jobs import spreadsheet_safe
from tests.warehouse.kit import add_demand, ny, refresh_all

HOSTILE_FIRMS = ["=HYPERLINK(\"http://x.invalid\",\"pay\")", "+1 Injury Law", "-Minus & Sons", "@SUM(A1)",
                 "\tTab Legal", "\rReturn Law", "Plain Law"]


def test_given_firm_names_that_start_like_formulas_when_the_invoice_is_written_then_each_is_text(
        db: psycopg2.extensions.connection, tmp_path: Path) -> None:
    """GIVEN October 2026 demands of firms named like spreadsheet formulas (=, +, -, @, tab, CR)
    WHEN `itc invoice` writes the CSV THEN each such name starts with an apostrophe (shown as text),
    a plain name is unchanged, and the quantities and amounts are still plain numbers."""
    with db, db.cursor() as cur:
        for i, firm in enumerate(HOSTILE_FIRMS):
            add_demand(cur, f"doc-{i}", firm=firm, uploaded_at=ny(2026, 10, 15))
        cur.execute("INSERT INTO ref.price_list (product, unit_price, effective_from, note) "
                    "SELECT 'demand_uploaded', 25.00, DATE '2026-10-01', 'test price' "
                    "WHERE NOT EXISTS (SELECT 1 FROM ref.unit_price('demand_uploaded', '2026-10'))")
    refresh_all(db)

    path = invoice.write_invoice(db, "2026-10", tmp_path)

    with path.open(newline="") as fh:
        lines = list(csv.DictReader(fh))
    firm_column = next(c for c in lines[0] if "firm" in c)
    written = {row[firm_column] for row in lines}
    assert written == {"'" + f if f[0] in "=+-@\t\r" else f for f in HOSTILE_FIRMS}
    for row in lines:
        assert Decimal(row["quantity"]) == 1
        assert not row["quantity"].startswith("'")


def test_given_numbers_and_text_then_only_text_that_starts_like_a_formula_is_changed() -> None:
    """GIVEN cell values WHEN made spreadsheet-safe THEN a negative adjustment amount stays a number and
    only text starting with =, +, -, @, tab or CR gains the apostrophe."""
    assert spreadsheet_safe(Decimal("-125.00")) == Decimal("-125.00")
    assert spreadsheet_safe(-3) == -3
    assert spreadsheet_safe("-3") == "'-3"
    assert spreadsheet_safe("2026-10") == "2026-10"
    assert spreadsheet_safe("Acme = Law") == "Acme = Law"
    assert spreadsheet_safe(None) is None
