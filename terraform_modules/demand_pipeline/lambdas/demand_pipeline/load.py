"""Load: the four Exchange snapshot tables into raw, through the shared snapshot load engine."""

from __future__ import annotations

from typing import Any

import psycopg2.extensions

from demand_pipeline.builders.audit_builder import AUDIT_COLUMNS, AUDIT_KEY, audit_record_key, build_audit
from demand_pipeline.builders.case_builder import CASE_COLUMNS, CASE_KEY, build_case, case_record_key
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
from itc_common_utilities.loader import LoadResult, TableSpec, load_snapshot
from itc_common_utilities.manifest import MANIFEST_NAME
from itc_common_utilities.s3 import ObjectRef

SOURCE = "demand"
DEMAND_SPECS: tuple[TableSpec, ...] = (
    TableSpec("templates", "raw.templates", TEMPLATE_COLUMNS, TEMPLATE_KEY, build_template, template_record_key),
    TableSpec("documents", "raw.cases", CASE_COLUMNS, CASE_KEY, build_case, case_record_key),
    TableSpec("documents_metadata", "raw.metadata", METADATA_COLUMNS, METADATA_KEY, build_metadata,
              metadata_record_key),
    TableSpec("documents_audit", "raw.audit", AUDIT_COLUMNS, AUDIT_KEY, build_audit, audit_record_key),
)


def is_demand_manifest(ref: ObjectRef) -> bool:
    return ref.key.startswith(f"{SOURCE}/") and ref.key.endswith(f"/{MANIFEST_NAME}")


def load(conn: psycopg2.extensions.connection, s3_client: Any, ref: ObjectRef, *, logger: Any = None,
         workers: int | None = None) -> LoadResult:
    """Load the demand snapshot whose manifest is ``ref`` (a no-op if it was loaded already).

    ``workers``: build processes (default ``ITC_LOAD_WORKERS``, else 1; see ``load_snapshot``).
    """
    return load_snapshot(conn, s3_client, ref, DEMAND_SPECS, source=SOURCE, logger=logger, workers=workers)
