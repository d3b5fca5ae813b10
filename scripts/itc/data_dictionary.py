"""The analysts' data dictionary, generated from the warehouse's own comments (``itc docs``).

Every table, view and materialized view of the analyst-facing schemas (``analytics``, ``curated``,
``ref``, any de-identified ``*_deid`` schema, and ``compat``, the original system's names), each
column with its type, its ``COMMENT ON`` text and whether it holds PHI/PII. PHI comes from the one
catalogue (:mod:`itc_common_utilities.phi`: a curated column that carries a protected raw column's
name is PHI) or from the comment itself saying PHI/PII. The output is deterministic (no
timestamps), so a test can tell when the committed ``docs/data-dictionary.md`` is stale.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import psycopg2.extensions

from itc_common_utilities.billing import CRITICAL_FIELDS
from itc_common_utilities.phi import PHI_COLUMNS

SCHEMAS = ("analytics", "curated", "ref", "compat")
KINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized view"}
_PHI_WORDS = re.compile(r"\b(PHI|PII)\b")
_NOT_PHI = re.compile(r"\b(no|not|without|non)[ -](PHI|PII)\b", re.I)

RELATIONS_QUERY = """
SELECT n.nspname, c.relname, c.relkind, obj_description(c.oid, 'pg_class')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm')
  AND (n.nspname = ANY(%(schemas)s) OR n.nspname LIKE '%%\\_deid')
  AND NOT c.relispartition
ORDER BY n.nspname, c.relname
"""
COLUMNS_QUERY = """
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
       col_description(c.oid, a.attnum), a.attnum
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
  AND (n.nspname = ANY(%(schemas)s) OR n.nspname LIKE '%%\\_deid')
ORDER BY n.nspname, c.relname, a.attnum
"""
SCHEMA_COMMENT_QUERY = """
SELECT n.nspname, obj_description(n.oid, 'pg_namespace')
FROM pg_namespace n
WHERE n.nspname = ANY(%(schemas)s) OR n.nspname LIKE '%%\\_deid'
ORDER BY 1
"""

PHI_NAMES: frozenset[str] = frozenset().union(*PHI_COLUMNS.values())

CONNECTING = """\
## Connecting a BI tool

The warehouse is PostgreSQL 16 on Amazon RDS, in private subnets. Analysts reach it through the
analysts' route only (`analyst_access` module): a Session Manager tunnel to a local port (default), or
the Client VPN. docs/access.md "Reaching the warehouse" has the steps and a recipe per BI tool.

| setting | value |
|---|---|
| host | the `db_instance_address` output of `terraform/itc-beta` (the `ITC_DB_HOST` of the Lambdas) |
| port | `5432` (`db_instance_port`); through the Session Manager tunnel, its local port (`15432`) |
| database | `itc` (`db_instance_database_name`) |
| user | your own analyst login (created by the data platform team with `itc access grant`) |
| TLS | required (`rds.force_ssl=1`): `sslmode=verify-full`, root certificate `global-bundle.pem` (RDS CA) |

A libpq connection string through the tunnel (`hostaddr` dials the tunnel, `host` is the name the
certificate is verified against; JDBC/ODBC tools use a hosts-file line
`127.0.0.1 <db_instance_address>` instead):

```
host=<db_instance_address> hostaddr=127.0.0.1 port=15432 dbname=itc user=<login> sslmode=verify-full
sslrootcert=global-bundle.pem
```

What an analyst login can read: the `analytics` schema (except the unit ledgers, which hold source ids
and exact times: finance only), the de-identified curated views (`curated_deid`: ids as keyed hashes,
dates as months, no free text — HIPAA Safe Harbor) and the `compat` views (the original system's names:
[migrating-from-original.md](migrating-from-original.md)); it cannot read `raw`, PHI columns, or write
anything. Columns marked **PHI** or **PII** below are readable only by members of the PHI role (granted
per person for at most 90 days, audited by pgAudit). Ask the data platform team for access; never share
a login. Worked queries for the usual questions: [analysts.md](analysts.md).
"""

MONTHS = """\
## Months and time zones

A billing month (`billing_month`, `service_month`, `YYYY-MM`) is a calendar month in the **business
time zone** (America/New_York, `ref.business_time_zone()`), whatever `TimeZone` your BI tool's
session uses: a demand uploaded at 23:30 on 31 October in New York is an October demand, although
it is 1 November in UTC. `ref.billing_month(t)` gives the billing month of a timestamp;
`ref.month_start('2026-10')` the instant the month starts (midnight on its first day, New York);
`analytics.months` is the calendar (`month_start`, `month_end`, draft/final, complete).

The de-identified views show each date or time as its month in the business time zone
(`request_created_month`, `uploaded_month`, ...), computed before you read it, so the session's time
zone cannot move a row across months. October 2026's billable Verify+ requests:

```sql
SELECT count(*) FROM curated_deid.verifyplus WHERE is_billable AND billing_month = '2026-10';
```

