"""``itc status``: the loads, the data's freshness, the last refresh, rejects in words, the quality checks.

As the admin or a service login it reads ops; as an analyst (no ops privilege) it prints what
``analytics.data_freshness`` tells instead of failing.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import psycopg2.errors
from rich.markup import escape
from rich.table import Table

from itc_common_utilities.loader.reject_reasons import reason_in_words
from scripts.itc import freshness, invoice, units_at_risk
from scripts.itc.commands import _n
from scripts.itc.env import SQL_SCRIPTS, apply_stack_defaults, console, warehouse
from scripts.itc.errors import ItcError
from scripts.paths import REPO
from scripts.stack import local_stack

STATUS_LOADS = """
SELECT s.source, l.finished_at, l.run_id, l.loaded, l.rejected, l.deleted,
       (SELECT count(*) FROM ops.load_runs f WHERE f.source = s.source AND f.status IN ('failed', 'refused')
          AND f.finished_at > coalesce(l.finished_at, '-infinity')) AS failed_since,
       (SELECT count(*) FROM ops.rejected_records r WHERE r.source = s.source) AS rejected_total
FROM (VALUES ('demand'), ('verifyplus')) AS s (source)
LEFT JOIN ops.latest_loads l ON l.source = s.source
ORDER BY 1
"""


def cmd_status(_: argparse.Namespace) -> int:
    apply_stack_defaults(local_stack.running_state())
    now = datetime.now(UTC)
    with warehouse() as conn, conn.cursor() as cur:
        try:
            cur.execute("SELECT count(*) FROM ops.schema_migrations")
        except psycopg2.errors.UndefinedTable:
            raise ItcError("this database has no ITC warehouse yet: run `itc migrate` (or `itc demo`)") from None
        except psycopg2.errors.InsufficientPrivilege:  # an analyst: no ops, but analytics.data_freshness
            conn.rollback()
            return _analyst_status(freshness.read(conn, invoice.business_tz(conn)))
        migrations = cur.fetchone()[0]
        fresh = freshness.read_with(cur, freshness.business_time_zone(cur))
        cur.execute(REJECTED_BY_REASON)
        rejected_by_reason = cur.fetchall()
        cur.execute(STATUS_LOADS)
        loads = cur.fetchall()
        cur.execute("SELECT view_name, max(refreshed_at) FROM ops.view_refreshes GROUP BY 1 ORDER BY 1")
        refreshes = cur.fetchall()
        cur.execute("SELECT check_name, subject, passed, detail, checked_at, level FROM ops.quality_results "
                    "WHERE check_run_id = (SELECT check_run_id FROM ops.quality_results "
                    "ORDER BY checked_at DESC, result_id DESC LIMIT 1) ORDER BY passed, level, check_name, subject")
        checks = cur.fetchall()
        at_risk = units_at_risk.count(conn)
        risky = units_at_risk.rows(conn, limit=10) if at_risk else []
    console.print(f"warehouse: {migrations} migrations applied; scripts in {SQL_SCRIPTS.relative_to(REPO)}")
    table = Table(title="Loads", title_justify="left")
    for col in ("source", "last load", "age", "run id", "loaded", "rejected", "deleted", "failed since",
                "rejected (all time)"):
        table.add_column(col)
    for source, finished, run_id, loaded, rejected, deleted, failed, rejected_total in loads:
        age = _age(finished, now)
        table.add_row(source, finished.strftime("%Y-%m-%d %H:%M UTC") if finished else "never", age, run_id or "–",
                      _n(loaded), _n(rejected), _n(deleted), str(failed), _n(rejected_total))
    console.print(table)
    last = max((r[1] for r in refreshes), default=None)
    console.print(f"last refresh: {last.strftime('%Y-%m-%d %H:%M UTC') if last else 'never'} "
                  f"({len(refreshes)} view(s))")
    console.print(fresh.line(), highlight=False)
    _print_rejected(rejected_by_reason)
    _print_units_at_risk(at_risk, risky)
    failed_checks = [c for c in checks if not c[2] and c[5] == "error"]  # a failed warning does not fail the run
    warned = len([c for c in checks if not c[2]]) - len(failed_checks)
    if not checks:
        console.print("quality: no check has run yet")
    else:
        console.print(f"quality ({checks[0][4].strftime('%Y-%m-%d %H:%M UTC')}): "
                      f"{len(checks) - len(failed_checks) - warned}/{len(checks)} passed, {warned} warning(s)",
                      highlight=False)
        for name, subject, passed, detail, _at, level in checks:
            text = escape(f"{name} {subject}: {detail or ''}")
            if not passed:
                console.print("  [red]FAILED[/] " if level == "error" else "  [yellow]WARNING[/] ", text,
                              sep="", highlight=False)
    return 1 if failed_checks else 0


# the rejects of each source's latest succeeded load (what is missing from the warehouse now), by reason
REJECTED_BY_REASON = """
SELECT r.source, r.reason_code, count(*) FROM ops.rejected_records r
WHERE r.load_id IN (SELECT load_id FROM ops.latest_loads) GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2
"""


def _print_rejected(rows: list[tuple[str, str, int]]) -> None:
    if not rows:
        console.print("rejected records (latest loads): none")
        return
    table = Table(title="Rejected records of the latest loads, by reason", title_justify="left")
    for col in ("source", "records", "why"):
        table.add_column(col, justify="right" if col == "records" else "left")
    for source, code, n in rows:
        table.add_row(source, f"{n:,}", escape(reason_in_words(code)))
    console.print(table)


def _print_units_at_risk(total: int, shown: list[dict[str, object]]) -> None:
    """The billable units the latest loads could not bill (analytics.units_at_risk), the first few listed."""
    if not total:
        console.print("units at risk (analytics.units_at_risk): none")
        return
    table = Table(title=f"Units at risk: {total:,} billable unit(s) the latest loads could not bill "
                        "(analytics.units_at_risk; a month closes over them only with --accept-risk)",
                  title_justify="left")
    for col in ("source", "unit", "record", "why", "field", "firm", "month"):
        table.add_column(col)
    for row in shown:
        table.add_row(*(escape(str(row[k] or "–")) for k in ("source", "product", "record_key")),
                      escape(reason_in_words(str(row["reason_code"]))),
                      *(escape(str(row[k] or "–")) for k in ("field_name", "firm_name", "service_month")))
    console.print(table)
    if total > len(shown):
        console.print(f"  … and {total - len(shown):,} more", highlight=False)


def _analyst_status(fresh: freshness.Freshness) -> int:
    """`itc status` for a login without ops (an analyst): what analytics.data_freshness tells."""
    if fresh.read_from != "analytics.data_freshness":
        raise ItcError("this login can read neither ops nor analytics.data_freshness: ask for analyst access "
                       "(`itc access grant`)")
    console.print(f"(analyst view: read from {fresh.read_from})")
    table = Table(title="Sources", title_justify="left")
    for col in ("source", "status", "extracted (data as of)", "complete through", "last load", "failed since"):
        table.add_column(col)
    for s in fresh.sources:
        table.add_row(s.source, s.status, _time(s.extracted_at), str(s.complete_through or "–"), _time(s.last_load_at),
                      str(s.failed_loads_since))
    console.print(table)
    console.print(fresh.line(), highlight=False)
    q = fresh.quality
    if q is None or q.checked_at is None:
        console.print("quality: no check has run yet")
        return 0
    console.print(f"quality ({_time(q.checked_at)}): {q.status}, {q.passed} passed, {q.failed} failed, "
                  f"{q.warned} warning(s)" + (f": {escape(q.failed_checks)}" if q.failed_checks else ""),
                  highlight=False)
    return 1 if q.failed else 0


def _time(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "never"


def _age(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "–"
    hours = (now - at).total_seconds() / 3600
    return f"{hours * 60:.0f} min" if hours < 1 else f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.0f} days"

