"""The data quality checks: plain functions of a cursor returning :class:`CheckResult` rows (run by
:func:`orchestrator.quality.run_quality_checks`, which stores them in ``ops.quality_results``).

Checks (each result row names the check and its subject; level ``error`` unless said):

- ``views_populated``      every curated/analytics materialized view has been refreshed at least once;
- ``freshness``            per source: the last succeeded load finished within ``freshness_hours``; a source
                           never loaded fails once the warehouse's first load is older than that;
- ``manifest_counts``      per source and snapshot table of the last succeeded load: manifest records
                           = loaded + rejected, and the raw table holds exactly the rows that load gave;
- ``row_count_change``     WARNING level. Per source and snapshot table: the rows of the last succeeded
                           load moved by at most ref.settings ``row_count_warning_share`` (default 0.2)
                           from the previous succeeded load of that source;
- ``curated_key_unique``   per materialized view: its key is unique and never null;
- ``summary_totals``       analytics.demands_summary / verifyplus_monthly add up to the curated counts,
                           and the unit ledger (analytics.billable_unit_events) to the summaries;
- ``usage_months``         no usage is billed in a month before ref.settings ``service_start_month``
                           (default 2019-01) or after the current month in the business time zone:
                           one failure per month and product (a time read in the wrong unit lands in 1970);
- ``open_month_prices``    every open invoice month with usage has a price in force for each product;
- ``invoice_amounts``      every invoice line: amount = quantity × unit price, and a priced open line
                           is at the price in force in its service month;
- ``unmapped_firms``       WARNING level. Firms on an open invoice that have no billing account mapping
                           (ref.billing_account_names) and so bill under their own name;
- ``business_time_zone``   (when expected) ref.settings' business time zone is the configured one;
- ``phi_grants``           every member of phi_reader (directly or through another role) has an
                           unexpired PHI grant of at most 90 days recorded in ops.access_grants
                           (ops.phi_grant_violations()): one failure per role, so a
                           hand-run ``GRANT phi_reader`` fails the run and raises the alarm.

A result's ``level`` says what its failure means: ``error`` fails the quality run, ``warning`` is only
reported. Checks read keys and counts only, never PHI columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg2.extensions
from psycopg2 import sql

# snapshot table of each source -> raw table it lands in
RAW_TABLES: dict[str, dict[str, str]] = {
    "demand": {
        "documents": "raw.cases",
        "documents_metadata": "raw.metadata",
        "templates": "raw.templates",
        "documents_audit": "raw.audit",
    },
    "verifyplus": {"requests": "raw.verifyplus"},
}
# materialized view -> its key columns
VIEW_KEYS: dict[str, tuple[str, ...]] = {
    "curated.demands_uploaded": ("document_id",),
    "curated.demands_archived": ("document_id",),
    "curated.verifyplus": ("request_id",),
    "analytics.demands_summary": ("billing_month", "sending_firm_name"),
    "analytics.verifyplus_monthly": ("billing_month", "firm_name"),
}


ERROR, WARNING = "error", "warning"


@dataclass
class CheckResult:
    check: str
    subject: str
    passed: bool
    observed: dict[str, Any] = field(default_factory=dict)
    detail: str | None = None
    level: str = ERROR  # what a failure means: ERROR fails the run, WARNING is only reported

    @property
    def failed_error(self) -> bool:
        return not self.passed and self.level == ERROR

    @property
    def failed_warning(self) -> bool:
        return not self.passed and self.level == WARNING



def check_views_populated(cur: psycopg2.extensions.cursor) -> list[CheckResult]:
    cur.execute(
        "SELECT n.nspname || '.' || c.relname, c.relispopulated FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'm' AND n.nspname IN ('curated', 'analytics') ORDER BY 1"
    )
    return [
        CheckResult("views_populated", view, bool(populated), {"populated": bool(populated)},
                    None if populated else f"{view} has never been refreshed: run the refresh")
        for view, populated in cur.fetchall()
    ]


def check_freshness(cur: psycopg2.extensions.cursor, sources: Iterable[str], max_hours: float) -> list[CheckResult]:
    results = []
    for source in sources:
        cur.execute(
            "SELECT load_id, finished_at, extract(epoch FROM now() - finished_at) / 3600.0 "
            "FROM ops.latest_loads WHERE source = %s",
            (source,),
        )
        row = cur.fetchone()
        if row is None:
            results.append(_first_load_pending(cur, source, max_hours))
            continue
        load_id, finished_at, hours = row[0], row[1], round(float(row[2]), 2)
        passed = hours <= max_hours
        results.append(CheckResult(
            "freshness", source, passed,
            {"hours": hours, "max_hours": max_hours, "load_id": load_id, "finished_at": finished_at.isoformat()},
            None if passed else f"{source}: last succeeded load (load_id {load_id}) finished {hours} h ago, "
                                f"more than {max_hours} h",
        ))
    return results


def _first_load_pending(cur: psycopg2.extensions.cursor, source: str, max_hours: float) -> CheckResult:
    """A source never loaded: stale only once the warehouse's first load (of any source) is older than
    ``max_hours``. On a new warehouse the two sources' first snapshots land minutes apart, and the quality run
    after the first of them must not fail for the other (it has had no day to arrive yet)."""
    cur.execute("SELECT min(started_at), extract(epoch FROM now() - min(started_at)) / 3600.0 FROM ops.load_runs")
    first_at, hours = cur.fetchone()
    if first_at is None:
        return CheckResult("freshness", source, False, {"max_hours": max_hours},
                           f"{source}: no succeeded load yet (no load of any source has run)")
    hours = round(float(hours), 2)
    passed = hours <= max_hours
    return CheckResult(
        "freshness", source, passed,
        {"waiting_for_first_load": True, "hours_since_first_load": hours, "max_hours": max_hours,
         "first_load_started_at": first_at.isoformat()},
        None if passed else f"{source}: no succeeded load yet, {hours} h after the warehouse's first load "
                            f"(more than {max_hours} h)",
    )


def check_manifest_counts(cur: psycopg2.extensions.cursor, sources: Iterable[str]) -> list[CheckResult]:
    results = []
    for source in sources:
        cur.execute(
            "SELECT load_id, table_counts FROM ops.latest_loads WHERE source = %s",
            (source,),
        )
        row = cur.fetchone()
        if row is None:
            continue  # the freshness check already reports a source never loaded
        load_id, table_counts = row
        for table, counts in sorted((table_counts or {}).items()):
            subject = f"{source}.{table}"
            records, loaded, rejected = counts.get("records", 0), counts.get("loaded", 0), counts.get("rejected", 0)
            expected_rows = counts.get("rows", loaded)
            observed: dict[str, Any] = {"load_id": load_id, "records": records, "loaded": loaded,
                                        "rejected": rejected, "expected_rows": expected_rows}
            problems = []
            if records != loaded + rejected:
                problems.append(f"manifest records {records} != loaded {loaded} + rejected {rejected}")
            raw_table = RAW_TABLES.get(source, {}).get(table)
            if raw_table is not None:
                cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(*raw_table.split("."))))
                raw_rows = int(cur.fetchone()[0])
                observed.update(raw_table=raw_table, raw_rows=raw_rows)
                if raw_rows != expected_rows:
                    problems.append(f"{raw_table} holds {raw_rows} rows but load {load_id} gave {expected_rows}")
            results.append(CheckResult("manifest_counts", subject, not problems, observed,
                                       "; ".join(problems) or None))
    return results


_LAST_TWO_LOADS = """
SELECT l.load_id, l.table_counts, p.load_id, p.table_counts, ref.row_count_warning_share()
FROM ops.latest_loads AS l
JOIN LATERAL (SELECT r.load_id, r.table_counts FROM ops.load_runs AS r
              WHERE r.source = l.source AND r.status = 'succeeded' AND r.load_id <> l.load_id
              ORDER BY r.finished_at DESC, r.load_id DESC LIMIT 1) AS p ON true
