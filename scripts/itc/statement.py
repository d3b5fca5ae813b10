"""``itc invoice --detail``: the units behind an invoice (a detail CSV) and a printable statement per firm.

:func:`collect` reads one billing month in one read-only snapshot of the warehouse: its invoice lines
(analytics.invoice_lines) with the count of units behind each (analytics.invoice_units), whether the
month is closed (analytics.closed_months), and how fresh the data is (:mod:`scripts.itc.freshness`).
:func:`render_statement` and :func:`render_index` turn that into HTML (pure); :func:`write_detail` and
:func:`write_statements` write

    reports/invoice-YYYY-MM-detail.csv          one line per unit: ids, times and lineage, no PHI
    reports/statements-YYYY-MM/index.html       the month's statements
    reports/statements-YYYY-MM/<slug>.html      one page per billing account (or unmapped firm name)

A statement is one billing account (``billing_account_id``), or, for a firm with no account, one firm
name. Every value from the warehouse is HTML-escaped (firm names are typed by customers); the pages
run no script (a Content-Security-Policy forbids it) and load nothing from the network. Numbers carry
``data-*`` attributes with their exact values, like the dashboard's, for tests and scrapers.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2.extensions

from scripts.itc import freshness, jobs
from scripts.itc.charts import esc, fmt_time

# the detail CSV: ids, times, prices and lineage only (tests compare it with ops.phi_columns)
DETAIL_COLUMNS = ("firm_name", "billing_account_id", "product", "line_type", "service_month", "unit_price",
                  "unit_id", "event_at", "quantity", "status", "load_id", "manifest_key", "manifest_version_id")
DETAIL_QUERY = f"""
SELECT {", ".join(DETAIL_COLUMNS)}
FROM analytics.invoice_units
WHERE billing_month = %s
ORDER BY firm_name, billing_account_id NULLS FIRST, product, line_type, service_month, unit_price, event_at, unit_id
"""
# each invoice line with how many units were added (+1) and removed (-1) behind it
LINES_QUERY = """
WITH units AS (
    SELECT service_month, firm_name, billing_account_id, product, line_type, unit_price,
           count(*) FILTER (WHERE quantity > 0) AS added, count(*) FILTER (WHERE quantity < 0) AS removed
    FROM analytics.invoice_units
    WHERE billing_month = %(month)s
    GROUP BY 1, 2, 3, 4, 5, 6
)
SELECT l.firm_name, l.billing_account_id, l.service_month, l.product, l.line_type, l.quantity, l.unit_price,
       l.currency, l.amount, coalesce(u.added, 0), coalesce(u.removed, 0)
FROM analytics.invoice_lines AS l
LEFT JOIN units AS u
  ON u.service_month = l.service_month AND u.firm_name = l.firm_name AND u.product = l.product
 AND u.line_type = l.line_type AND u.billing_account_id IS NOT DISTINCT FROM l.billing_account_id
 AND u.unit_price IS NOT DISTINCT FROM l.unit_price
