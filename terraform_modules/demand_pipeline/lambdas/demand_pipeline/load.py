"""Load: the four Exchange snapshot tables into raw, through the shared snapshot load engine.

The builders that read times get the load's plausible window (the time contract,
:mod:`itc_common_utilities.timestamps`), built once per load from ``ITC_TIME_WINDOW_START`` /
``ITC_TIME_WINDOW_FUTURE_DAYS``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import psycopg2.extensions

from demand_pipeline.builders.audit_builder import AUDIT_COLUMNS, AUDIT_KEY, audit_record_key, build_audit
from demand_pipeline.builders.case_builder import CASE_COLUMNS, CASE_KEY, build_case, case_record_key
from demand_pipeline.builders.fast import audit_fast, case_fast, metadata_fast
from demand_pipeline.builders.metadata_builder import (
    METADATA_COLUMNS,
    METADATA_KEY,
    build_metadata,
    metadata_record_key,
)
from demand_pipeline.builders.templates_builder import (
    TEMPLATE_COLUMNS,
    TEMPLATE_KEY,
    build_template,
    template_record_key,
)
from demand_pipeline.builders.values import DEFAULT_WINDOW
from itc_common_utilities.loader import LoadResult, TableSpec, load_snapshot
from itc_common_utilities.manifest import MANIFEST_NAME
from itc_common_utilities.s3 import ObjectRef
from itc_common_utilities.timestamps import TimeWindow, load_time_window

SOURCE = "demand"


def demand_specs(window: TimeWindow = DEFAULT_WINDOW) -> tuple[TableSpec, ...]:
    """The four tables' specs, their time-reading builders (and their fast paths, builders/fast.py) bound to
    ``window``."""
    return (
        TableSpec("templates", "raw.templates", TEMPLATE_COLUMNS, TEMPLATE_KEY, build_template, template_record_key),
        TableSpec("documents", "raw.cases", CASE_COLUMNS, CASE_KEY, partial(build_case, window=window),
                  case_record_key, fast=case_fast(window)),
        TableSpec("documents_metadata", "raw.metadata", METADATA_COLUMNS, METADATA_KEY,
                  partial(build_metadata, window=window), metadata_record_key, fast=metadata_fast(window)),
        TableSpec("documents_audit", "raw.audit", AUDIT_COLUMNS, AUDIT_KEY, partial(build_audit, window=window),
                  audit_record_key, fast=audit_fast(window)),
    )


DEMAND_SPECS: tuple[TableSpec, ...] = demand_specs()  # with the builders' default window (tests, tools)


def is_demand_manifest(ref: ObjectRef) -> bool:
    return ref.key.startswith(f"{SOURCE}/") and ref.key.endswith(f"/{MANIFEST_NAME}")


def load(conn: psycopg2.extensions.connection, s3_client: Any, ref: ObjectRef, *, logger: Any = None,
         workers: int | None = None, window: TimeWindow | None = None) -> LoadResult:
    """Load the demand snapshot whose manifest is ``ref`` (a no-op if it was loaded already).

    ``workers``: build processes (default ``ITC_LOAD_WORKERS``, else 1; see ``load_snapshot``).
    ``window``: the plausible source times (default: from the settings, now + ``ITC_TIME_WINDOW_FUTURE_DAYS``).
    """
    specs = demand_specs(window or load_time_window())
    return load_snapshot(conn, s3_client, ref, specs, source=SOURCE, logger=logger, workers=workers)
