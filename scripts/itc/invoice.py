"""``itc invoice``: the invoice of a billing month (CSV, console table) and closing a month."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from itertools import groupby
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg2.extensions
from rich.table import Table

from itc_common_utilities.timestamps import iso_z
from scripts.itc import freshness, jobs, units_at_risk
from scripts.itc.env import apply_stack_defaults, console, warehouse
from scripts.itc.errors import ItcError, MissingPieceError
from scripts.stack import local_stack


def business_tz(conn: psycopg2.extensions.connection) -> str:
    """The warehouse's business time zone (:func:`scripts.itc.freshness.business_time_zone`), read in the
    connection's current transaction."""
    with conn.cursor() as cur:
        return freshness.business_time_zone(cur)


INVOICE_COLUMNS_QUERY = """
SELECT a.attname FROM pg_attribute a
WHERE a.attrelid = 'analytics.invoice_lines'::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""


def invoice_rows(conn: psycopg2.extensions.connection, month: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    jobs.require_relation(conn, "analytics.invoice_lines", "the invoicing SQL (scripts 2x)")
    if not all(jobs.populated(conn, view) for view in ("analytics.demands_summary", "analytics.verifyplus_monthly")):
        conn.rollback()
        raise ItcError("the analytics views have never been refreshed: run `itc run` (or `itc demo`) first")
    with conn.cursor() as cur:
        cur.execute(INVOICE_COLUMNS_QUERY)
        columns = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT * FROM analytics.invoice_lines WHERE billing_month = %s "
                    "ORDER BY firm_name, product, line_type, service_month", (month,))
        rows = cur.fetchall()
    conn.rollback()
    return columns, rows


def print_invoice(conn: psycopg2.extensions.connection, month: str) -> None:
    if not jobs.relation_exists(conn, "analytics.invoice_lines"):
        console.print("[yellow]analytics.invoice_lines is not in this warehouse yet[/]")
        return
    with conn.cursor() as cur:
        cur.execute("SELECT product, line_type, min(status), count(DISTINCT firm_name), sum(quantity), sum(amount), "
                    "count(*) FILTER (WHERE amount IS NULL) FROM analytics.invoice_lines "
                    "WHERE billing_month = %s GROUP BY 1, 2 ORDER BY 1, 2", (month,))
        rows = cur.fetchall()
    conn.rollback()
    stamp = invoice_stamp(conn, month)
    table = Table(title=f"Invoice {month} ({stamp.status}{'' if rows else ', no lines'}) · "
                        f"data as of {stamp.data_as_of or 'never loaded'}", title_justify="left")
    for col in ("product", "line type", "firms", "quantity", "amount"):
        table.add_column(col, justify="left" if col in ("product", "line type") else "right")
    total = 0
    unpriced = 0
    for product, line_type, _status, firms, qty, amount, no_price in rows:
        table.add_row(product, line_type, str(firms), f"{qty:,}", "unpriced" if amount is None else f"${amount:,.2f}")
        total += amount or 0
        unpriced += no_price
    table.add_row("[bold]total[/]", "", "", "", f"[bold]${total:,.2f}[/]")
    console.print(table)
    console.print(stamp.freshness.line(), highlight=False)
    if unpriced:
        console.print(f"[bold red]{unpriced} line(s) have no price in force in ref.price_list[/]")


def latest_complete_month(conn: psycopg2.extensions.connection, now: datetime | None = None) -> str | None:
    """The latest month before the current business month that has invoice lines (else the latest with any)."""
    current = (now or datetime.now(UTC)).astimezone(ZoneInfo(business_tz(conn))).strftime("%Y-%m")
    with conn.cursor() as cur:
        cur.execute("SELECT max(billing_month) FILTER (WHERE billing_month < %s), max(billing_month) "
                    "FROM analytics.invoice_lines", (current,))
        complete, latest = cur.fetchone()
    conn.rollback()
    return complete or latest


def draft_month(conn: psycopg2.extensions.connection, now: datetime | None = None) -> str | None:
    """The current draft invoice: the latest complete month while it is open, else the latest open month with
    lines (the month in progress once the last complete one is closed); None when no month is open."""
    with conn.cursor() as cur:
        cur.execute("SELECT DISTINCT l.billing_month FROM analytics.invoice_lines l WHERE NOT EXISTS "
                    "(SELECT 1 FROM analytics.closed_months c WHERE c.billing_month = l.billing_month) ORDER BY 1")
        open_months = [r[0] for r in cur.fetchall()]
    conn.rollback()
    complete = latest_complete_month(conn, now)
    return complete if complete in open_months else (open_months[-1] if open_months else None)


def has_lines(conn: psycopg2.extensions.connection, month: str) -> bool:
    """Whether ``month`` has any invoice line (open or closed)."""
    with conn.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM analytics.invoice_lines WHERE billing_month = %s)", (month,))
        found = bool(cur.fetchone()[0])
    conn.rollback()
    return found


def write_invoice(conn: psycopg2.extensions.connection, month: str, output_dir: Path) -> Path:
    columns, rows = invoice_rows(conn, month)
    if not rows:
        with conn.cursor() as cur:
            cur.execute("SELECT string_agg(DISTINCT billing_month, ', ' ORDER BY billing_month) "
                        "FROM analytics.invoice_lines")
            months = cur.fetchone()[0]
        conn.rollback()
        raise ItcError(f"no invoice lines for {month}" + (f" (months with lines: {months})" if months else
                                                          " (the warehouse has no invoice lines yet: run `itc run`)"))
    stamp = invoice_stamp(conn, month)
    header, table = stamped_with_totals(columns, rows, stamp)
    return jobs.write_csv(output_dir / f"invoice-{month}.csv", header, table)


@dataclass(frozen=True)
class InvoiceStamp:
    """What an invoice shows: its month's status and the time of its data."""

    status: str                      # 'draft' (the month is open) | 'final' (in analytics.closed_months)
    freshness: freshness.Freshness

    @property
    def data_as_of(self) -> str:
        """ISO 8601 UTC (``2026-11-01T05:00:00Z``), empty when nothing was ever loaded."""
        moment = self.freshness.data_as_of
        return iso_z(moment) if moment else ""