WHERE l.billing_month = %(month)s
ORDER BY l.billing_account_id NULLS LAST, l.firm_name, l.service_month DESC, l.product, l.line_type
"""
CLOSED_QUERY = "SELECT closed_at, closed_by FROM analytics.closed_months WHERE billing_month = %s"
AT_RISK_QUERY = ("SELECT firm_name, count(*) FROM analytics.units_at_risk "
                 "WHERE service_month IS NULL OR service_month = %s GROUP BY firm_name")

LINE_KINDS = {"usage": "usage", "adjustment": "quantity change", "price_adjustment": "price change"}
SYMBOLS = {"USD": "$"}


@dataclass(frozen=True)
class Line:
    firm_name: str
    service_month: str
    product: str
    line_type: str
    quantity: int
    unit_price: Decimal | None
    currency: str
    amount: Decimal | None
    units_added: int
    units_removed: int


@dataclass
class Statement:
    """One billing account's (or unmapped firm's) lines of one billing month."""

    billing_month: str
    account_id: str | None
    lines: list[Line] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """The names billed, the main one first (an account renamed after a close may carry two)."""
        return sorted({line.firm_name for line in self.lines}, key=lambda n: (n != self.lines[0].firm_name, n))

    @property
    def name(self) -> str:
        return self.names[0]

    @property
    def usage(self) -> list[Line]:
        return [line for line in self.lines if line.line_type == "usage" and line.service_month == self.billing_month]

    @property
    def adjustments(self) -> list[Line]:
        return [line for line in self.lines if line not in self.usage]

    @property
    def unpriced(self) -> int:
        return sum(line.amount is None for line in self.lines)

    @property
    def slug(self) -> str:
        return slug(self.name, self.account_id)


@dataclass
class StatementSet:
    billing_month: str
    generated_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    as_of: str
    statements: list[Statement]
    # units at risk of this month or of no readable month (analytics.units_at_risk), by firm (None: unreadable)
    at_risk: dict[str | None, int] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return "FINAL" if self.closed_at else "DRAFT"

    def at_risk_for(self, statement: Statement) -> int:
        """Units at risk that may belong on ``statement``: of its firm names, or of no readable firm."""
        return self.at_risk.get(None, 0) + sum(self.at_risk.get(name, 0) for name in statement.names)


def slug(name: str, account_id: str | None) -> str:
    """A file name for a statement: lowercase ASCII letters, digits and dashes only (no path can be
    formed from it), from the account id or the firm name, plus a hash of that key (unique per account)."""
    key = f"account\0{account_id}" if account_id is not None else f"firm\0{name}"
    ascii_text = unicodedata.normalize("NFKD", account_id or name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:48].strip("-") or "firm"
    return f"{base}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


# ------------------------------------------------------------------------------------- reading

def as_of_text(fresh: freshness.Freshness) -> str:
    """The data's time in words: the latest source snapshot and the views' last refresh, else unknown."""
    parts = ([f"sources extracted {fmt_time(fresh.data_as_of)}"] if fresh.data_as_of else []) + \
        ([f"views refreshed {fmt_time(fresh.refreshed_at)}"] if fresh.refreshed_at else [])
    return "; ".join(parts) + f" (from {fresh.read_from})" if parts else f"unknown ({fresh.read_from})"


def collect(conn: psycopg2.extensions.connection, month: str, business_tz: str) -> StatementSet:
    """Month ``month``'s statements: the lines and units read in one read-only snapshot."""
    jobs.require_relation(conn, "analytics.invoice_units", "the unit ledger (the invoicing SQL, scripts 2x)")
    as_of = as_of_text(freshness.read(conn, business_tz))
    with conn.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cur.execute(CLOSED_QUERY, (month,))
        closed_at, closed_by = cur.fetchone() or (None, None)
        cur.execute(LINES_QUERY, {"month": month})
        rows = cur.fetchall()
        at_risk: dict[str | None, int] = {}
        cur.execute("SELECT to_regclass('analytics.units_at_risk') IS NOT NULL")
        if cur.fetchone()[0]:
            cur.execute(AT_RISK_QUERY, (month,))
            at_risk = {firm: int(n) for firm, n in cur.fetchall()}
    conn.rollback()
    statements: dict[tuple[str, str], Statement] = {}
    for firm, account, service_month, product, line_type, qty, price, currency, amount, added, removed in rows:
        key = ("account", account) if account is not None else ("firm", firm)
        statement = statements.setdefault(key, Statement(month, account))
        statement.lines.append(Line(firm, service_month, product, line_type, int(qty), price, currency.strip(),
                                    amount, int(added), int(removed)))
    ordered = sorted(statements.values(), key=lambda s: (s.name.casefold(), s.name, s.account_id or ""))
    return StatementSet(month, datetime.now(UTC), closed_at, closed_by, as_of, ordered, at_risk)


# ------------------------------------------------------------------------------------ rendering

def money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return "unpriced"
    symbol = SYMBOLS.get(currency)
    text = f"{abs(amount):,.2f}"
    return ("-" if amount < 0 else "") + (f"{symbol}{text}" if symbol else f"{currency} {text}")


def month_label(month: str) -> str:
    return datetime.strptime(month, "%Y-%m").strftime("%B %Y")


