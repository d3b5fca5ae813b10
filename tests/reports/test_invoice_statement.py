"""`itc invoice --detail`: the units behind every invoice line (detail CSV) and the printable statement
per firm, on a closed month (September 2026) and the open month after it, which holds October's usage
and the adjustments to September found after its close."""

from __future__ import annotations

import csv
from collections import Counter
from decimal import Decimal
from html.parser import HTMLParser
from itertools import groupby
from pathlib import Path

import psycopg2
import pytest

from orchestrator.refresh import refresh_views
from scripts.itc import invoice, statement
from tests.cli.test_itc_cli import itc
from tests.reports.test_dashboard_browser import chromium, find_chromium
from tests.warehouse.kit import add_demand, add_demo_prices, add_request, ny, read

# a customer-typed firm name: a formula for spreadsheets, markup and quotes for the page
HOSTILE = "=cmd|' /C calc'!A0 <script>document.body.dataset.pwned='1'</script> \"O'Hare\" & <b>Co</b>"
MANIFEST = "demand/run=r1/_manifest.json"
LINE_KEY = ("firm_name", "product", "line_type", "service_month", "unit_price")


@pytest.fixture
def closed_then_changed(db: psycopg2.extensions.connection) -> psycopg2.extensions.connection:
    """September 2026 billed and closed; then two more September uploads of Acme Law arrive, the hostile
    firm's September upload disappears from the source, September's archive price changes (5.00 -> 6.00),
    and October has its own usage, including a renamed firm billed on one account ("zeta")."""
    with db, db.cursor() as cur:
        add_demo_prices(cur)
        # the load the kit's raw rows name (_load_id 1): the units' lineage and the data's as-of time
        cur.execute("INSERT INTO ops.load_runs (load_id, source, run_id, manifest_bucket, manifest_key, "
                    "manifest_sha256, manifest_version_id, extracted_at, status, started_at, finished_at, records, "
                    "loaded, rejected) "
                    "OVERRIDING SYSTEM VALUE VALUES (1, 'demand', 'r1', 'landing', %s, %s, 'v1', "
                    "'2026-11-01T05:00:00Z', 'succeeded', '2026-11-01T05:01:00Z', '2026-11-01T05:02:00Z', 9, 9, 0)",
                    (MANIFEST, "a" * 64))
        add_demand(cur, "S1", firm="Acme Law", uploaded_at=ny(2026, 9, 3), archived_at=ny(2026, 9, 20))
        add_demand(cur, "S2", firm="Acme Law", uploaded_at=ny(2026, 9, 4))
        add_demand(cur, "H1", firm=HOSTILE, uploaded_at=ny(2026, 9, 5))
        add_request(cur, 1, ny(2026, 9, 6))
    refresh_views(db)  # as the refresh job does: recorded in ops.view_refreshes
    with db, db.cursor() as cur:
        cur.execute("SELECT analytics.close_month('2026-09', 'finance test')")
        add_demand(cur, "S3", firm="Acme Law", uploaded_at=ny(2026, 9, 28))
        add_demand(cur, "S4", firm="Acme Law", uploaded_at=ny(2026, 9, 30, 23, 30))  # still September in New York
        cur.execute("UPDATE ref.price_list SET effective_to = DATE '2026-09-01' "
                    "WHERE product = 'demand_archived' AND effective_to IS NULL")
        cur.execute("INSERT INTO ref.price_list (product, unit_price, currency, effective_from, note) "
                    "VALUES ('demand_archived', 6.00, 'USD', DATE '2026-09-01', 'repriced after the close')")
        cur.execute("DELETE FROM raw.metadata WHERE document_id = 'H1'")
        cur.execute("DELETE FROM raw.cases WHERE document_id = 'H1'")
        add_demand(cur, "O1", firm="Acme Law", uploaded_at=ny(2026, 10, 2))
        add_demand(cur, "O2", firm=HOSTILE, uploaded_at=ny(2026, 10, 3), archived_at=ny(2026, 10, 30))
        add_demand(cur, "O3", firm=HOSTILE, uploaded_at=ny(2026, 10, 4))
        add_request(cur, 2, ny(2026, 10, 7), firm="Zeta & Co")
        add_request(cur, 4, ny(2026, 10, 9), firm="Zeta and Co")  # renamed: one billing account for both
        cur.execute("INSERT INTO ref.billing_accounts (account_id, account_name) VALUES ('zeta', 'Zeta Holdings')")
        cur.execute("INSERT INTO ref.billing_account_names (match_kind, match_value, account_id) "
                    "VALUES ('firm_name', 'Zeta & Co', 'zeta'), ('firm_name', 'Zeta and Co', 'zeta')")
        add_request(cur, 3, ny(2026, 10, 8), firm=HOSTILE)
    refresh_views(db)
    return db


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _key(row: dict[str, str], columns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(str(Decimal(row[c])) if c == "unit_price" and row[c] else row[c] for c in columns)


@pytest.mark.parametrize("month", ["2026-09", "2026-10"])
def test_detail_units_sum_to_every_invoice_line(
        closed_then_changed: psycopg2.extensions.connection, tmp_path: Path, month: str) -> None:
    """GIVEN September closed, then units added to and removed from it, and October's usage
    WHEN the invoice CSV and the detail CSV of a month are written
    THEN per line (firm, account, product, line type, service month, unit price) the detail's +1/-1
    quantities sum to the invoice line's quantity, for every line, and no unit is behind no line."""
    lines = _csv(invoice.write_invoice(closed_then_changed, month, tmp_path))
    detail = _csv(statement.write_detail(closed_then_changed, month, tmp_path))
    assert detail and tuple(detail[0]) == statement.DETAIL_COLUMNS
    key = LINE_KEY + (("billing_account_id",) if "billing_account_id" in lines[0] else ())
    invoiced = {_key(r, key): int(r["quantity"]) for r in lines if r["line_type"] in statement.LINE_KINDS}
    units: Counter[tuple[str, ...]] = Counter()
    for row in detail:
        units[_key(row, key)] += int(row["quantity"])
    assert dict(units) == invoiced
    assert {row["quantity"] for row in detail} <= {"1", "-1"}
    firms = [firm for firm, _rows in groupby(row["firm_name"] for row in detail)]
    assert len(firms) == len(set(firms)), "each firm's units are together"


def test_detail_names_the_units_added_and_removed(
        closed_then_changed: psycopg2.extensions.connection, tmp_path: Path) -> None:
    """GIVEN the two September uploads that arrived after the close, the one that disappeared, and
    September's archive repriced WHEN October's detail is written THEN its September adjustment rows are
    exactly S3, S4 (+1) and H1 (-1), with their upload times and lineage, and the archive S1 is credited
    at 5.00 and billed again at 6.00."""
    detail = _csv(statement.write_detail(closed_then_changed, "2026-10", tmp_path))
    september = sorted((r["unit_id"], r["quantity"], r["product"]) for r in detail
                       if r["service_month"] == "2026-09" and r["line_type"] == "adjustment")
    assert september == [("H1", "-1", "demand_uploaded"), ("S3", "1", "demand_uploaded"),
                         ("S4", "1", "demand_uploaded")]
    s4 = next(r for r in detail if r["unit_id"] == "S4")
    assert s4["event_at"] == "2026-10-01T03:30:00+00:00"
    assert (s4["load_id"], s4["manifest_key"], s4["manifest_version_id"]) == ("1", MANIFEST, "v1")
    assert {(r["unit_id"], r["firm_name"], r["billing_account_id"]) for r in detail
            if r["product"] == "verifyplus_request"} == {("2", "Zeta Holdings", "zeta"), ("3", "'" + HOSTILE, ""),
                                                         ("4", "Zeta Holdings", "zeta")}
    repriced = sorted((r["unit_id"], r["quantity"], r["unit_price"]) for r in detail
                      if r["line_type"] == "price_adjustment")
    assert repriced == [("S1", "-1", "5.00"), ("S1", "1", "6.00")]


def test_each_statement_total_is_its_invoice_lines_sum(
        closed_then_changed: psycopg2.extensions.connection, tmp_path: Path) -> None:
    """GIVEN October's lines: usage, units added to and taken from September, September's archive repriced,
    a renamed firm mapped to billing account zeta WHEN the statements are written THEN there is one page
    per account or unmapped firm, each total is the sum of its invoice lines, and the repricing shows as a
    credit at the old price and a bill at the new one under the adjustments."""
    index = statement.write_statements(closed_then_changed, "2026-10", tmp_path,
                                       invoice.business_tz(closed_then_changed))
    sums = read(closed_then_changed, "SELECT firm_name, billing_account_id, sum(amount) FROM analytics.invoice_lines "
                                     "WHERE billing_month = '2026-10' GROUP BY 1, 2")
    assert len(sums) == 3
    for firm, account, amount in sums:
        dom = StatementDom()
        dom.feed((index.parent / f"{statement.slug(firm, account)}.html").read_text())
        assert dom.totals == [amount] and dom.text["firm"] == firm
        assert dom.attrs["status"]["data-status"] == "DRAFT"
        assert dom.attrs["account"]["data-account-id"] == (account or "")
        assert (f"billing account {account}" if account else "no billing account") in dom.text["account"]
    acme = (index.parent / f"{statement.slug('Acme Law', None)}.html").read_text()
    assert "price change: credit at the old price" in acme and "price change: billed at the new price" in acme


def test_detail_csv_holds_no_phi(
        closed_then_changed: psycopg2.extensions.connection, tmp_path: Path) -> None:
    """GIVEN demands whose cases carry a claimant name and claim number (PHI)
    WHEN the detail CSV is written THEN none of its columns is in ops.phi_columns and neither value appears."""
    path = statement.write_detail(closed_then_changed, "2026-10", tmp_path)
    phi = {name for (name,) in read(closed_then_changed, "SELECT DISTINCT column_name FROM ops.phi_columns")}
    assert phi and not set(_csv(path)[0]) & phi
    text = path.read_text()
    assert "Jane Roe" not in text and "CLM-1" not in text and "POL-1" not in text


class StatementDom(HTMLParser):
    """What the rendered statement shows: elements by id, data attributes, any script element."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0
        self.attrs: dict[str, dict[str, str]] = {}
        self.text: dict[str, str] = {}
        self.totals: list[Decimal] = []
        self.body: dict[str, str] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.scripts += tag == "script"
        if tag == "body":
            self.body = a
        if "data-total" in a:
            self.totals.append(Decimal(a["data-total"]))
        if "id" in a:
            self.attrs[a["id"]] = a
            self.text[a["id"]] = ""
        self._open.append(a.get("id", ""))

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element_id in {i for i in self._open if i}:
            self.text[element_id] += data


def _firm_total(conn: psycopg2.extensions.connection, month: str, firm: str) -> Decimal:
    return read(conn, "SELECT sum(amount) FROM analytics.invoice_lines WHERE billing_month = %s AND firm_name = %s",
                (month, firm))[0][0]


@pytest.mark.browser
@pytest.mark.parametrize(("month", "status"), [("2026-09", "FINAL"), ("2026-10", "DRAFT")])
def test_hostile_firm_name_statement_renders_as_text(
        closed_then_changed: psycopg2.extensions.connection, tmp_path: Path, month: str, status: str) -> None:
    """GIVEN a firm named like a formula with a <script> and quotes in it, in a closed and an open month
    WHEN its statement page is opened in headless Chromium
    THEN the page shows the name as text (no script element, the script never ran), the month as
    FINAL (closed) or DRAFT (open), the data's as-of time, a total equal to the firm's invoice lines' sum,
    and prints to a non-empty PDF; the index links every firm's page."""
    binary = find_chromium()
    index = statement.write_statements(closed_then_changed, month, tmp_path, invoice.business_tz(closed_then_changed))
    page = index.parent / f"{statement.slug(HOSTILE, None)}.html"
    assert page.exists(), sorted(p.name for p in index.parent.iterdir())
    dumped = chromium(binary, tmp_path, "--dump-dom", page.as_uri())
    assert dumped.returncode == 0, dumped.stderr
    dom = StatementDom()
    dom.feed(dumped.stdout)
    assert dom.scripts == 0 and "data-pwned" not in dom.body
    assert dom.text["firm"] == HOSTILE and dom.attrs["firm"]["data-firm"] == HOSTILE
    assert dom.attrs["status"]["data-status"] == status and status in dom.text["status"]
    assert dom.text["as-of"].startswith("sources extracted 2026-11-01 05:00 UTC; views refreshed 20")
    assert dom.totals == [_firm_total(closed_then_changed, month, HOSTILE)]
    if month == "2026-10":  # October: its own usage, and September's upload removed after the close
        assert "September 2026" in dom.text["adjustments"] and "−1" in dom.text["adjustments"]

    pdf = tmp_path / "statement.pdf"
    printed = chromium(binary, tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert printed.returncode == 0 and pdf.exists(), printed.stderr
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000

    index_dom = chromium(binary, tmp_path, "--dump-dom", index.as_uri()).stdout
    firms = read(closed_then_changed, "SELECT DISTINCT firm_name, billing_account_id FROM analytics.invoice_lines "
                                      "WHERE billing_month = %s", (month,))
    assert index_dom.count('<tr data-firm="') == len(firms) and "<script" not in index_dom
    assert {p.name for p in index.parent.iterdir()} == {"index.html"} | {
        f"{statement.slug(f, a)}.html" for f, a in firms}


def test_given_hostile_and_clashing_names_then_each_slug_is_a_safe_unique_file_name() -> None:
    """GIVEN names with path separators, dots, markup, non-ASCII letters, and names that normalise alike
    WHEN slugged THEN each is lowercase letters, digits and dashes only, and no two are the same."""
    names = [HOSTILE, "../../etc/passwd", "..", "", "Müller & Söhne", "Muller Sohne", "A&B", "A B", "a-b",
             "/", "CON", "x" * 300]
    slugs = [statement.slug(n, None) for n in names] + [statement.slug("Acme", "acct-1"),
                                                      statement.slug("Acme", "acct-2")]
    assert len(set(slugs)) == len(slugs)
    for s in slugs:
        assert s.replace("-", "").isalnum() and s.isascii() and s == s.lower() and len(s) <= 61, s
    assert statement.slug("Acme", "acct-1") == statement.slug("Acme Renamed", "acct-1"), "one file per account"


def test_invoice_detail_writes_the_csvs_and_statements(
        closed_then_changed: psycopg2.extensions.connection, db_dsn: str, tmp_path: Path) -> None:
    """GIVEN the refreshed warehouse WHEN `itc invoice --month 2026-10 --detail` runs
    THEN it exits 0 and writes the invoice CSV, the detail CSV, and a statement per firm with an index."""
    result = itc("invoice", "--month", "2026-10", "--detail", "--output-dir", str(tmp_path),
                 env={"ITC_DATABASE_URL": db_dsn})
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "invoice-2026-10.csv").exists()
    assert len(_csv(tmp_path / "invoice-2026-10-detail.csv")) == len(
        read(closed_then_changed, "SELECT 1 FROM analytics.invoice_units WHERE billing_month = '2026-10'"))
    pages = sorted(p.name for p in (tmp_path / "statements-2026-10").iterdir())
    assert "index.html" in pages and len(pages) == 4  # Acme Law, the hostile firm, account zeta, the index
    assert "statements-2026-10" in result.stdout