WHERE l.source = %s
"""


def _rows_of(counts: dict[str, Any]) -> int:
    """Raw rows a load gave one table (``rows``; ``loaded`` in counts recorded without it)."""
    return int(counts.get("rows", counts.get("loaded", 0)))


def check_row_count_changes(cur: psycopg2.extensions.cursor, sources: Iterable[str]) -> list[CheckResult]:
    """WARNING level: per table, the last succeeded load's rows against the previous succeeded load's."""
    results = []
    for source in sources:
        cur.execute(_LAST_TWO_LOADS, (source,))
        row = cur.fetchone()
        if row is None:
            continue  # fewer than two succeeded loads: nothing to compare
        load_id, counts, previous_id, previous_counts, share = row
        share = float(share)
        for table, now_counts in sorted((counts or {}).items()):
            if table not in (previous_counts or {}):
                continue
            before, after = _rows_of(previous_counts[table]), _rows_of(now_counts)
            change = abs(after - before) / before if before else (0.0 if after == 0 else float("inf"))
            passed = change <= share
            raw_table = RAW_TABLES.get(source, {}).get(table, table)
            moved = f"{(after - before) / before:+.1%}" if before else "from none"
            results.append(CheckResult(
                "row_count_change", f"{source}.{table}", passed,
                {"load_id": load_id, "rows": after, "previous_load_id": previous_id, "previous_rows": before,
                 "change": None if change == float("inf") else round(change, 4), "warning_share": share},
                None if passed else f"{raw_table} went from {before:,} rows (load {previous_id}) to {after:,} "
                                    f"(load {load_id}), {moved}: more than ref.settings row_count_warning_share "
                                    f"{share:g}",
                level=WARNING,
            ))
    return results


def check_curated_keys(cur: psycopg2.extensions.cursor) -> list[CheckResult]:
    results = []
    for view, keys in VIEW_KEYS.items():
        cols = sql.SQL(", ").join(map(sql.Identifier, keys))
        any_null = sql.SQL(" OR ").join(sql.SQL("{} IS NULL").format(sql.Identifier(k)) for k in keys)
        cur.execute(sql.SQL(
            "SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT {cols} FROM {v}) d), "
            "count(*) FILTER (WHERE {any_null}) FROM {v}"
        ).format(cols=cols, v=sql.Identifier(*view.split(".")), any_null=any_null))
        total, distinct, nulls = cur.fetchone()
        passed = total == distinct and nulls == 0
        results.append(CheckResult(
            "curated_key_unique", view, passed,
            {"rows": total, "distinct_keys": distinct, "null_keys": nulls, "key": list(keys)},
            None if passed else f"{view}: {total - distinct} duplicate and {nulls} null key(s) on ({', '.join(keys)})",
        ))
    return results


_SUMMARY_TOTALS = (
    ("demands_uploaded",
     "SELECT coalesce(sum(uploaded_count), 0) FROM analytics.demands_summary",
     "SELECT count(*) FROM curated.demands_uploaded"),
    ("demands_archived",
     "SELECT coalesce(sum(archived_count), 0) FROM analytics.demands_summary",
     "SELECT count(*) FROM curated.demands_archived"),
    ("verifyplus_requests",
     "SELECT coalesce(sum(total_requests), 0) FROM analytics.verifyplus_monthly",
     "SELECT count(*) FROM curated.verifyplus WHERE request_created_datetime IS NOT NULL"),
    ("verifyplus_billable",
     "SELECT coalesce(sum(billable_requests), 0) FROM analytics.verifyplus_monthly",
     "SELECT count(*) FROM curated.verifyplus WHERE request_created_datetime IS NOT NULL AND is_billable"),
    # the unit ledger behind the invoices holds exactly the units the summaries count
    *((f"billable_units {product}",
       f"SELECT count(*) FROM analytics.billable_unit_events WHERE product = '{product}'", count_sql)
      for product, count_sql in (
          ("demand_uploaded", "SELECT coalesce(sum(uploaded_count), 0) FROM analytics.demands_summary"),
          ("demand_archived", "SELECT coalesce(sum(archived_count), 0) FROM analytics.demands_summary"),
          ("verifyplus_request", "SELECT coalesce(sum(billable_requests), 0) FROM analytics.verifyplus_monthly"))),
)


def check_summary_totals(cur: psycopg2.extensions.cursor) -> list[CheckResult]:
    results = []
    for subject, summary_sql, curated_sql in _SUMMARY_TOTALS:
        cur.execute(summary_sql)
        summary = int(cur.fetchone()[0])
        cur.execute(curated_sql)
        curated = int(cur.fetchone()[0])
        passed = summary == curated
        detail = None if passed else f"{subject}: summary total {summary} != curated count {curated}"
        results.append(CheckResult("summary_totals", subject, passed, {"summary": summary, "curated": curated}, detail))
    return results


_USAGE_OUTSIDE_SERVICE = """
SELECT u.service_month, u.product, sum(u.quantity), p.unit,
       u.service_month < ref.service_start_month() AS too_early