def totals(lines: list[Line]) -> dict[str, Decimal]:
    """The priced amounts per currency (one currency in practice)."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        sums[line.currency] += line.amount or Decimal(0)
    return dict(sums)


def _amounts(lines: list[Line], what: str) -> str:
    sums = totals(lines) or {"USD": Decimal(0)}
    return " + ".join(f'<span data-{what}="{esc(amount)}" data-currency="{esc(cur)}">{esc(money(amount, cur))}</span>'
                      for cur, amount in sorted(sums.items()))


def _units(line: Line) -> str:
    if line.units_removed:
        return (f"+{line.units_added:,} / " if line.units_added else "") + f"−{line.units_removed:,}"
    return f"{line.units_added:,}"


def _kind(line: Line) -> str:
    kind = LINE_KINDS.get(line.line_type, line.line_type)
    if line.line_type == "price_adjustment":  # a price change credits the old price and bills the new one
        return f"{kind}: {'credit at the old price' if line.quantity < 0 else 'billed at the new price'}"
    return kind


def _line_row(line: Line, *, adjustment: bool) -> str:
    cells = [f"<td>{esc(month_label(line.service_month))}</td>" if adjustment else "",
             f"<td>{esc(line.product)}</td>",
             f"<td>{esc(_kind(line))}</td>" if adjustment else "",
             f'<td class="num" data-value="{esc(line.units_added - line.units_removed)}">{esc(_units(line))}</td>',
             f'<td class="num" data-value="{esc(line.quantity)}">{esc(f"{line.quantity:,}")}</td>',
             f'<td class="num">{esc(money(line.unit_price, line.currency))}</td>',
             f'<td class="num" data-value="{esc(line.amount if line.amount is not None else "")}">'
             f"{esc(money(line.amount, line.currency))}</td>"]
    return (f'<tr class="line" data-product="{esc(line.product)}" data-line-type="{esc(line.line_type)}" '
            f'data-service-month="{esc(line.service_month)}">' + "".join(cells) + "</tr>")


def _section(title: str, lines: list[Line], *, adjustment: bool, section: str, empty: str) -> list[str]:
    heads = (["Service month"] if adjustment else []) + ["Product"] + (["Change"] if adjustment else []) + \
        ["Units", "Quantity", "Unit price", "Amount"]
    out = [f'<section id="{section}"><h2>{esc(title)}</h2>']
    if not lines:
        return [*out, f'<p class="none">{esc(empty)}</p></section>']
    out.append("<table><thead><tr>" + "".join(
        f'<th{" class=num" if h in ("Units", "Quantity", "Unit price", "Amount") else ""}>{h}</th>' for h in heads)
        + "</tr></thead><tbody>")
    out += [_line_row(line, adjustment=adjustment) for line in lines]
    out.append(f'</tbody><tfoot><tr class="subtotal"><th colspan="{len(heads) - 1}">Subtotal</th>'
               f'<td class="num">{_amounts(lines, "subtotal")}</td></tr></tfoot></table></section>')
    return out


CSS = """
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#0f172a;background:#f8fafc}
body{margin:0 auto;max-width:180mm;padding:24px}
h1{font-size:1.4rem;margin:0 0 2px}h2{font-size:1rem;margin:20px 0 6px}
.sub,.meta dt,.none,footer{color:#475569;font-size:.85rem}
.status{display:inline-block;padding:2px 10px;border-radius:4px;font-weight:700;letter-spacing:.05em}
.status.DRAFT{border:2px solid #b45309;color:#b45309}.status.FINAL{border:2px solid #047857;color:#047857}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:12px 0}.meta dd{margin:0}
table{border-collapse:collapse;width:100%;font-size:.85rem;page-break-inside:auto}tr{page-break-inside:avoid}
th,td{border-bottom:1px solid #e2e8f0;padding:4px 6px;text-align:left}.num{text-align:right}
tfoot th,tfoot td{font-weight:600;border-top:1px solid #94a3b8}
.total{font-size:1.1rem;font-weight:700;text-align:right;margin:16px 0;border-top:2px solid #0f172a;padding-top:6px}
.warn{color:#b91c1c;font-weight:600}footer{margin-top:24px}
@page{margin:14mm}
@media print{
  :root{background:#fff}body{max-width:none;padding:0;font-size:10pt}
  nav,.no-print{display:none!important}a{color:inherit;text-decoration:none}
}
"""
# no script may run, nothing is fetched: the page is a document, whatever a firm name holds
HEAD = ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        '<meta name="viewport" content="width=device-width,initial-scale=1">')


def _meta(statements: StatementSet) -> list[str]:
    closed = (f" — closed {fmt_time(statements.closed_at)} by {statements.closed_by}" if statements.closed_at
              else " — the month is open: lines may still change until it is closed")
    return [f'<dt>Billing month</dt><dd data-billing-month="{esc(statements.billing_month)}">'
            f"{esc(month_label(statements.billing_month))} ({esc(statements.billing_month)})</dd>",
            f'<dt>Status</dt><dd><span class="status {statements.status}" id="status" '
            f'data-status="{statements.status}">{statements.status}</span>{esc(closed)}</dd>',
            f'<dt>Data as of</dt><dd id="as-of">{esc(statements.as_of)}</dd>']


def render_statement(statements: StatementSet, statement: Statement) -> str:
    """One firm's (billing account's) statement page."""
    month = month_label(statements.billing_month)
    account = (f"billing account {statement.account_id}" if statement.account_id is not None
               else "no billing account: billed under its firm name")
    also = statement.names[1:]
    units = sum(line.units_added + line.units_removed for line in statement.lines)
    out = [HEAD, f"<title>Statement {esc(statements.billing_month)} — {esc(statement.name)}</title>",
           f"<style>{CSS}</style></head><body>",
           '<nav><a href="index.html">← all statements of this month</a></nav>',
           f'<header><div class="sub">ITC — statement of {esc(month)}</div>'
           f'<h1 id="firm" data-firm="{esc(statement.name)}">{esc(statement.name)}</h1>'
           f'<div class="sub" id="account" data-account-id="{esc(statement.account_id or "")}">{esc(account)}'
           + (f"; also billed as {esc(', '.join(also))}" if also else "") + "</div></header>",
           '<dl class="meta">', *_meta(statements),
           f'<dt>Units</dt><dd id="units" data-value="{units}">{units:,} unit record(s) behind these lines '
           f"(invoice-{esc(statements.billing_month)}-detail.csv)</dd></dl>",
           *_section(f"Usage in {month}", statement.usage, adjustment=False, section="usage",
                     empty=f"No usage in {month}."),
           *_section("Adjustments to earlier months", statement.adjustments, adjustment=True,
                     section="adjustments", empty="No adjustments to earlier months.")]
    at_risk = statements.at_risk_for(statement)
    out.append(f'<p class="{"warn" if at_risk else "ok"}" id="units-at-risk" data-value="{at_risk}">'
               + (f"{at_risk:,} billable unit(s) of this month, of this firm or of no readable firm, could not be "
                  "billed by the latest loads and are not on this statement (analytics.units_at_risk)."
                  if at_risk else "No units at risk: every unit the latest loads read is billed.") + "</p>")
    if statement.unpriced:
        out.append(f'<p class="warn" id="unpriced">{statement.unpriced} line(s) have no price in force: '
                   "the total leaves them out.</p>")
    out += [f'<div class="total" id="total">Total {_amounts(statement.lines, "total")}</div>',
            f"<footer>Lines from analytics.invoice_lines, units from analytics.invoice_units. Generated "
            f"{esc(fmt_time(statements.generated_at))}.</footer></body></html>"]
    return "\n".join(out)


def render_index(statements: StatementSet) -> str:
    """The month's statements, one row (and link) per firm / billing account."""
    month = month_label(statements.billing_month)
    out = [HEAD, f"<title>Statements {esc(statements.billing_month)}</title><style>{CSS}</style></head><body>",
           f"<h1>Statements — {esc(month)}</h1>", '<dl class="meta">', *_meta(statements), "</dl>",
           '<table id="statements"><thead><tr><th>Firm</th><th>Billing account</th><th class=num>Lines</th>'
           "<th class=num>Total</th></tr></thead><tbody>"]
    for statement in statements.statements:
        out.append(f'<tr data-firm="{esc(statement.name)}"><td><a href="{esc(statement.slug)}.html">'
                   f'{esc(statement.name)}</a></td><td>{esc(statement.account_id or "—")}</td>'
                   f'<td class="num">{len(statement.lines)}</td>'
                   f'<td class="num">{_amounts(statement.lines, "total")}</td></tr>')
    if not statements.statements:
        out.append(f'<tr><td colspan="4">No invoice lines in {esc(month)}.</td></tr>')
    every = [line for statement in statements.statements for line in statement.lines]
    out.append(f'</tbody><tfoot><tr><th colspan="3">Total</th><td class="num">{_amounts(every, "total")}</td>'
               f"</tr></tfoot></table><footer>Generated {esc(fmt_time(statements.generated_at))}.</footer>"
               "</body></html>")
    return "\n".join(out)


# ------------------------------------------------------------------------------------ writing

def detail_rows(conn: psycopg2.extensions.connection, month: str) -> list[tuple[Any, ...]]:
    jobs.require_relation(conn, "analytics.invoice_units", "the unit ledger (the invoicing SQL, scripts 2x)")
    with conn.cursor() as cur:
        cur.execute(DETAIL_QUERY, (month,))
        rows = cur.fetchall()
    conn.rollback()
    at = DETAIL_COLUMNS.index("event_at")
    return [tuple(v.astimezone(UTC).isoformat() if i == at and v is not None else v for i, v in enumerate(row))
            for row in rows]


def write_detail(conn: psycopg2.extensions.connection, month: str, output_dir: Path) -> Path:
    """reports/invoice-M-detail.csv: one line per unit behind month ``month``'s invoice lines."""
    return jobs.write_csv(output_dir / f"invoice-{month}-detail.csv", list(DETAIL_COLUMNS),
                          detail_rows(conn, month))


def write_statements(conn: psycopg2.extensions.connection, month: str, output_dir: Path, business_tz: str) -> Path:
    """reports/statements-M/: a page per firm / billing account and an index; returns the index's path."""
    statements = collect(conn, month, business_tz)
    folder = output_dir / f"statements-{month}"
    folder.mkdir(parents=True, exist_ok=True)
    for statement in statements.statements:
        (folder / f"{statement.slug}.html").write_text(render_statement(statements, statement), encoding="utf-8")
    index = folder / "index.html"
    index.write_text(render_index(statements), encoding="utf-8")
    return index


def write_all(conn: psycopg2.extensions.connection, month: str, output_dir: Path, business_tz: str) -> list[Path]:
    """What ``itc invoice --detail`` writes besides the invoice CSV."""
    return [write_detail(conn, month, output_dir), write_statements(conn, month, output_dir, business_tz)]
