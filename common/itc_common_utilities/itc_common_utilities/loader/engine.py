"""The load: :func:`load_snapshot`, the one public entry of the load engine (see the package doc).

One call: read the manifest; skip it if it already loaded; otherwise, in ONE transaction holding the
source's advisory lock, plan each table (:func:`~itc_common_utilities.loader.apply.plan_table`),
read every file into its COPY target (table after table, or with build processes all tables at once:
:mod:`~itc_common_utilities.loader.parallel`), then apply, reconcile and record each table, and commit. On
failure: roll back, record a ``failed`` load in a short transaction of its own, re-raise as the
error taxonomy says (:mod:`itc_common_utilities.errors`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg2
import psycopg2.extensions

from itc_common_utilities import metrics
from itc_common_utilities.errors import TerminalError, TransientError, classify_error, safe_error_text
from itc_common_utilities.loader.apply import StagedFile, apply_file, create_staging, plan_table
from itc_common_utilities.loader.approval import ForceApprovalError, ForceRequest, verify_force
from itc_common_utilities.loader.guards import (
    Force,
    FutureSnapshotError,
    LoadRefusedError,
    check_extracted_at,
    check_order,
    current_force,
    refusal,
    table_refusals,
    wait_for_lock,
)
from itc_common_utilities.loader.parallel import stage_tables
from itc_common_utilities.loader.read import check_specs, copy_file, copy_file_direct
from itc_common_utilities.loader.spec import ApplyMode, LoadResult, TableCounts, TablePlan, TableSpec
from itc_common_utilities.loader.workers import load_workers
from itc_common_utilities.logger.logger_setup import setup_logger
from itc_common_utilities.manifest import ManifestError
from itc_common_utilities.s3 import LoadedManifest, ObjectRef, SnapshotFileError, read_manifest
from itc_common_utilities.settings import LoadGuardSettings, load_settings
from itc_common_utilities.signature import ManifestMac, ManifestSignatureError, verify_snapshot_manifest

# what is recorded ``refused`` (not ``failed``): the snapshot or the request is wrong, a retry cannot help
_REFUSALS = (LoadRefusedError, ManifestSignatureError, FutureSnapshotError, ForceApprovalError)
_FIND_SUCCEEDED = (
    "SELECT load_id FROM ops.load_runs WHERE source = %s AND manifest_sha256 = %s AND status = 'succeeded'"
)
_INSERT_RUN = """
INSERT INTO ops.load_runs (source, run_id, manifest_bucket, manifest_key, manifest_version_id, manifest_sha256,
                           extracted_at, status, started_at, records, loaded, rejected, deleted, table_counts,
                           error, forced_by, force_reason)
VALUES (%(source)s, %(run_id)s, %(bucket)s, %(key)s, %(version_id)s, %(sha256)s, %(extracted_at)s, %(status)s,
        %(started_at)s, %(records)s, %(loaded)s, %(rejected)s, %(deleted)s, %(table_counts)s, %(error)s,
        %(forced_by)s, %(force_reason)s)
RETURNING load_id
"""
_REJECT_REASONS = """
SELECT reason_code, count(DISTINCT line_number) FROM ops.rejected_records
 WHERE load_id = %s AND table_name = %s GROUP BY reason_code
