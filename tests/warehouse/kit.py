"""Warehouse test kit: put rows straight into the raw tables with SQL, refresh the views, read rows back.

The ``add_*`` helpers do not use the pipelines' code: the curated/analytics rules (tests/warehouse/) and
the orchestrator's refresh and quality checks (lambdas/orchestrator/tests/) are tested on raw rows alone.
They take an open psycopg2 cursor and leave committing to the caller; :func:`rows` reads inside the
caller's transaction, :func:`read` reads and ends it (for tests that only look). A migrated database
has no price: :func:`add_demo_prices` puts the demo price list in (``scripts/stack/demo_prices.py``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from orchestrator.refresh import view_order

NY = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")

VIEWS_IN_ORDER = (
    "curated.demands_uploaded",
    "curated.demands_archived",
    "curated.verifyplus",
    "analytics.demands_summary",
    "analytics.verifyplus_monthly",
    "analytics.billable_unit_events",
    "analytics.billable_unit_counts",
)


def ny(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A New York wall-clock time as an aware datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=NY)


def add_case(cur: Any, document_id: str, version: int = 1, *, firm: str | None = "Acme Law", **cols: Any) -> None:
    row = {"document_id": document_id, "version": version, "sending_firm_name": firm,
           "claimant_name": "Jane Roe", "claim_number": "CLM-1", "_load_id": 1, "_source_key": "test"}
    row.update(cols)
    _insert(cur, "raw.cases", row)


def add_metadata(cur: Any, document_id: str, *, uploaded_at: datetime | None = None, template_id: str | None = None,
                 archived_at: datetime | None = None, **cols: Any) -> None:
    row = {"document_id": document_id, "uploaded_at": uploaded_at, "demand_template_id": template_id,
           "archived_at": archived_at, "_load_id": 1, "_source_key": "test"}
    row.update(cols)
    _insert(cur, "raw.metadata", row)


def add_demand(cur: Any, document_id: str, *, firm: str | None = "Acme Law", uploaded_at: datetime | None = None,
               archived_at: datetime | None = None, template_id: str | None = None) -> None:
    """One document (version 1) with its metadata."""
    add_case(cur, document_id, firm=firm)
    add_metadata(cur, document_id, uploaded_at=uploaded_at, archived_at=archived_at, template_id=template_id)


def add_template(cur: Any, template_id: str, name: str, version: int = 1) -> None:
    _insert(cur, "raw.templates", {"template_id": template_id, "version": version, "template_name": name,
                                   "default_demand_config": json.dumps({}), "_load_id": 1, "_source_key": "test"})


def add_audit(cur: Any, audit_record_id: str, document_id: str, created_at: datetime, *, reason: str | None = None,
              comments: str | None = None, action_type: str = "DemandArchived") -> None:
    _insert(cur, "raw.audit", {"audit_record_id": audit_record_id, "document_id": document_id,
                               "created_at": created_at, "action_type": action_type, "archive_reason": reason,
                               "archive_comments": comments, "_load_id": 1, "_source_key": "test"})


def add_request(cur: Any, request_id: int, created: datetime | None, *, firm: str | None = "Acme Law",
                duplicate: bool | None = False, excluded: bool | None = False, closed: datetime | None = None,
                **cols: Any) -> None:
    row = {"request_id": request_id, "request_created_datetime": created, "firm_name": firm,
           "duplicate_request": duplicate, "exclude_from_reporting": excluded, "verify_close_datetime": closed,
           "reporting_policy_number": "POL-1", "_load_id": 1, "_source_key": "test"}
    row.update(cols)
    _insert(cur, "raw.verifyplus", row)


def add_demo_prices(cur: Any) -> None:
    """The demo price list (demand_uploaded 25.00, demand_archived 5.00 from 2020; verifyplus_request
    35.00 from 2020, 40.00 from 2026), as ``itc demo`` seeds it."""
    from scripts.stack.demo_prices import seed_demo_prices

    seed_demo_prices(cur)


def refresh_all(conn: Any) -> None:
    """Plain (non-concurrent) refresh of every view in dependency order (the orchestrator's), then commit."""
    with conn.cursor() as cur:
        for view in view_order(cur):
            cur.execute(f"REFRESH MATERIALIZED VIEW {view}")
    conn.commit()


def rows(conn: Any, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall()


def read(conn: Any, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The rows of a read-only query; the transaction is then ended (rolled back)."""
    try:
        return rows(conn, query, params)
    finally:
        conn.rollback()


def _insert(cur: Any, table: str, row: dict[str, Any]) -> None:
    from psycopg2 import sql

    schema, name = table.split(".")
    cur.execute(
        sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            sql.Identifier(schema, name),
            sql.SQL(", ").join(map(sql.Identifier, row)),
            sql.SQL(", ").join(sql.Placeholder() * len(row)),
        ),
        tuple(row.values()),
    )
