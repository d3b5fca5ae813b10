"""The generic snapshot load engine both pipelines use (docs/design.md §4): atomic, idempotent, reconciled.

A pipeline describes each snapshot table with a :class:`TableSpec` (its raw table, the columns its
builder fills, the natural key, the builder) and calls :func:`load_snapshot` with the manifest's
:class:`~itc_common_utilities.s3.ObjectRef`::

    spec = TableSpec("requests", "raw.verifyplus", COLUMNS, ("request_id",), build_request,
                     record_key=lambda rec: str(rec.get("3", {}).get("value")))
    result = load_snapshot(conn, s3, ref, [spec], source="verifyplus", logger=logger)
    return result.to_dict()

What one call does (design and measurements: docs/adr/0004-load-engine.md):

1. Read the manifest. A ``succeeded`` ``ops.load_runs`` row with the same (source, manifest
   sha256) makes the call a logged no-op (status ``"skipped"``): S3 and EventBridge deliver at
   least once.
2. In ONE transaction, holding ``advisory_xact_lock("load:<source>")`` (loads of one source queue,
   loads of different sources run side by side), plan each table once (:class:`ApplyMode`): an
   EMPTY raw table fed by a one-row-per-record builder gets its rows COPYed straight in (``DIRECT``,
   under a savepoint; a duplicate key makes it fall back to staging), every other table is COPYed
   into a TEMP staging table (``STAGING``). Each file is streamed (gzip JSON Lines, hashed as it is
   read) → parsed → ``spec.build`` → COPY text. A record the builder rejects
   (:class:`RecordRejected`), a row with a NULL key (``missing_key``), a value with a NUL byte
   (``nul_byte``) and a second record with the same natural key (``duplicate_key``, the first line
   wins) go to ``ops.rejected_records`` with the file's S3 key and version, the line number, the
   reason, the field and the offending value through :func:`phi.redact_value` — never the record.
3. Check the file against the manifest (bytes, sha256, record count). A mismatch, a truncated gzip
   or a line that is not JSON fails the whole load (:class:`ManifestMismatchError` /
   :class:`SnapshotFileError`) and changes nothing.
4. Apply staging to the raw table: upsert by natural key (rows that did not change are not
   rewritten and keep their lineage), delete raw rows whose key is not in the snapshot (a full
   snapshot replaces the source's rows: a record rejected today removes yesterday's row of that key,
   so raw mirrors exactly what loaded), reconcile (manifest records = loaded + rejected, counted in
   the database), record the load in ``ops.load_runs``, commit.

5. The load guards (:mod:`.guards`), inside the transaction before it commits: a snapshot not extracted
   after the source's latest succeeded load is refused before any file is read; a table that would lose
   more than ``ITC_MAX_DELETE_SHARE`` of its raw rows, has more than ``ITC_MAX_REJECT_SHARE`` of its
   records rejected, or is empty in a demand snapshot is refused after the apply
   (:class:`LoadRefusedError`, terminal). :class:`Force` (who, why) is the one override, recorded in
   ``ops.load_runs``; a forced load also reloads a manifest that was loaded already. The wait for the
   source's lock is bounded by ``ITC_LOCK_WAIT_SECONDS`` (then ``TransientError``).

On failure the transaction is rolled back, a ``failed`` ``ops.load_runs`` row is written in a short
transaction of its own (the error text: no secrets, no record values), and the error is re-raised:
manifest/snapshot errors as they are (terminal), database errors as
:class:`~itc_common_utilities.errors.TransientError` / :class:`~itc_common_utilities.errors.TerminalError`.

Builder contract: ``build(record)`` returns one row (a sequence of values in ``columns`` order) or,
when the spec says ``many=True``, an iterable of rows. Values must already have the column's type
(``str``, ``int``, ``bool``, timezone-aware ``datetime``, ``dict``/``list`` for jsonb, ``None``): a
value PostgreSQL cannot parse fails the load as a terminal error, because that is a builder bug, not
bad input. ``RecordRejected.detail`` must not contain record values (put the value in ``value``:
it is redacted when the field is PHI). Each spec has its own raw table.

Memory stays flat: rows stream through COPY in 1 MiB chunks and rejects spool to a temporary file;
duplicate keys are found by the database, not by a Python set. The Python side (parse, build,
render) is the bottleneck; ``workers`` / ``ITC_LOAD_WORKERS`` > 1 spreads it over forked processes
where spare cores exist: the tables of a snapshot staged at once, a table per process, still COPYed
and applied in the one transaction (docs/adr/0015-tables-staged-at-once.md), or one table's lines.

One module per job: :mod:`.spec` (specs, results, the plan), :mod:`.read` (manifest checks, streaming a
file into COPY), :mod:`.render` (records → COPY text), :mod:`.rejects`, :mod:`.workers` (the forked
parallel build of one table), :mod:`.parallel` (the tables staged at once), :mod:`.apply` (plan,
insert/upsert/delete, reconcile), :mod:`.guards` (the load guards, the bounded lock wait, force),
:mod:`.engine` (:func:`load_snapshot`).

The names below are imported from their module on first use (PEP 562), not when the package is: a builder
that needs only :class:`RecordRejected` (the demand extract reuses the builders' value helpers) does not load
the engine, psycopg2's COPY path or ``multiprocessing`` at cold start (docs/adr/0016).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from itc_common_utilities.loader.engine import load_snapshot
    from itc_common_utilities.loader.guards import Force, LoadRefusedError
    from itc_common_utilities.loader.spec import ApplyMode, LoadResult, RecordRejected, TableCounts, TableSpec
    from itc_common_utilities.loader.workers import load_workers

_MODULE_OF = {
    "load_snapshot": "engine", "Force": "guards", "LoadRefusedError": "guards", "ApplyMode": "spec",
    "LoadResult": "spec", "RecordRejected": "spec", "TableCounts": "spec", "TableSpec": "spec",
    "load_workers": "workers",
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ApplyMode",
    "Force",
    "LoadRefusedError",
    "LoadResult",
    "RecordRejected",
    "TableCounts",
    "TableSpec",
    "load_snapshot",
    "load_workers",
]
