"""The invoice CSV finance opens in a spreadsheet: customer-typed firm names never run as formulas; the file
says what it shows (draft or final, the data's as-of time) and adds up per firm and in total, in rows a
reader can filter out."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import psycopg2

from scripts.itc import invoice
from scripts.itc.jobs import spreadsheet_safe
from tests.warehouse.kit import add_demand, add_demo_prices, add_request, ny, refresh_all

HOSTILE_FIRMS = ["=HYPERLINK(\"http://x.invalid\",\"pay\")", "+1 Injury Law", "-Minus & Sons", "@SUM(A1)",
                 "\tTab Legal", "\rReturn Law", "Plain Law"]


def test_formula_like_firm_names_are_written_as_text(
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
        lines = [row for row in csv.DictReader(fh) if row["line_type"] in invoice.LINE_TYPES]
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


def seed_october(db: psycopg2.extensions.connection) -> None:
    """Two firms' October 2026 usage at the demo prices, loaded from snapshots extracted at 05:00 UTC on
    1 November (demand) and 04:00 (Verify+), the views refreshed at 05:03."""
    with db, db.cursor() as cur:
        add_demo_prices(cur)
        add_demand(cur, "a1", firm="Abbott Law", uploaded_at=ny(2026, 10, 5), archived_at=ny(2026, 10, 20))
        add_demand(cur, "a2", firm="Abbott Law", uploaded_at=ny(2026, 10, 6))
        add_demand(cur, "b1", firm="Baker LLP", uploaded_at=ny(2026, 10, 7))
        add_request(cur, 11, ny(2026, 10, 8), firm="Baker LLP")
        for source, extracted in (("demand", "2026-11-01T05:00:00Z"), ("verifyplus", "2026-11-01T04:00:00Z")):
            cur.execute("INSERT INTO ops.load_runs (source, run_id, manifest_bucket, manifest_key, manifest_sha256, "
                        "extracted_at, status, started_at, finished_at) VALUES (%s, 'r1', 'landing', %s, %s, %s, "
                        "'succeeded', '2026-11-01T05:01:00Z', '2026-11-01T05:02:00Z')",
                        (source, f"{source}/run=r1/_manifest.json", source[0] * 64, extracted))
        cur.execute("INSERT INTO ops.view_refreshes (view_name, refreshed_at, duration_ms, concurrent) "
                    "VALUES ('analytics.demands_summary', '2026-11-01T05:03:00Z', 5, false)")
    refresh_all(db)


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="") as fh:
        header, *body = list(csv.reader(fh))
    return header, body


def test_open_month_invoice_is_a_stamped_draft_with_totals(
        db: psycopg2.extensions.connection, tmp_path: Path) -> None:
    """GIVEN October 2026 usage of two firms, loaded from a snapshot extracted 2026-11-01 05:00 UTC, October open
    WHEN `itc invoice --month 2026-10` writes the CSV
    THEN the header comes first and every row has every column; each row says invoice_status 'draft' and
    data_as_of 2026-11-01T05:00:00Z; each firm's lines are followed by its subtotal row, the total row is last,
    and filtering line_type to the three line types gives exactly the view's lines."""
    seed_october(db)

    header, body = read_csv(invoice.write_invoice(db, "2026-10", tmp_path))

    with db.cursor() as cur:
        cur.execute("SELECT * FROM analytics.invoice_lines WHERE billing_month = '2026-10' "
                    "ORDER BY firm_name, product, line_type, service_month")
        view_columns = [d[0] for d in cur.description]
        view_lines = [["" if v is None else str(v) for v in row] for row in cur.fetchall()]
    db.rollback()
    assert header == [*view_columns, "invoice_status", "data_as_of"]
    assert all(len(row) == len(header) for row in body)
    col = {name: i for i, name in enumerate(header)}
    assert {(row[col["invoice_status"]], row[col["data_as_of"]]) for row in body} == {("draft", "2026-11-01T05:00:00Z")}
    assert [row[:len(view_columns)] for row in body if row[col["line_type"]] in invoice.LINE_TYPES] == view_lines

    shape = [(row[col["firm_name"]], row[col["product"]], row[col["line_type"]], row[col["amount"]]) for row in body]
    assert shape == [
        ("Abbott Law", "demand_archived", "usage", "5.00"),
        ("Abbott Law", "demand_uploaded", "usage", "50.00"),
        ("Abbott Law", "", "subtotal", "55.00"),
        ("Baker LLP", "demand_uploaded", "usage", "25.00"),
        ("Baker LLP", "verifyplus_request", "usage", "40.00"),
        ("Baker LLP", "", "subtotal", "65.00"),
        ("", "", "total", "120.00"),
    ]
    subtotal = body[2]
    assert subtotal[col["quantity"]] == subtotal[col["unit_price"]] == ""  # no sum across products
    assert subtotal[col["billing_month"]] == "2026-10" and subtotal[col["currency"]] == "USD"


def test_given_a_closed_month_when_the_invoice_is_written_then_every_row_says_final(
        db: psycopg2.extensions.connection, tmp_path: Path) -> None:
    """GIVEN October 2026 closed (analytics.close_month) WHEN its invoice is written THEN every row, lines,
    subtotals and total, says invoice_status 'final', with the same data_as_of."""
    seed_october(db)
    with db, db.cursor() as cur:
        cur.execute("SELECT analytics.close_month('2026-10', 'finance test')")

    header, body = read_csv(invoice.write_invoice(db, "2026-10", tmp_path))

    col = {name: i for i, name in enumerate(header)}
    assert {(row[col["invoice_status"]], row[col["data_as_of"]]) for row in body} == {("final", "2026-11-01T05:00:00Z")}
    assert [row[col["line_type"]] for row in body].count("total") == 1


def test_given_a_line_without_a_price_then_its_subtotal_and_the_total_have_no_amount() -> None:
    """GIVEN a firm with a priced and an unpriced line WHEN subtotals are added THEN that firm's subtotal and the
    total have no amount (a sum leaving a line out would be wrong), the other firm's subtotal has one."""
    columns = ["billing_month", "firm_name", "product", "line_type", "quantity", "currency", "amount"]
    rows = [("2026-10", "A", "demand_uploaded", "usage", 2, "USD", Decimal("50.00")),
            ("2026-10", "A", "verifyplus_request", "usage", 1, "USD", None),
            ("2026-10", "B", "demand_uploaded", "usage", 1, "USD", Decimal("25.00"))]
    stamp = invoice.InvoiceStamp("draft", invoice.freshness.Freshness())
    header, table = invoice.stamped_with_totals(columns, rows, stamp)
    assert header[-2:] == ["invoice_status", "data_as_of"]
    assert [(r[1], r[3], r[6], r[-2], r[-1]) for r in table if r[3] in ("subtotal", "total")] == [
        ("A", "subtotal", None, "draft", ""), ("B", "subtotal", Decimal("25.00"), "draft", ""),
        (None, "total", None, "draft", "")]
