"""Reading a snapshot: the manifest against the specs, and each file streamed into its COPY target.

- :func:`check_specs`: the manifest is for this source and lists exactly the specs' tables.
- :func:`copy_file`: stream one gzip JSON Lines file from S3 (hashed as it is read, within the input
  limits of :mod:`itc_common_utilities.limits`) through the
  renderer into the COPY target of its :class:`~itc_common_utilities.loader.spec.TablePlan` (the
  raw table in ``DIRECT`` mode, the TEMP staging table in ``STAGING`` mode), the very S3 version the
  manifest names (``version_id``, when it names one), then check the file
  against the manifest (bytes, sha256, record count). A table scanned in parts is read as one file, its parts
  in order, each part checked as it ends (:mod:`itc_common_utilities.parts`). :func:`copy_file_direct` runs it under a
  savepoint for the ``DIRECT`` plan, which falls back to staging when the file repeats a key.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import psycopg2.errors
import psycopg2.extensions

from itc_common_utilities.db import copy_lines
from itc_common_utilities.limits import SnapshotLimits, snapshot_limits
from itc_common_utilities.loader.rejects import RejectSpool
from itc_common_utilities.loader.render import copy_text, direct_suffix
from itc_common_utilities.loader.spec import LINE, ApplyMode, TablePlan, TableSpec
from itc_common_utilities.loader.workers import parallel_copy_text
from itc_common_utilities.manifest import ManifestError, ManifestFile, verify_file
from itc_common_utilities.parts import open_snapshot_file
from itc_common_utilities.s3 import JsonlGzReader, LoadedManifest


def check_specs(loaded: LoadedManifest, specs: Sequence[TableSpec], source: str) -> None:
    """Refuse a manifest of another source, or one whose tables are not exactly the specs' tables."""
    manifest = loaded.manifest
    if manifest.source != source:
        raise ManifestError(f"{loaded.ref.key}: manifest is for source {manifest.source!r}, not {source!r}")
    if not specs:
        raise ValueError("load_snapshot needs at least one TableSpec")
    names = [s.snapshot_table for s in specs]
    if len(set(names)) != len(names):
        raise ValueError("two TableSpecs name the same snapshot table")
    listed = {f.table for f in manifest.files}
    missing = [n for n in names if n not in listed]
    if missing:
        raise ManifestError(f"{loaded.ref.key}: manifest has no file for table(s) {', '.join(missing)}")
    unknown = sorted(listed - set(names))
    if unknown:
        raise ManifestError(f"{loaded.ref.key}: manifest lists table(s) this pipeline does not load: "
                            f"{', '.join(unknown)}")


def copy_file(cur: psycopg2.extensions.cursor, s3_client: Any, bucket: str, spec: TableSpec, plan: TablePlan, *,
              expected: ManifestFile, load_id: int, source: str, workers: int = 1,
              limits: SnapshotLimits | None = None) -> RejectSpool:
    """Stream one file into the plan's COPY target and verify it; its rejects (not yet flushed).

    ``limits`` (default: the environment's, :mod:`itc_common_utilities.limits`): a line longer than
    ``ITC_MAX_LINE_BYTES`` or a file decompressing past ``ITC_MAX_DECOMPRESSION_RATIO`` x its size is
    refused (:class:`~itc_common_utilities.s3.SnapshotFileError`) while it streams, and the load with it."""
    opened = open_snapshot_file(s3_client, bucket, expected)  # a table in parts: its parts as one stream
    reader = JsonlGzReader(opened.raw, name=expected.key, limits=limits or snapshot_limits(),
                           compressed_bytes=opened.compressed_bytes)
    rejects = RejectSpool(load_id, source, spec.snapshot_table, spec.raw_table, expected.key, opened.version_id)
    if plan.mode is ApplyMode.DIRECT:
        target, columns, suffix = spec.raw, (*spec.columns, "_load_id", "_source_key"), direct_suffix(
            load_id, expected.key)
    else:
        target, columns, suffix = plan.staging, (LINE, *spec.columns), None
    raised: list[BaseException] = []

    def lines() -> Iterator[str]:
        # psycopg2 turns an exception inside the COPY source into QueryCanceled; keep the real one
        try:
            if workers > 1:
                yield from parallel_copy_text(spec, reader, rejects, suffix, workers)
            else:
                yield from copy_text(spec, reader.batches(), rejects, suffix, name=reader.name)
        except GeneratorExit:
            raise
        except BaseException as exc:
            raised.append(exc)
            raise

    try:
        try:
            copy_lines(cur, target, columns, lines())
        except psycopg2.Error:
            if raised:
                raise raised[0] from None
            raise
        verify_file(expected, records=reader.records, bytes_=reader.bytes, sha256=reader.sha256)
    except BaseException:
        rejects.close()
        raise
    return rejects


def copy_file_direct(cur: psycopg2.extensions.cursor, s3_client: Any, bucket: str, spec: TableSpec,
                     plan: TablePlan, *, expected: ManifestFile, load_id: int, source: str,
                     workers: int = 1) -> RejectSpool | None:
    """:func:`copy_file` for a ``DIRECT`` plan, under a savepoint: the first load's fast path.

    A duplicate natural key makes the raw table's primary key refuse the COPY; then this rolls back
    to the savepoint and returns None, and the caller stages the file instead (where duplicates are
    found and rejected line by line).
    """
    cur.execute("SAVEPOINT itc_direct")
    try:
        rejects = copy_file(cur, s3_client, bucket, spec, plan, expected=expected, load_id=load_id, source=source,
                            workers=workers)
    except psycopg2.errors.UniqueViolation:
        cur.execute("ROLLBACK TO SAVEPOINT itc_direct")
        return None
    cur.execute("RELEASE SAVEPOINT itc_direct")
    return rejects