FROM analytics.usage_quantities AS u
JOIN ref.products AS p ON p.product = u.product
WHERE u.service_month < ref.service_start_month() OR u.service_month > ref.billing_month(now())
GROUP BY 1, 2, 4, 5
ORDER BY 1, 2
"""


def check_usage_months(cur: psycopg2.extensions.cursor) -> list[CheckResult]:
    """Usage billed before the service start month or after the current month: one failure per month and product."""
    cur.execute("SELECT ref.service_start_month(), ref.billing_month(now()), ref.business_time_zone()")
    start, current, zone = cur.fetchone()
    window = {"service_start_month": start, "current_month": current}
    cur.execute(_USAGE_OUTSIDE_SERVICE)
    results = []
    for month, product, quantity, unit, too_early in cur.fetchall():
        why = (f"before the service start month {start} (ref.settings service_start_month)" if too_early
               else f"after the current month {current} ({zone})")
        results.append(CheckResult(
            "usage_months", f"{month} {product}", False,
            {"month": month, "product": product, "quantity": int(quantity), **window},
            f"{int(quantity):,} {product} {unit}(s) billed in {month}, {why}: check the source timestamps",
        ))
    return results or [CheckResult("usage_months", "analytics.usage_quantities", True, window)]


_UNPRICED_OPEN_MONTHS = """
SELECT billing_month, string_agg(DISTINCT product, ', ' ORDER BY product), count(*), sum(quantity)
FROM analytics.invoice_lines
WHERE status = 'open' AND unit_price IS NULL
GROUP BY 1
ORDER BY 1
"""


def check_open_month_prices(cur: psycopg2.extensions.cursor) -> list[CheckResult]:
    """Every open month with usage has a price in force for each of its products: one failure per month."""
    cur.execute(_UNPRICED_OPEN_MONTHS)
    results = [
        CheckResult("open_month_prices", month, False,
                    {"month": month, "products": products.split(", "), "lines": lines, "quantity": int(quantity)},
                    f"open month {month} has usage with no price in force for {products} ({lines} line(s)): "
                    "add the prices to ref.price_list")
        for month, products, lines, quantity in cur.fetchall()
    ]
    return results or [CheckResult("open_month_prices", "analytics.invoice_lines", True)]


_INVOICE_PROBLEMS = """
SELECT
    count(*)                                                                       AS lines,
    count(*) FILTER (WHERE amount IS DISTINCT FROM round(quantity * unit_price, 2)) AS wrong_amount,
    count(*) FILTER (WHERE status = 'open' AND quantity > 0 AND unit_price IS NOT NULL AND unit_price IS DISTINCT FROM
                     (SELECT p.unit_price FROM ref.unit_price(l.product, l.service_month) p))
                                                                                   AS wrong_price,
    coalesce(sum(amount), 0)                                                       AS total_amount
