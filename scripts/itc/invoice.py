"""``itc invoice``: the invoice of a billing month (CSV, console table) and closing a month."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg2.extensions
from rich.table import Table

from scripts.itc import jobs
from scripts.itc.env import apply_stack_defaults, console, warehouse
from scripts.itc.errors import ItcError, MissingPieceError
from scripts.stack import local_stack

BUSINESS_TZ = os.environ.get("ITC_BUSINESS_TZ", "America/New_York")


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
    status = rows[0][2] if rows else "no lines"
    table = Table(title=f"Invoice {month} ({status})", title_justify="left")
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
    if unpriced:
        console.print(f"[bold red]{unpriced} line(s) have no price in force in ref.price_list[/]")


def latest_complete_month(conn: psycopg2.extensions.connection, now: datetime | None = None) -> str | None:
    """The latest month before the current business month that has invoice lines (else the latest with any)."""
    current = (now or datetime.now(UTC)).astimezone(ZoneInfo(BUSINESS_TZ)).strftime("%Y-%m")
    with conn.cursor() as cur:
        cur.execute("SELECT max(billing_month) FILTER (WHERE billing_month < %s), max(billing_month) "
                    "FROM analytics.invoice_lines", (current,))
        complete, latest = cur.fetchone()
    conn.rollback()
    return complete or latest


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
    return jobs.write_csv(output_dir / f"invoice-{month}.csv", columns, rows)


def cmd_invoice(args: argparse.Namespace) -> int:
    apply_stack_defaults(local_stack.running_state())
    with warehouse() as conn:
        if args.close:
            close_month(conn, args.month, args.closed_by)
        path = write_invoice(conn, args.month, Path(args.output_dir))
        print_invoice(conn, args.month)
    console.print(f"wrote {path}")
    return 0


def close_month(conn: psycopg2.extensions.connection, month: str, closed_by: str) -> None:
    """Freeze ``month``'s invoice lines (analytics.close_month); later changes become adjustment lines."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regprocedure('analytics.close_month(text, text)') IS NOT NULL")
        if not cur.fetchone()[0]:
            conn.rollback()
            raise MissingPieceError("the month-close function analytics.close_month(text, text) is not in this "
                                    "warehouse (run `itc migrate`)")
        try:
            cur.execute("SELECT analytics.close_month(%s, %s)", (month, closed_by))
        except psycopg2.Error as exc:
            conn.rollback()
            message = (exc.diag.message_primary or str(exc)).strip()
            raise ItcError(message.removeprefix("close_month: ")) from None
        lines = cur.fetchone()[0]
    conn.commit()
    console.print(f"closed {month} ({lines} line(s) frozen, closed by {closed_by})", highlight=False)
