"""The units at risk as `itc` shows them: ``analytics.units_at_risk``, the billable units the latest loads
could not bill (records rejected for a bad billing-critical value, archive entries dropped from a status
history).

- :func:`count` / :func:`rows`: what `itc status`, the dashboard and the statement pages show;
- :func:`check_close`: `itc invoice --close` refuses a month while units of that month (or of no readable
  month) are at risk, unless finance accepts them with ``--accept-risk "<reason>"``, which
  ``analytics.accept_units_at_risk`` records in the finance audit with the count.
"""

from __future__ import annotations

from typing import Any

import psycopg2.extensions

from scripts.itc.errors import ItcError

VIEW = "analytics.units_at_risk"
COLUMNS = ("source", "kind", "product", "record_key", "reason_code", "field_name", "firm_name", "service_month")


def available(conn: psycopg2.extensions.connection) -> bool:
    """Whether this warehouse has the view (an older one may not, until `itc migrate`)."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (VIEW,))
        found = bool(cur.fetchone()[0])
    conn.rollback()
    return found


def count(conn: psycopg2.extensions.connection, *, month: str | None = None, firm: str | None = None) -> int:
    """Units at risk: all of them; with ``month``, those of that month or of no readable month; with
    ``firm``, those of that firm or of no readable firm. 0 when the warehouse has no such view."""
    if not available(conn):
        return 0
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM analytics.units_at_risk "
                    "WHERE (%(month)s::text IS NULL OR service_month IS NULL OR service_month = %(month)s) "
                    "AND (%(firm)s::text IS NULL OR firm_name IS NULL OR firm_name = %(firm)s)",
                    {"month": month, "firm": firm})
        found = int(cur.fetchone()[0])
    conn.rollback()
    return found


def rows(conn: psycopg2.extensions.connection, limit: int = 20) -> list[dict[str, Any]]:
    """The first ``limit`` units at risk (by source, table, line), as dicts of :data:`COLUMNS`."""
    if not available(conn):
        return []
    with conn.cursor() as cur:
        cur.execute("SELECT source, kind, product, record_key, reason_code, field_name, firm_name, service_month "
                    "FROM analytics.units_at_risk ORDER BY source, table_name, line_number LIMIT %s", (limit,))
        found = [dict(zip(COLUMNS, row, strict=True)) for row in cur.fetchall()]
    conn.rollback()
    return found


def check_close(conn: psycopg2.extensions.connection, month: str, accept_risk: str | None) -> int:
    """Before closing ``month``: the number of its units at risk. Refuses (ItcError, nothing changed) while
    there are any and no acceptance is given; with ``accept_risk``, records the acceptance in the finance
    audit (analytics.accept_units_at_risk) in the current transaction, which the close then commits."""
    at_risk = count(conn, month=month)
    if accept_risk is not None and not accept_risk.strip():
        raise ItcError('--accept-risk needs a reason: --accept-risk "why the units at risk may be left out"')
    if at_risk and accept_risk is None:
        raise ItcError(
            f"refusing to close {month}: {at_risk} billable unit(s) of {month} or of no readable month are at risk "
            f"(the latest loads could not bill them; see {VIEW} or `itc status`): fix the source and load again, "
            'or close with --accept-risk "<reason>" (recorded in the finance audit)')
    if accept_risk is not None and available(conn):
        with conn.cursor() as cur:
            cur.execute("SELECT analytics.accept_units_at_risk(%s, %s)", (month, accept_risk.strip()))
    return at_risk
