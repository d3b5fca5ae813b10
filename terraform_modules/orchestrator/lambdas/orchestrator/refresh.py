"""Refresh the curated and analytics materialized views, in dependency order, under one lock.

:func:`refresh_views` takes the advisory lock ``refresh`` (a second refresh waits; loads take
``load:<source>`` locks, so a refresh and a load never wait for each other's advisory lock), derives
the order of the views from ``pg_depend`` (a view after everything it reads, through plain views
too), refreshes each one ``CONCURRENTLY`` (readers are never blocked) — except a view never
populated, which PostgreSQL can only refresh plainly — and records each refresh in
``ops.view_refreshes`` with its duration and row count. Everything happens in ONE transaction:
the analytics views are always built from the curated views of the same refresh, and a failure
leaves every view as it was.

When the warehouse has ``ops.refresh_materialized_view`` (the SECURITY DEFINER function that lets
the least-privileged ``itc_refresher`` role refresh views it does not own), it is used; otherwise
the views are refreshed directly (the connecting role must own them).
"""

from __future__ import annotations

import time
from graphlib import TopologicalSorter
from typing import Any

import psycopg2.extensions
from psycopg2 import sql

from itc_common_utilities.db import advisory_xact_lock
from itc_common_utilities.errors import TerminalError, translate_errors
from itc_common_utilities.logger.logger_setup import setup_logger

SCHEMAS = ("curated", "analytics")

_RELATIONS = """
SELECT c.oid, n.nspname, c.relname, c.relkind, c.relispopulated
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('m', 'v') AND n.nspname = ANY(%s)
"""
# view -> relation it reads (a view's rewrite rule depends on the relations of its query)
_EDGES = """
SELECT DISTINCT r.ev_class, d.refobjid
FROM pg_catalog.pg_rewrite r
JOIN pg_catalog.pg_depend d
  ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
 AND d.refclassid = 'pg_catalog.pg_class'::regclass
WHERE d.refobjid <> r.ev_class
"""
_HAS_DEFINER_FUNCTION = "SELECT to_regprocedure('ops.refresh_materialized_view(text, boolean)') IS NOT NULL"
_RECORD = """
INSERT INTO ops.view_refreshes (view_name, duration_ms, row_count, concurrent)
VALUES (%s, %s, %s, %s)
"""


def view_order(cur: psycopg2.extensions.cursor, schemas: tuple[str, ...] = SCHEMAS) -> list[str]:
    """The materialized views of ``schemas`` ("schema.name"), each after every view it reads."""
    cur.execute(_RELATIONS, (list(schemas),))
    relations = {oid: (f"{nsp}.{name}", kind) for oid, nsp, name, kind, _ in cur.fetchall()}
    cur.execute(_EDGES)
    reads: dict[int, set[int]] = {oid: set() for oid in relations}
    for view, referenced in cur.fetchall():
        if view in relations and referenced in relations:
            reads[view].add(referenced)
    sorter: TopologicalSorter[int] = TopologicalSorter()
    for oid in sorted(relations, key=lambda o: relations[o][0]):
        sorter.add(oid, *sorted(reads[oid], key=lambda o: relations[o][0]))
    return [relations[oid][0] for oid in sorter.static_order() if relations[oid][1] == "m"]


def _is_populated(cur: psycopg2.extensions.cursor, view: str) -> bool:
    schema, name = view.split(".", 1)
    cur.execute(
        "SELECT c.relispopulated FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s",
        (schema, name),
    )
    return bool(cur.fetchone()[0])


def _refresh_one(cur: psycopg2.extensions.cursor, view: str, use_definer: bool) -> bool:
    """Refresh ``view``; return whether it was CONCURRENTLY."""
    if use_definer:
        cur.execute("SELECT ops.refresh_materialized_view(%s, true)", (view,))
        return bool(cur.fetchone()[0])
    concurrent = _is_populated(cur, view)
    statement = "REFRESH MATERIALIZED VIEW CONCURRENTLY {}" if concurrent else "REFRESH MATERIALIZED VIEW {}"
    cur.execute(sql.SQL(statement).format(sql.Identifier(*view.split(".", 1))))
    return concurrent


def refresh_views(
    conn: psycopg2.extensions.connection,
    logger: Any = None,
    *,
    views: list[str] | None = None,
) -> dict[str, Any]:
    """Refresh every curated/analytics materialized view (or ``views``, still in dependency order).

    Returns ``{"views": [{"view", "rows", "duration_ms", "concurrent"}, ...], "duration_ms"}``.
    Raises TransientError (a retry can fix it) or TerminalError; on error nothing is refreshed.
    """
    log = logger or setup_logger("orchestrator")
    started = time.perf_counter()
    done: list[dict[str, Any]] = []
    conn.autocommit = False
    try:
        with conn.cursor() as cur:
            with translate_errors("taking the refresh lock"):
                advisory_xact_lock(cur, "refresh")
                order = view_order(cur)
                cur.execute(_HAS_DEFINER_FUNCTION)
                use_definer = bool(cur.fetchone()[0])
            if views is not None:
                unknown = sorted(set(views) - set(order))
                if unknown:
                    raise TerminalError(f"not a curated/analytics materialized view: {', '.join(unknown)}")
                order = [v for v in order if v in views]
            for view in order:
                t0 = time.perf_counter()
                with translate_errors(f"refreshing {view}"):
                    concurrent = _refresh_one(cur, view, use_definer)
                    cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(*view.split(".", 1))))
                    row_count = int(cur.fetchone()[0])
                    duration_ms = round((time.perf_counter() - t0) * 1000)
                    cur.execute(_RECORD, (view, duration_ms, row_count, concurrent))
                done.append({"view": view, "rows": row_count, "duration_ms": duration_ms, "concurrent": concurrent})
                log.info("view refreshed", extra={"view": view, "rows": row_count, "duration_ms": duration_ms,
                                                  "concurrent": concurrent})
        with translate_errors("committing the refresh"):
            conn.commit()
    except BaseException:
        if not conn.closed:
            conn.rollback()
        raise
    summary = {"views": done, "duration_ms": round((time.perf_counter() - started) * 1000)}
    log.info("refresh finished", extra={"views": len(done), "duration_ms": summary["duration_ms"]})
    return summary
