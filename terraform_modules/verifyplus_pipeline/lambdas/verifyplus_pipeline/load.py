"""Load a Verify+ landing snapshot into ``raw.verifyplus`` through the shared snapshot load engine.

:func:`load_verifyplus` hands the ``requests`` table's spec (its rows built by
:func:`verifyplus_pipeline.builders.build_row`, shortcut for clean records by the fast path
:func:`verifyplus_pipeline.fast.requests_fast`) to :func:`itc_common_utilities.loader.load_snapshot`:
manifest check, idempotency, one transaction, upsert/delete, reconciliation, ``ops.load_runs`` and
``ops.rejected_records``; then it names the report labels the warehouse has no column for.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import psycopg2.extensions

from itc_common_utilities.loader import TableSpec, load_snapshot
from itc_common_utilities.logger.logger_setup import setup_logger
from itc_common_utilities.s3 import ObjectRef
from itc_common_utilities.timestamps import DEFAULT_WINDOW, TimeWindow, load_time_window
from verifyplus_pipeline.builders import COLUMNS, build_row, record_key
from verifyplus_pipeline.fast import requests_fast

SOURCE = "verifyplus"
SNAPSHOT_TABLE = "requests"
RAW_TABLE = "raw.verifyplus"

logger = setup_logger("verifyplus_pipeline")


def verifyplus_spec(window: TimeWindow = DEFAULT_WINDOW) -> TableSpec:
    """The ``requests`` table's spec, its builder and its fast path bound to the plausible ``window``.

    The engine tries ``fast`` first (``ITC_LOAD_FAST``, default on) and runs the builder on every line
    the fast path steps aside from: rejects and quarantined fields always come from the builder."""
    return TableSpec(
        snapshot_table=SNAPSHOT_TABLE,
        raw_table=RAW_TABLE,
        columns=COLUMNS,
        key_columns=("request_id",),
        build=partial(build_row, window=window),
        record_key=record_key,
        fast=requests_fast(window),
    )


SPEC = verifyplus_spec()  # with the parsers' default window (tests, tools)

_UNKNOWN_FIELDS_SQL = """
SELECT label, count(*) FROM raw.verifyplus, jsonb_object_keys(extra_fields) AS label
 GROUP BY label ORDER BY label
"""


def unknown_fields(conn: psycopg2.extensions.connection) -> dict[str, int]:
    """Report labels the warehouse has no column for, with how many current rows carry them."""
    with conn.cursor() as cur:
        cur.execute(_UNKNOWN_FIELDS_SQL)
        rows = cur.fetchall()
    conn.rollback()  # read-only; end the snapshot
    return {label: int(count) for label, count in rows}


def load_verifyplus(conn: psycopg2.extensions.connection, s3_client: Any, ref: ObjectRef, *,
                    log: Any = None, window: TimeWindow | None = None) -> dict[str, Any]:
    """Load the Verify+ snapshot whose manifest is ``ref``; return the load summary.

    ``window``: the plausible times (default: built from the settings, ``ITC_TIME_WINDOW_START`` ..
    now + ``ITC_TIME_WINDOW_FUTURE_DAYS``).

    The summary adds ``unknown_fields``: labels present in ``raw.verifyplus.extra_fields`` (a report
    field the warehouse has no column for yet) with their row counts, so a new report field is seen.
    """
    log = log or logger
    spec = verifyplus_spec(window or load_time_window())
    result = load_snapshot(conn, s3_client, ref, [spec], source=SOURCE, logger=log)
    summary = result.to_dict()
    summary["unknown_fields"] = unknown_fields(conn)
    if summary["unknown_fields"]:
        log.warning("report fields with no warehouse column were kept in raw.verifyplus.extra_fields",
                    extra={"unknown_fields": sorted(summary["unknown_fields"]), "load_id": result.load_id})
    return summary