def invoice_stamp(conn: psycopg2.extensions.connection, month: str) -> InvoiceStamp:
    zone = business_tz(conn)
    return InvoiceStamp(freshness.month_status(conn, month), freshness.read(conn, zone))


LINE_TYPES = ("usage", "adjustment", "price_adjustment")  # what the view holds; the CSV adds these two:
SUBTOTAL, TOTAL = "subtotal", "total"
# columns a subtotal/total row carries when every line it adds up has the same value (others stay empty:
# a sum of quantities or a unit price across products means nothing)
CARRIED = ("billing_month", "firm_name", "billing_account_id", "currency", "status", "closed_at")


def stamped_with_totals(columns: list[str], rows: list[tuple[Any, ...]],
                        stamp: InvoiceStamp) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The CSV's table: the view's columns and ``invoice_status``, ``data_as_of``; each firm's lines then
    its subtotal row(s) (``line_type`` 'subtotal', one per currency), and the total row(s) at the end
    (``line_type`` 'total'). Every row has every column: a reader filtering ``line_type`` in
    ('usage', 'adjustment', 'price_adjustment') gets exactly the lines. A subtotal or total of lines
    of which one has no price has no amount (it is not known)."""
    at = {name: i for i, name in enumerate(columns)}
    header = [*columns, "invoice_status", "data_as_of"]
    stamped = (stamp.status, stamp.data_as_of)

    def summary(line_type: str, lines: list[tuple[Any, ...]]) -> tuple[Any, ...]:
        row: list[Any] = [None] * len(columns)
        for name in CARRIED:
            if name in at and (name != "firm_name" or line_type == SUBTOTAL):
                values = {line[at[name]] for line in lines}
                row[at[name]] = values.pop() if len(values) == 1 else None
        amounts = [line[at["amount"]] for line in lines]
        row[at["amount"]] = None if None in amounts else sum(amounts, Decimal("0"))
        row[at["line_type"]] = line_type
        return (*row, *stamped)

    def by_currency(lines: list[tuple[Any, ...]]) -> list[list[tuple[Any, ...]]]:
        groups: dict[Any, list[tuple[Any, ...]]] = {}
        for line in lines:
            groups.setdefault(line[at["currency"]] if "currency" in at else None, []).append(line)
        return list(groups.values())

    table: list[tuple[Any, ...]] = []
    for _firm, firm_lines in groupby(rows, key=lambda r: r[at["firm_name"]]):  # the rows come by firm_name
        lines = list(firm_lines)
        table.extend((*line, *stamped) for line in lines)
        table.extend(summary(SUBTOTAL, group) for group in by_currency(lines))
    table.extend(summary(TOTAL, group) for group in by_currency(rows))
    return header, table


def cmd_invoice(args: argparse.Namespace) -> int:
    apply_stack_defaults(local_stack.running_state())
    with warehouse() as conn:
        if getattr(args, "accept_risk", None) is not None and not args.close:
            raise ItcError("--accept-risk goes with --close")
        if args.close:
            close_month(conn, args.month, args.closed_by, accept_risk=getattr(args, "accept_risk", None))
        written = [write_invoice(conn, args.month, Path(args.output_dir))]
        if args.detail:  # the units behind the lines, and a statement page per firm
            from scripts.itc import statement
            written += statement.write_all(conn, args.month, Path(args.output_dir), business_tz(conn))
        print_invoice(conn, args.month)
    for path in written:
        console.print(f"wrote {path}", highlight=False, soft_wrap=True)
    return 0


def close_month(conn: psycopg2.extensions.connection, month: str, closed_by: str, *,
                accept_risk: str | None = None) -> None:
    """Freeze ``month``'s invoice lines (analytics.close_month); later changes become adjustment lines.
    Refused while units of the month are at risk (analytics.units_at_risk), unless ``accept_risk`` gives
    the reason finance accepts them (recorded in the finance audit with their count, same transaction)."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regprocedure('analytics.close_month(text, text)') IS NOT NULL")
        if not cur.fetchone()[0]:
            conn.rollback()
            raise MissingPieceError("the month-close function analytics.close_month(text, text) is not in this "
                                    "warehouse (run `itc migrate`)")
        conn.rollback()
        try:
            accepted = units_at_risk.check_close(conn, month, accept_risk)
        except psycopg2.Error as exc:
            conn.rollback()
            raise ItcError((exc.diag.message_primary or str(exc)).strip().removeprefix("accept_units_at_risk: ")
                           ) from None
        try:
            cur.execute("SELECT analytics.close_month(%s, %s)", (month, closed_by))
        except psycopg2.Error as exc:
            conn.rollback()
            message = (exc.diag.message_primary or str(exc)).strip()
            raise ItcError(message.removeprefix("close_month: ")) from None
        lines = cur.fetchone()[0]
    conn.commit()
    console.print(f"closed {month} ({lines} line(s) frozen, closed by {closed_by})", highlight=False)
    if accept_risk is not None:
        console.print(f"accepted {accepted} unit(s) at risk: {accept_risk.strip()} (recorded in ops.finance_audit)",
                      highlight=False)