Data freshness (what the figures include): `analytics.data_freshness`.
"""


def is_phi(column: str, comment: str | None) -> bool:
    if column in PHI_NAMES:
        return True
    if comment and _PHI_WORDS.search(comment) and not _NOT_PHI.search(comment):
        return True
    return False


def phi_label(column: str, comment: str | None) -> str:
    """``**PHI**``, ``**PII**`` (personal data of staff/contacts, protected like PHI) or ``no``."""
    if not is_phi(column, comment):
        return "no"
    if comment and "PII" in comment and "PHI" not in comment:
        return "**PII**"
    return "**PHI**"


def _one_line(text: str | None) -> str:
    if not text:
        return "*(no comment)*"
    return " ".join(text.split()).replace("|", "\\|")


def fetch(conn: psycopg2.extensions.connection) -> dict[str, Any]:
    params = {"schemas": list(SCHEMAS)}
    with conn.cursor() as cur:
        cur.execute(SCHEMA_COMMENT_QUERY, params)
        schemas = dict(cur.fetchall())
        cur.execute(RELATIONS_QUERY, params)
        relations = cur.fetchall()
        cur.execute(COLUMNS_QUERY, params)
        columns: dict[tuple[str, str], list[tuple[str, str, str | None]]] = defaultdict(list)
        for schema, rel, col, typ, comment, _num in cur.fetchall():
            columns[(schema, rel)].append((col, typ, comment))
    conn.rollback()
    return {"schemas": schemas, "relations": relations, "columns": columns}


def _schema_order(name: str) -> tuple[int, str]:
    order = {"analytics": 0, "curated": 1, "ref": 3, "compat": 4}
    return (order.get(name, 2), name)


def billing_critical_section() -> list[str]:
    """The billing-critical fields (:mod:`itc_common_utilities.billing`): a bad value there rejects the record;
    anywhere else it is stored as NULL and noted in ops.quarantined_fields."""
    out = ["## Billing-critical fields", "",
           "The source fields that decide a bill (`common/itc_common_utilities/itc_common_utilities/billing.py`, "
           "the same list as `ops.billing_critical_fields`). A malformed or implausible value in one of them "
           "rejects the record, and its units show in `analytics.units_at_risk`; a bad value in any other field "
           "is stored as NULL and noted in `ops.quarantined_fields`, and the record is billed. A bad entry of a "
           "document's status history is dropped from the billed history; a dropped `DocumentArchived` entry is "
           "a unit at risk, the upload stays billed.", "",
           "| raw table | column | source field | why it decides a bill |", "|---|---|---|---|"]
    out += [f"| `{f.table}` | `{f.column}` | `{f.source_field}` | {f.reason} |" for f in CRITICAL_FIELDS]
    return [*out, ""]


def render(conn: psycopg2.extensions.connection) -> str:
    info = fetch(conn)
    relations = sorted(info["relations"], key=lambda r: (_schema_order(r[0]), r[1]))
    out = [
        "# ITC data dictionary",
        "",
        "Generated by `itc docs` from the warehouse's own `COMMENT ON` text and the PHI catalogue",
        "(`common/itc_common_utilities/itc_common_utilities/phi.py`). Do not edit by hand: change the",
        "comment in the SQL script that defines the object and run `make docs` (it migrates a throw-away database).",
        "",
        CONNECTING,
        MONTHS,
        *billing_critical_section(),
        "## Contents",
        "",
    ]
    for schema, rel, kind, _c in relations:
        out.append(f"- [`{schema}.{rel}`](#{schema}{rel}) — {KINDS[kind]}")
    if not relations:
        out.append("- *(no analytics or curated relations in this database yet)*")
    out.append("")
    current = None
    for schema, rel, kind, comment in relations:
        if schema != current:
            current = schema
            out += [f"## Schema `{schema}`", "", _one_line(info["schemas"].get(schema)), ""]
        cols = info["columns"][(schema, rel)]
        phi_count = sum(is_phi(c, cm) for c, _t, cm in cols)  # PHI and PII alike
        out += [f"### `{schema}.{rel}`", "", f"*{KINDS[kind]}* · {len(cols)} columns"
                + (f" · **{phi_count} PHI/PII**" if phi_count else " · no PHI"), "", _one_line(comment), "",
                "| column | type | PHI | meaning |", "|---|---|---|---|"]
        for col, typ, col_comment in cols:
            flag = phi_label(col, col_comment)
            out.append(f"| `{col}` | `{typ}` | {flag} | {_one_line(col_comment)} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def missing_comments(conn: psycopg2.extensions.connection) -> list[str]:
    """Relations and columns of the analyst schemas with no comment (each one a dictionary gap)."""
    info = fetch(conn)
    gaps = [f"{s}.{r}" for s, r, _k, c in info["relations"] if not c]
    for (schema, rel), cols in sorted(info["columns"].items()):
        gaps += [f"{schema}.{rel}.{c}" for c, _t, cm in cols if not cm]
    return gaps