FROM analytics.invoice_lines l
"""


def check_invoice_amounts(cur: psycopg2.extensions.cursor) -> list[CheckResult]:
    """Amounts add up and priced open lines carry the price in force (unpriced months: open_month_prices).

    A negative open line (units taken back, or credited by a price adjustment) is at the price its units
    were billed at, so only positive open lines are compared with the price in force."""
    cur.execute(_INVOICE_PROBLEMS)
    lines, wrong_amount, wrong_price, total = cur.fetchone()
    problems = []
    if wrong_amount:
        problems.append(f"{wrong_amount} line(s) whose amount is not quantity x unit price")
    if wrong_price:
        problems.append(f"{wrong_price} open line(s) not at the price in force in their month")
    observed = {"lines": lines, "wrong_amount": wrong_amount, "wrong_price": wrong_price,
                "total_amount": str(total)}
    return [CheckResult("invoice_amounts", "analytics.invoice_lines", not problems, observed,
                        "; ".join(problems) or None)]


_UNMAPPED_FIRMS = """
SELECT firm_name, sum(quantity) FILTER (WHERE quantity > 0), string_agg(DISTINCT billing_month, ', ')
FROM analytics.invoice_lines
WHERE status = 'open' AND billing_account_id IS NULL
GROUP BY firm_name
ORDER BY firm_name
"""
UNMAPPED_FIRMS_LISTED = 20


def check_unmapped_firms(cur: psycopg2.extensions.cursor) -> list[CheckResult]:
    """WARNING: firms on an open invoice that bill under their own name (no ref.billing_accounts mapping)."""
    cur.execute(_UNMAPPED_FIRMS)
    firms = cur.fetchall()
    if not firms:
        return [CheckResult("unmapped_firms", "ref.billing_account_names", True, {"firms": 0}, level=WARNING)]
    names = [name for name, _qty, _months in firms]
    shown = ", ".join(names[:UNMAPPED_FIRMS_LISTED]) + (f" and {len(names) - UNMAPPED_FIRMS_LISTED} more"
                                                         if len(names) > UNMAPPED_FIRMS_LISTED else "")
    return [CheckResult(
        "unmapped_firms", "ref.billing_account_names", False,
        {"firms": len(names), "names": names[:UNMAPPED_FIRMS_LISTED]},
        f"{len(names)} firm(s) on an open invoice bill under their own name, with no billing account: {shown} "
        "(map them in ref.billing_account_names so a rename does not split their invoice)",
        level=WARNING,
    )]


def check_business_time_zone(cur: psycopg2.extensions.cursor, expected: str) -> list[CheckResult]:
    cur.execute("SELECT ref.business_time_zone()")
    actual = cur.fetchone()[0]
    passed = actual == expected
    return [CheckResult("business_time_zone", "ref.settings", passed, {"database": actual, "expected": expected},
                        None if passed else f"ref.settings business_time_zone is {actual} but ITC_BUSINESS_TZ is "
                                            f"{expected}: run the orchestrator's migrate mode to apply it")]


def check_phi_grants(cur: psycopg2.extensions.cursor) -> list[CheckResult]:
    """phi_reader members without a recorded PHI grant of at most 90 days (one failed result each)."""
    cur.execute("SELECT username, held_through, problem FROM ops.phi_grant_violations()")
    violations = cur.fetchall()
    if not violations:
        return [CheckResult("phi_grants", "phi_reader", True, {"violations": 0})]
    return [CheckResult("phi_grants", username, False, {"held_through": held, "problem": problem},
                        f"{username} holds phi_reader ({held}) but {problem}: revoke it (`itc access revoke`) or "
                        "grant it through `itc access grant --phi` (docs/access.md)")
            for username, held, problem in violations]


CHECKS: dict[str, Callable[..., list[CheckResult]]] = {
    "views_populated": check_views_populated,
    "freshness": check_freshness,
    "manifest_counts": check_manifest_counts,
    "row_count_change": check_row_count_changes,
    "curated_key_unique": check_curated_keys,
    "summary_totals": check_summary_totals,
    "usage_months": check_usage_months,
    "open_month_prices": check_open_month_prices,
    "invoice_amounts": check_invoice_amounts,
    "unmapped_firms": check_unmapped_firms,
    "business_time_zone": check_business_time_zone,
    "phi_grants": check_phi_grants,
}