"""
# ops.finish_load_run (SECURITY DEFINER, 50_create_per_source_loader_logins.sql): loaders have no
# UPDATE on ops.load_runs
_FINISH_RUN = "SELECT ops.finish_load_run(%s, 'succeeded', %s, %s, %s, %s, %s)"
# ops.analyze_loaded_table (SECURITY DEFINER, same file): only a table's owner may ANALYZE it in PostgreSQL 16
_ANALYZE = "SELECT ops.analyze_loaded_table(%s)"


def _ms(since: float) -> int:
    return int((time.perf_counter() - since) * 1000)


def load_snapshot(conn: psycopg2.extensions.connection, s3_client: Any, ref: ObjectRef,
                  specs: Sequence[TableSpec], *, source: str, logger: Any = None, workers: int | None = None,
                  force: Force | ForceRequest | None = None, guards: LoadGuardSettings | None = None,
                  mac: ManifestMac | None = None) -> LoadResult:
    """Load the snapshot whose manifest is ``ref`` into the raw tables of ``specs`` (see the package doc).

    ``workers`` (default ``ITC_LOAD_WORKERS``, else 1) > 1 forks that many build processes: with several
    tables they stage the tables at once, a table each (:mod:`~.parallel`); a single table's lines are
    spread over them (:mod:`~.workers`). Worth it only with as many spare cores (not in a 512 MB Lambda,
    which has a fraction of one vCPU). ``guards``: the load guards' limits (default
    :class:`LoadGuardSettings` from the environment). ``force`` (default: the load event's,
    :func:`~.guards.forcing`) skips the guards and reloads a manifest that was loaded already
    (:mod:`.guards`); a :class:`~.approval.ForceRequest` (an event's) is verified first
    (:func:`~.approval.verify_force`) and refused unless its approval is valid for this manifest. A
    manifest dated later than now + ``MAX_CLOCK_SKEW`` is refused. ``mac``: the key that verifies the
    manifest's signature before anything else (default: ``ITC_MANIFEST_MAC_KEY_ID``,
    :mod:`itc_common_utilities.signature`); an unsigned or altered manifest is refused, forced or not.
    """
    workers = workers or load_workers()
    guards = guards or load_settings(LoadGuardSettings)
    force = force or current_force()
    mac = mac or ManifestMac.from_environment()
    log = logger or setup_logger(f"{source}_pipeline")
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    loaded_manifest = read_manifest(s3_client, ref)
    manifest = loaded_manifest.manifest
    check_specs(loaded_manifest, specs, source)
    context = {"source": source, "run_id": manifest.run_id, "manifest_key": ref.key,
               "manifest_sha256": loaded_manifest.sha256}

    if conn.autocommit:
        raise TerminalError("load_snapshot needs a connection with autocommit off (it runs one transaction)")
    try:
        # first of all, forced or not: a manifest not signed by an extract is refused before any file is read
        verify_snapshot_manifest(s3_client, mac, loaded_manifest)
        check_extracted_at(source=source, run_id=manifest.run_id, extracted_at=manifest.extracted_at)
        if isinstance(force, ForceRequest):  # who and why come from the verified approval, never the event
            force = verify_force(force, loaded_manifest)
        if force is not None:
            context["forced_by"] = force.by
        with conn.cursor() as cur:
            # a forced load reloads a manifest loaded already (the restore path); otherwise that is a no-op
            previous = None if force else _previous_load(cur, source, loaded_manifest.sha256)  # fast: no lock wait
            if previous is None:
                wait_for_lock(cur, source, guards.lock_wait_seconds)
                previous = None if force else _previous_load(cur, source, loaded_manifest.sha256)  # one just ended?
            if previous is not None:
                conn.rollback()
                log.info("snapshot already loaded: no-op", extra={**context, "previous_load_id": previous})
                return LoadResult("skipped", source, manifest.run_id, ref.key, loaded_manifest.sha256, previous,
                                  duration_ms=_ms(started))
            try:
                check_order(cur, source=source, run_id=manifest.run_id, extracted_at=manifest.extracted_at)
            except LoadRefusedError as refused:
                if force is None:
                    raise
                log.warning("load guard overridden by force", extra={**context, "force_reason": force.reason,
                                                                     "refusals": [str(refused)]})
            result = _load_locked(cur, s3_client, loaded_manifest, specs=specs, source=source,
                                  started_at=started_at, log=log, context=context, workers=workers, guards=guards,
                                  force=force)
        conn.commit()
    except BaseException as exc:
        _record_failure(conn, loaded_manifest, source=source, started_at=started_at, exc=exc, log=log,
                        context=context, force=force if isinstance(force, Force) else None)
        if isinstance(exc, ManifestSignatureError):  # a forged or altered manifest: the alarm's metric
            metrics.emit("ManifestsRefused", 1, {"Source": source, "Reason": "signature"})
        if isinstance(exc, ManifestError | SnapshotFileError | TransientError | TerminalError):
            raise
        if isinstance(exc, psycopg2.Error):
            kind = classify_error(exc)
            # from None: the driver's exception text quotes row values (PHI); the SQLSTATE is kept
            raise kind(f"loading {source} snapshot {ref.key} failed: {safe_error_text(exc)}") from None
        raise
    result = replace(result, duration_ms=_ms(started))
    log.info("snapshot loaded", extra={**context, **{k: v for k, v in result.to_dict().items() if k != "tables"},
                                       "tables": {k: v.to_dict() for k, v in result.tables.items()}})
    metrics.emit("RecordsLoaded", result.loaded, {"Source": source})
    metrics.emit("RecordsRejected", result.rejected, {"Source": source})
    return result


def _previous_load(cur: psycopg2.extensions.cursor, source: str, sha256: str) -> int | None:
    cur.execute(_FIND_SUCCEEDED, (source, sha256))
    row = cur.fetchone()
    return None if row is None else int(row[0])


def _run_row(loaded_manifest: LoadedManifest, *, source: str, status: str, started_at: datetime, records: int,
             error: str | None, force: Force | None) -> dict[str, Any]:
    """The parameters of :data:`_INSERT_RUN` for one ``ops.load_runs`` row."""
    manifest, ref = loaded_manifest.manifest, loaded_manifest.ref
    return {
        "source": source, "run_id": manifest.run_id, "bucket": ref.bucket, "key": ref.key,
        "version_id": loaded_manifest.version_id, "sha256": loaded_manifest.sha256,
        "extracted_at": manifest.extracted_at, "status": status, "started_at": started_at,
        "records": records, "loaded": 0, "rejected": 0, "deleted": 0, "table_counts": "{}", "error": error,
        "forced_by": force.by if force else None, "force_reason": force.reason if force else None,
    }


def _load_locked(cur: psycopg2.extensions.cursor, s3_client: Any, loaded_manifest: LoadedManifest, *,
                 specs: Sequence[TableSpec], source: str, started_at: datetime, log: Any,
                 context: dict[str, Any], workers: int, guards: LoadGuardSettings,
                 force: Force | None) -> LoadResult:
    """The load inside the transaction (committed by the caller): read, apply, the guards, record."""
    cur.execute(_INSERT_RUN, _run_row(loaded_manifest, source=source, status="succeeded", started_at=started_at,
                                      records=0, error=None, force=force))
    load_id = int(cur.fetchone()[0])
    # 1. read every file into its COPY target and check it against the manifest
    staged: list[StagedFile] = []
    tables: dict[str, TableCounts] = {}
    try:
        if workers > 1 and len(specs) > 1:  # the tables at once, a build process each (loader/parallel.py)
            plans = [plan_table(cur, spec, index) for index, spec in enumerate(specs)]
            staged = stage_tables(cur, s3_client, loaded_manifest, specs, plans, load_id=load_id, source=source,
                                  workers=workers, log=log, context=context)
        else:
            for index, spec in enumerate(specs):
                staged.append(_read_file(cur, s3_client, loaded_manifest, spec, plan_table(cur, spec, index),
                                         load_id=load_id, source=source, log=log, context=context,
                                         workers=workers))
        # 2. apply each table, reconcile; 3. the guards
        refusals: list[str] = []
        for table in staged:
            counts = tables[table.spec.snapshot_table] = apply_file(cur, table, load_id)
            refusals += table_refusals(table.spec, counts, source=source, guards=guards,
                                       reject_reasons=lambda name=table.spec.snapshot_table: _reject_reasons(
                                           cur, load_id, name))
    finally:
        for table in staged:
            table.rejects.close()
    if refusals and force is None:
        raise refusal(refusals)
    if refusals:
        log.warning("load guards overridden by force", extra={**context, "force_reason": force.reason,
                                                               "refusals": refusals})
    for table in staged:  # fresh planner statistics for what changed, committed with the rows (analyze)
        counts = tables[table.spec.snapshot_table]
        if counts.written or counts.deleted:
            cur.execute(_ANALYZE, (table.spec.raw_table,))
    manifest, ref = loaded_manifest.manifest, loaded_manifest.ref
    result = LoadResult("loaded", source, manifest.run_id, ref.key, loaded_manifest.sha256, load_id, tables)
    cur.execute(_FINISH_RUN, (load_id, result.records, result.loaded, result.rejected, result.deleted,
                              orjson.dumps({k: v.to_dict() for k, v in tables.items()}).decode()))
    return result


def _read_file(cur: psycopg2.extensions.cursor, s3_client: Any, loaded_manifest: LoadedManifest, spec: TableSpec,
               plan: TablePlan, *, load_id: int, source: str, log: Any, context: dict[str, Any],
               workers: int) -> StagedFile:
    """Read one file as ``plan`` says (DIRECT falls back to STAGING on a duplicate key); nothing applied yet."""
    t0 = time.perf_counter()
    bucket = loaded_manifest.ref.bucket
    expected = loaded_manifest.manifest.file_for(spec.snapshot_table)
    rejects = None
    if plan.mode is ApplyMode.DIRECT:
        rejects = copy_file_direct(cur, s3_client, bucket, spec, plan, expected=expected, load_id=load_id,
                                   source=source, workers=workers)
        if rejects is None:
            log.info("duplicate natural keys in the file: staging it to reject them",
                     extra={**context, "table": spec.snapshot_table})
            plan = plan.staged()
    if rejects is None:
        create_staging(cur, spec, plan)
        rejects = copy_file(cur, s3_client, bucket, spec, plan, expected=expected, load_id=load_id, source=source,
                            workers=workers)
    log.info("snapshot file staged", extra={**context, "table": spec.snapshot_table, "records": expected.records,
                                             "rejected": rejects.count, "duration_ms": _ms(t0)})
    return StagedFile(spec, expected, plan, rejects, _ms(t0))


def _reject_reasons(cur: psycopg2.extensions.cursor, load_id: int, table: str) -> dict[str, int]:
    """How many of the table's records this load rejected, per reason code."""
    cur.execute(_REJECT_REASONS, (load_id, table))
    return {str(reason): int(n) for reason, n in cur.fetchall()}


def _record_failure(conn: psycopg2.extensions.connection, loaded_manifest: LoadedManifest, *, source: str,
                    started_at: datetime, exc: BaseException, log: Any, context: dict[str, Any],
                    force: Force | None) -> None:
    """Roll back, then write a ``failed`` (``refused`` for a load guard) load row in a short transaction of
    its own (best effort)."""
    error = safe_error_text(exc)
    log.error("snapshot load failed; rolled back", extra={**context, "error": error})
    if conn.closed:
        log.warning("cannot record the failed load: the database connection is closed", extra=context)
        return
    try:
        conn.rollback()
        with conn.cursor() as cur:
            status = "refused" if isinstance(exc, _REFUSALS) else "failed"
            cur.execute(_INSERT_RUN, _run_row(loaded_manifest, source=source, status=status, started_at=started_at,
                                              records=sum(f.records for f in loaded_manifest.manifest.files),
                                              error=error, force=force))
        conn.commit()
    except psycopg2.Error as record_exc:  # the original error matters more; say why this one failed
        log.warning("cannot record the failed load", extra={**context, "error": safe_error_text(record_exc)})
        try:
            conn.rollback()
        except psycopg2.Error:
            log.warning("rollback after a failed load failed too", extra=context)
