"""The quality checks of the field quarantine and the units at risk (both WARNING level; run by
:func:`orchestrator.quality.run_quality_checks` after the others):

- ``units_at_risk``        the billable units the latest loads could not bill (``analytics.units_at_risk``:
                           records rejected for a bad billing-critical value, archive entries dropped from
                           a status history). Each is money finance may be missing; a month does not close
                           over them without a recorded acceptance (``itc invoice --close --accept-risk``).
- ``quarantined_share``    per source, snapshot table and field of the latest load: the share of the table's
                           records whose value was stored as NULL (``ops.quarantined_fields``) stays at or
                           under :data:`QUARANTINE_WARNING_SHARE` (1 %); more means the source changed the
                           field's format, and every such record lost the value.

Counts, keys and field names only, never a value.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg2.extensions

from orchestrator.quality_checks import WARNING, CheckResult

QUARANTINE_WARNING_SHARE = 0.01

_UNITS_AT_RISK = """
SELECT source, coalesce(product, '(indirect)'), count(*)
FROM analytics.units_at_risk
GROUP BY 1, 2
ORDER BY 1, 2
"""

# per latest load of each source: the table's records (ops.load_runs.table_counts) and, per field, the
# records that lost a value of it
_QUARANTINED_SHARES = """
SELECT l.source, q.table_name, q.field_name, count(DISTINCT q.line_number) AS records_nulled,
       coalesce((l.table_counts -> q.table_name ->> 'records')::bigint, 0) AS records
FROM ops.latest_loads AS l
JOIN ops.quarantined_fields AS q ON q.load_id = l.load_id
WHERE l.source = ANY(%s)
GROUP BY l.source, q.table_name, q.field_name, l.table_counts
ORDER BY 1, 2, 3
"""


def check_units_at_risk(cur: psycopg2.extensions.cursor) -> list[CheckResult]:
    """WARNING: how many billable units the latest loads could not bill (analytics.units_at_risk)."""
    cur.execute(_UNITS_AT_RISK)
    rows = cur.fetchall()
    total = sum(int(n) for _s, _p, n in rows)
    by_kind = {f"{source}/{product}": int(n) for source, product, n in rows}
    if not total:
        return [CheckResult("units_at_risk", "analytics.units_at_risk", True, {"units": 0}, level=WARNING)]
    listed = ", ".join(f"{n} {kind}" for kind, n in by_kind.items())
    return [CheckResult(
        "units_at_risk", "analytics.units_at_risk", False, {"units": total, "by_source_product": by_kind},
        f"{total} billable unit(s) could not be billed by the latest loads ({listed}): see analytics.units_at_risk; "
        "a month closes over them only with `itc invoice --close --accept-risk \"<reason>\"`",
        level=WARNING)]


def check_quarantined_share(cur: psycopg2.extensions.cursor, sources: Iterable[str]) -> list[CheckResult]:
    """WARNING per field nulled in more than 1 % of its table's records in the latest load (a source that
    changed its format); one passing result per source when none is."""
    sources = tuple(sources)
    cur.execute(_QUARANTINED_SHARES, (list(sources),))
    results: list[CheckResult] = []
    for source, table, field, nulled, records in cur.fetchall():
        share = nulled / records if records else 1.0
        if share <= QUARANTINE_WARNING_SHARE:
            continue
        results.append(CheckResult(
            "quarantined_share", f"{source}.{table}.{field}", False,
            {"records_nulled": int(nulled), "records": int(records), "share": round(share, 4),
             "warning_share": QUARANTINE_WARNING_SHARE},
            f"{field} of {source} {table}: {nulled} of {records} record(s) ({share:.1%}) had a value the load could "
            f"not read and stored as NULL (more than {QUARANTINE_WARNING_SHARE:.0%}: has the source changed the "
            "field's format? see ops.quarantined_fields)",
            level=WARNING))
    flagged = {r.subject.split(".", 1)[0] for r in results}
    results += [CheckResult("quarantined_share", source, True, {"warning_share": QUARANTINE_WARNING_SHARE},
                            level=WARNING) for source in sources if source not in flagged]
    return results
