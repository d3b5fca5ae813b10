"""The generic snapshot load engine both pipelines use (DESIGN.md §4): atomic, idempotent, reconciled.

A pipeline describes each snapshot table with a :class:`TableSpec` (its raw table, the columns its
builder fills, the natural key, the builder) and calls :func:`load_snapshot` with the manifest's
:class:`~itc_common_utilities.s3.ObjectRef`::

    spec = TableSpec("requests", "raw.verifyplus", COLUMNS, ("request_id",), build_request,
                     record_key=lambda rec: str(rec.get("3", {}).get("value")))
    result = load_snapshot(conn, s3, ref, [spec], source="verifyplus", logger=logger)
    return result.to_dict()

What one call does:

1. Read the manifest. A ``succeeded`` ``ops.load_runs`` row with the same (source, manifest
   sha256) makes the call a logged no-op (status ``"skipped"``): S3 and EventBridge deliver at
   least once.
2. In ONE transaction, holding ``advisory_xact_lock("load:<source>")`` (loads of one source queue,
   loads of different sources run side by side): stream each file (gzip JSON Lines, hashed as it is
   read) → parse → ``spec.build`` → COPY text into a TEMP staging table. A record the builder
   rejects (:class:`RecordRejected`), a row with a NULL key (``missing_key``), a value with a NUL byte
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

On failure the transaction is rolled back, a ``failed`` ``ops.load_runs`` row is written in a short
transaction of its own (the error text: no secrets, no record values), and the error is re-raised:
manifest/snapshot errors as they are (terminal), database errors as
:class:`~itc_common_utilities.db.TransientError` / :class:`~itc_common_utilities.db.TerminalError`.

Builder contract: ``build(record)`` returns one row (a sequence of values in ``columns`` order) or,
when the spec says ``many=True``, an iterable of rows. Values must already have the column's type
(``str``, ``int``, ``bool``, timezone-aware ``datetime``, ``dict``/``list`` for jsonb, ``None``): a
value PostgreSQL cannot parse fails the load as a terminal error, because that is a builder bug, not
bad input. ``RecordRejected.detail`` must not contain record values (put the value in ``value``:
it is redacted when the field is PHI).

Memory stays flat: rows stream through COPY in 1 MiB chunks and rejects spool to a temporary file;
duplicate keys are found by the database, not by a Python set.

Speed (measured by ``make bench``): into an EMPTY raw table (a first load, a rebuilt warehouse) the
rows are COPYed straight into it under a savepoint, so the data is written once; only if the
primary key refuses a duplicate is the file staged instead. Into a non-empty table the staging +
upsert path runs (unchanged rows are compared, not rewritten). The Python side (parse, build,
render) is the bottleneck; ``workers`` / ``ITC_LOAD_WORKERS`` > 1 spreads it over forked processes
where spare cores exist.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg2.errors
import psycopg2.extensions
from psycopg2 import sql

from itc_common_utilities import metrics
from itc_common_utilities.db import (
    NulByteError,
    TerminalError,
    TransientError,
    advisory_xact_lock,
    classify_error,
    copy_lines,
    encode_copy_row,
    encode_copy_value,
    safe_error_text,
)
from itc_common_utilities.logger.logger_setup import setup_logger
from itc_common_utilities.manifest import ManifestError, ManifestFile, verify_file
from itc_common_utilities.phi import redact_value
from itc_common_utilities.s3 import JsonlGzReader, LoadedManifest, ObjectRef, SnapshotFileError, read_manifest

__all__ = [
    "LoadResult",
    "RecordRejected",
    "TableCounts",
    "TableSpec",
    "load_snapshot",
]



class RecordRejected(Exception):
    """Raised by a builder for one bad record; the loader quarantines it and goes on."""

    def __init__(self, reason_code: str, field: str | None = None, value: object = None, detail: str = "",
                 record_key: str | None = None) -> None:
        self.reason_code = reason_code
        self.field = field
        self.value = value
        self.detail = detail
        self.record_key = record_key
        where = f" ({field})" if field else ""
        super().__init__(f"{reason_code}{where}: {detail}" if detail else f"{reason_code}{where}")


def _no_key(_record: Any) -> str | None:
    return None


@dataclass(frozen=True)
class TableSpec:
    """How one snapshot table (one file of the manifest) lands in one raw table."""

    snapshot_table: str
    raw_table: str
    columns: tuple[str, ...]
    key_columns: tuple[str, ...]
    build: Callable[[Any], Sequence[Any] | Iterable[Sequence[Any]]]
    record_key: Callable[[Any], str | None] = _no_key
    many: bool = False  # True: build returns an iterable of rows instead of one row

    def __post_init__(self) -> None:
        if "." not in self.raw_table:
            raise ValueError(f"raw_table {self.raw_table!r} must be schema-qualified (e.g. raw.cases)")
        missing = [c for c in self.key_columns if c not in self.columns]
        if not self.key_columns or missing:
            raise ValueError(f"{self.snapshot_table}: key columns {missing or '()'} are not among the columns")
        if len(set(self.columns)) != len(self.columns):
            raise ValueError(f"{self.snapshot_table}: a column is listed twice")


@dataclass(frozen=True)
class TableCounts:
    records: int = 0       # lines in the file (= the manifest's count)
    loaded: int = 0        # records whose rows reached the raw table
    rejected: int = 0      # records quarantined in ops.rejected_records
    rows: int = 0          # raw rows the loaded records gave (= loaded for one-row builders)
    written: int = 0       # raw rows inserted or changed
    unchanged: int = 0     # raw rows already identical
    deleted: int = 0       # raw rows deleted because the snapshot no longer has their key
    read_ms: int = 0
    apply_ms: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class LoadResult:
    status: str                      # "loaded" | "skipped"
    source: str
    run_id: str
    manifest_key: str
    manifest_sha256: str
    load_id: int | None              # the new load, or the earlier one that made this a no-op
    tables: dict[str, TableCounts] = field(default_factory=dict)
    duration_ms: int = 0

    @property
    def records(self) -> int:
        return sum(t.records for t in self.tables.values())

    @property
    def loaded(self) -> int:
        return sum(t.loaded for t in self.tables.values())

    @property
    def rejected(self) -> int:
        return sum(t.rejected for t in self.tables.values())

    @property
    def deleted(self) -> int:
        return sum(t.deleted for t in self.tables.values())

    def to_dict(self) -> dict[str, Any]:
        """A small JSON-able summary (keys, counts, timings; no record values)."""
        return {
            "status": self.status, "source": self.source, "run_id": self.run_id,
            "manifest_key": self.manifest_key, "manifest_sha256": self.manifest_sha256,
            "load_id": self.load_id, "records": self.records, "loaded": self.loaded,
            "rejected": self.rejected, "deleted": self.deleted, "duration_ms": self.duration_ms,
            "tables": {name: counts.to_dict() for name, counts in self.tables.items()},
        }


# ----------------------------------------------------------------------------------------- SQL

_FIND_SUCCEEDED = (
    "SELECT load_id FROM ops.load_runs WHERE source = %s AND manifest_sha256 = %s AND status = 'succeeded'"
)
_INSERT_RUN = """
INSERT INTO ops.load_runs (source, run_id, manifest_bucket, manifest_key, manifest_version_id, manifest_sha256,
                           extracted_at, status, started_at, records, loaded, rejected, deleted, table_counts,
                           error)
VALUES (%(source)s, %(run_id)s, %(bucket)s, %(key)s, %(version_id)s, %(sha256)s, %(extracted_at)s, %(status)s,
        %(started_at)s, %(records)s, %(loaded)s, %(rejected)s, %(deleted)s, %(table_counts)s, %(error)s)
RETURNING load_id
"""
_FINISH_RUN = """
UPDATE ops.load_runs SET finished_at = clock_timestamp(), records = %s, loaded = %s, rejected = %s, deleted = %s,
       table_counts = %s
 WHERE load_id = %s
"""
_REJECT_COLUMNS = ("load_id", "source", "table_name", "source_key", "source_version_id", "line_number",
                   "record_key", "reason_code", "field_name", "offending_value", "detail")
_LINE = "_line"


# ------------------------------------------------------------------------------------- helpers

@dataclass
class _Rejects:
    """Rejected records of one file, spooled as COPY text (memory bounded whatever their number)."""

    load_id: int
    source: str
    table: str
    raw_table: str
    source_key: str
    version_id: str | None
    count: int = 0
    spool: Any = field(default_factory=lambda: tempfile.SpooledTemporaryFile(max_size=4 << 20, mode="w+b"))

    def add(self, line_number: int, reason: str, *, field_name: str | None, value: object, detail: str,
            record_key: str | None, redacted: bool = False) -> None:
        offending = value if redacted else redact_value(self.raw_table, field_name, value)
        row = (self.load_id, self.source, self.table, self.source_key, self.version_id, line_number,
               _clean(record_key, 200), reason, field_name, _clean(offending, 400), _clean(detail, 1000))
        self.spool.write(encode_copy_row(row).encode("utf-8"))
        self.count += 1

    def flush(self, cur: psycopg2.extensions.cursor) -> None:
        if self.count:
            self.spool.seek(0)
            statement = sql.SQL("COPY ops.rejected_records ({}) FROM STDIN").format(
                sql.SQL(", ").join(map(sql.Identifier, _REJECT_COLUMNS)))
            cur.copy_expert(statement.as_string(cur), self.spool, size=1 << 20)
        self.spool.close()


def _clean(text: object, limit: int) -> str | None:
    if text is None:
        return None
    value = str(text).replace("\x00", "\\0")
    return value if len(value) <= limit else value[:limit] + "…"


def _safe_record_key(spec: TableSpec, record: Any) -> str | None:
    try:
        key = spec.record_key(record)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecordRejected):
        return None
    return None if key is None else str(key)


def _ident(name: str) -> sql.Identifier:
    return sql.Identifier(*name.split("."))


def _cols(names: Iterable[str], prefix: str | None = None) -> sql.Composable:
    if prefix is None:
        return sql.SQL(", ").join(map(sql.Identifier, names))
    return sql.SQL(", ").join(sql.Identifier(prefix, n) for n in names)


# ------------------------------------------------------------------------------ one table, read

_CHUNK_CHARS = 256 * 1024


def _row_text(spec: TableSpec, row: Sequence[Any], number: int, key_idx: Sequence[int], suffix: str | None) -> str:
    """One COPY line, or RecordRejected for a NULL key / a NUL byte.

    Staging lines start with the line number (``suffix`` None); direct lines into the raw table end
    with the lineage columns (``suffix`` = ``"\\t<load_id>\\t<source_key>\\n"``).
    """
    if len(row) != len(spec.columns):
        raise TerminalError(f"{spec.snapshot_table}: builder gave {len(row)} values for "
                            f"{len(spec.columns)} columns (line {number})")
    for i in key_idx:
        if row[i] is None or row[i] == "":
            raise RecordRejected("missing_key", spec.columns[i], None,
                                 f"natural key column {spec.columns[i]} is empty")
    try:
        text = encode_copy_row(row)
        return f"{number}\t{text}" if suffix is None else text[:-1] + suffix
    except NulByteError:
        bad = next(i for i, v in enumerate(row) if "\x00" in _as_text(v))
        raise RecordRejected("nul_byte", spec.columns[bad], row[bad],
                             "contains a NUL byte, which PostgreSQL text cannot store") from None


class _RejectList:
    """Rejects collected by a worker process, redacted there (only redacted values cross the pipe)."""

    def __init__(self, raw_table: str) -> None:
        self.raw_table = raw_table
        self.items: list[tuple[Any, ...]] = []

    def add(self, line_number: int, reason: str, *, field_name: str | None, value: object, detail: str,
            record_key: str | None) -> None:
        self.items.append((line_number, reason, field_name, redact_value(self.raw_table, field_name, value),
                           detail, record_key))


def _copy_text(spec: TableSpec, reader: Iterable[tuple[int, bytes]], rejects: _Rejects | _RejectList,
               suffix: str | None = None, *, name: str | None = None) -> Iterator[str]:
    """COPY text for every good row, in chunks of many lines; rejects go to ``rejects``.

    The hot loop of the whole product: one JSON parse, one builder call and one row render per
    record, no per-row allocation beyond the row itself, and chunked output so the COPY stream
    handles a few hundred KB at a time instead of one line. The cyclic garbage collector is paused
    while it runs: parsed records hold no reference cycles and are freed by reference counting, and
    otherwise the collector would rescan the live objects every few hundred records.
    """
    build = spec.build
    many = spec.many
    key_idx = tuple(spec.columns.index(c) for c in spec.key_columns)
    width = len(spec.columns)
    loads = orjson.loads
    json_error = orjson.JSONDecodeError
    name = name or getattr(reader, "name", spec.snapshot_table)
    chunk: list[str] = []
    size = 0
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for number, line in reader:
            try:
                record = loads(line)
            except json_error as exc:
                raise SnapshotFileError(f"{name}: line {number} is not JSON ({exc})") from None
            try:
                built = build(record)
                if many:
                    texts = [_row_text(spec, row, number, key_idx, suffix)
                             for row in built]  # type: ignore[union-attr]
                    chunk.extend(texts)
                    size += sum(map(len, texts))
                else:
                    ok = len(built) == width
                    if ok:
                        for i in key_idx:
                            key = built[i]
                            if key is None or key == "":
                                ok = False
                    if ok:
                        try:
                            text = encode_copy_row(built)
                            text = f"{number}\t{text}" if suffix is None else text[:-1] + suffix
                        except NulByteError:
                            text = _row_text(spec, built, number, key_idx, suffix)
                    else:
                        text = _row_text(spec, built, number, key_idx, suffix)
                    chunk.append(text)
                    size += len(text)
            except RecordRejected as rej:
                rejects.add(number, rej.reason_code, field_name=rej.field, value=rej.value, detail=rej.detail,
                            record_key=rej.record_key if rej.record_key is not None
                            else _safe_record_key(spec, record))
                continue
            if size >= _CHUNK_CHARS:
                yield "".join(chunk)
                chunk.clear()
                size = 0
        if chunk:
            yield "".join(chunk)
    finally:
        if gc_was_enabled:
            gc.enable()


def _as_text(value: Any) -> str:
    try:
        return encode_copy_value(value) if not isinstance(value, str) else value
    except NulByteError:
        return "\x00"


_BATCH_LINES = 1000


def load_workers() -> int:
    """Build processes per load: ``ITC_LOAD_WORKERS`` (default 1 = in-process; see :func:`load_snapshot`)."""
    text = os.environ.get("ITC_LOAD_WORKERS", "1").strip() or "1"
    try:
        value = int(text)
    except ValueError:
        raise TerminalError(f"ITC_LOAD_WORKERS={text!r} is not a whole number") from None
    if not 1 <= value <= 16:
        raise TerminalError(f"ITC_LOAD_WORKERS={value} must be between 1 and 16")
    return value


def _worker_main(spec: TableSpec, suffix: str | None, name: str, conn: Any) -> None:
    """A build process: receives (first line number, [line bytes]) batches, returns COPY text + rejects."""
    while True:
        message = conn.recv()
        if message is None:
            break
        first, lines = message
        rejects = _RejectList(spec.raw_table)
        try:
            text = "".join(_copy_text(spec, enumerate(lines, start=first), rejects, suffix, name=name))
        except SnapshotFileError as exc:
            conn.send(("snapshot", str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it as terminal
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
            continue
        conn.send(("ok", text, rejects.items))
    conn.close()


def _parallel_copy_text(spec: TableSpec, reader: JsonlGzReader, rejects: _Rejects, suffix: str | None,
                        workers: int) -> Iterator[str]:
    """Like :func:`_copy_text`, with the parse/build/render spread over ``workers`` forked processes.

    This process only decompresses, hashes and ships batches of raw lines round-robin, then gathers
    the results in order (so line order, rejects and counts are exactly the in-process ones). Uses
    Process + Pipe only, which AWS Lambda supports (it lacks /dev/shm, so no Pool or Queue). Each
    worker has at most ONE batch in flight: a batch is sent to a worker only after its previous
    result was gathered, so neither side can block writing to a full pipe the other is not reading
    (a deadlock with larger windows), and memory stays bounded.
    """
    ctx = multiprocessing.get_context("fork")
    pipes: list[Any] = []
    procs: list[Any] = []
    for _ in range(workers):
        parent, child = ctx.Pipe(duplex=True)
        proc = ctx.Process(target=_worker_main, args=(spec, suffix, reader.name, child), daemon=True)
        proc.start()
        child.close()
        pipes.append(parent)
        procs.append(proc)
    pending: deque[int] = deque()

    def gather() -> str:
        reply = pipes[pending.popleft()].recv()
        if reply[0] == "snapshot":
            raise SnapshotFileError(reply[1])
        if reply[0] != "ok":
            raise TerminalError(f"{spec.snapshot_table}: a build process failed: {reply[1]}")
        for line_number, reason, field_name, value, detail, record_key in reply[2]:
            rejects.add(line_number, reason, field_name=field_name, value=value, detail=detail,
                        record_key=record_key, redacted=True)
        return reply[1]

    try:
        batch: list[bytes] = []
        first = 1
        sent = 0
        for number, line in reader:
            if not batch:
                first = number
            batch.append(line)
            if len(batch) >= _BATCH_LINES:
                if len(pending) == workers:  # this worker's previous batch must be gathered first
                    yield gather()
                pipes[sent % workers].send((first, batch))
                pending.append(sent % workers)
                sent += 1
                batch = []
        if batch:
            if len(pending) == workers:
                yield gather()
            pipes[sent % workers].send((first, batch))
            pending.append(sent % workers)
        while pending:
            yield gather()
    finally:
        for pipe in pipes:
            try:
                pipe.send(None)
            except OSError:
                pass  # the worker is gone already; it is killed below if not
            pipe.close()
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)


def _stage(cur: psycopg2.extensions.cursor, spec: TableSpec, index: int) -> sql.Identifier:
    staging = sql.Identifier(f"_stg_{index}_{spec.snapshot_table}"[:63])
    cur.execute(sql.SQL(
        "CREATE TEMP TABLE {stg} ON COMMIT DROP AS SELECT 0::bigint AS {line}, {cols} FROM {raw} WITH NO DATA"
    ).format(stg=staging, line=sql.Identifier(_LINE), cols=_cols(spec.columns), raw=_ident(spec.raw_table)))
    return staging


def _read_table(cur: psycopg2.extensions.cursor, s3_client: Any, bucket: str, spec: TableSpec, *,
                expected: ManifestFile, staging: sql.Identifier | None, rejects_factory: Callable[..., _Rejects],
                load_id: int, workers: int = 1) -> tuple[_Rejects, int]:
    """Stream one file into ``staging`` (or, when None, straight into the raw table) and verify it."""
    obj = s3_client.get_object(Bucket=bucket, Key=expected.key)
    reader = JsonlGzReader(obj["Body"], name=expected.key)
    rejects = rejects_factory(spec=spec, source_key=expected.key, version_id=obj.get("VersionId"))
    suffix = None
    if staging is None:
        suffix = f"\t{load_id}\t{encode_copy_value(expected.key)}\n"
    raised: list[BaseException] = []

    def lines() -> Iterator[str]:
        # psycopg2 turns an exception inside the COPY source into QueryCanceled; keep the real one
        try:
            if workers > 1:
                yield from _parallel_copy_text(spec, reader, rejects, suffix, workers)
            else:
                yield from _copy_text(spec, reader, rejects, suffix)
        except GeneratorExit:
            raise
        except BaseException as exc:
            raised.append(exc)
            raise

    try:
        try:
            if staging is None:
                copy_lines(cur, _ident(spec.raw_table), (*spec.columns, "_load_id", "_source_key"), lines())
            else:
                copy_lines(cur, staging, (_LINE, *spec.columns), lines())
        except psycopg2.Error:
            if raised:
                raise raised[0] from None
            raise
        verify_file(expected, records=reader.records, bytes_=reader.bytes, sha256=reader.sha256)
    except BaseException:
        rejects.spool.close()
        raise
    return rejects, reader.records


# ----------------------------------------------------------------------------- one table, apply

def _reject_duplicates(cur: psycopg2.extensions.cursor, spec: TableSpec, staging: sql.Identifier,
                       rejects: _Rejects) -> int:
    """Move every record holding a natural key an earlier line already holds to the rejects."""
    keys = _cols(spec.key_columns)
    cur.execute(sql.SQL(
        "SELECT EXISTS (SELECT 1 FROM {stg} GROUP BY {keys} HAVING {count} > 1)"
    ).format(stg=staging, keys=keys,
             count=sql.SQL("count(DISTINCT {})").format(sql.Identifier(_LINE)) if spec.many else sql.SQL("count(*)")))
    if not cur.fetchone()[0]:
        return 0
    key_text = sql.SQL(" || '/' || ").join(
        sql.SQL("coalesce({}::text, '')").format(sql.Identifier(c)) for c in spec.key_columns)
    cur.execute(sql.SQL("""
        WITH ranked AS (
            SELECT {line}, {key_text} AS key_text,
                   min({line}) OVER (PARTITION BY {keys}) AS first_line
              FROM {stg}),
        dup AS (SELECT {line}, min(key_text) AS key_text, min(first_line) AS first_line
                  FROM ranked WHERE {line} <> first_line GROUP BY {line}),
        gone AS (DELETE FROM {stg} s USING dup WHERE s.{line} = dup.{line} RETURNING s.{line})
        SELECT DISTINCT dup.{line}, dup.key_text, dup.first_line FROM dup JOIN gone USING ({line})
         ORDER BY 1
    """).format(line=sql.Identifier(_LINE), key_text=key_text, keys=keys, stg=staging))
    duplicates = cur.fetchall()
    for line_number, key_text_value, first_line in duplicates:
        rejects.add(line_number, "duplicate_key", field_name=",".join(spec.key_columns), value=key_text_value,
                    detail=f"the natural key is already held by line {first_line} of this file",
                    record_key=key_text_value)
    return len(duplicates)


def _apply_table(cur: psycopg2.extensions.cursor, spec: TableSpec, staging: sql.Identifier, load_id: int,
                 source_key: str, *, raw_has_rows: bool) -> tuple[int, int, int]:
    """Upsert staging into the raw table and delete keys the snapshot lacks: (rows, written, deleted)."""
    raw = _ident(spec.raw_table)
    keys = _cols(spec.key_columns)
    cur.execute(sql.SQL("SELECT count(*) FROM {stg}").format(stg=staging))
    rows = cur.fetchone()[0]
    lineage = sql.SQL("{load_id}, {source_key}, clock_timestamp()").format(
        load_id=sql.Literal(load_id), source_key=sql.Literal(source_key))
    all_cols = (*spec.columns, "_load_id", "_source_key", "_loaded_at")
    if not raw_has_rows:
        cur.execute(sql.SQL("INSERT INTO {raw} ({cols}) SELECT {src}, {lineage} FROM {stg}").format(
            raw=raw, cols=_cols(all_cols), src=_cols(spec.columns), lineage=lineage, stg=staging))
        return rows, cur.rowcount, 0
    non_key = [c for c in spec.columns if c not in spec.key_columns]
    if non_key:
        update = sql.SQL(
            "DO UPDATE SET {sets}, _load_id = EXCLUDED._load_id, _source_key = EXCLUDED._source_key, "
            "_loaded_at = EXCLUDED._loaded_at WHERE ({old}) IS DISTINCT FROM ({new})"
        ).format(
            sets=sql.SQL(", ").join(sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in non_key),
            old=_cols(non_key, "t"),
            new=sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in non_key),
        )
    else:
        update = sql.SQL("DO NOTHING")
    cur.execute(sql.SQL(
        "INSERT INTO {raw} AS t ({cols}) SELECT {src}, {lineage} FROM {stg} ON CONFLICT ({keys}) {update}"
    ).format(raw=raw, cols=_cols(all_cols), src=_cols(spec.columns), lineage=lineage, stg=staging,
             keys=keys, update=update))
    written = cur.rowcount
    cur.execute(sql.SQL(
        "DELETE FROM {raw} t WHERE NOT EXISTS (SELECT 1 FROM {stg} s WHERE {match})"
    ).format(raw=raw, stg=staging, match=sql.SQL(" AND ").join(
        sql.SQL("s.{c} = t.{c}").format(c=sql.Identifier(c)) for c in spec.key_columns)))
    return rows, written, cur.rowcount


def _apply_deduplicated(cur: psycopg2.extensions.cursor, spec: TableSpec, staging: sql.Identifier, *,
                        load_id: int, source_key: str, rejects: _Rejects) -> tuple[int, int, int]:
    """Apply staging with duplicate keys rejected first.

    Into an empty raw table (the first load, and every benchmark) the plain INSERT is tried under a
    savepoint and duplicates are looked for only if the primary key complains: the common, clean case
    skips a grouping pass over the whole staging table. Into a non-empty table the upsert could hide a
    duplicate (``ON CONFLICT … WHERE`` may skip one of two rows), so duplicates are looked for first.
    """
    cur.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {raw})").format(raw=_ident(spec.raw_table)))
    if cur.fetchone()[0]:
        _reject_duplicates(cur, spec, staging, rejects)
        return _apply_table(cur, spec, staging, load_id, source_key, raw_has_rows=True)
    cur.execute("SAVEPOINT itc_apply")
    try:
        result = _apply_table(cur, spec, staging, load_id, source_key, raw_has_rows=False)
    except psycopg2.errors.UniqueViolation:
        cur.execute("ROLLBACK TO SAVEPOINT itc_apply")
        if not _reject_duplicates(cur, spec, staging, rejects):
            raise
        result = _apply_table(cur, spec, staging, load_id, source_key, raw_has_rows=False)
    cur.execute("RELEASE SAVEPOINT itc_apply")
    return result


def _count_direct(cur: psycopg2.extensions.cursor, spec: TableSpec, load_id: int) -> int:
    cur.execute(sql.SQL("SELECT count(*) FROM {raw} WHERE _load_id = %s").format(raw=_ident(spec.raw_table)),
                (load_id,))
    return int(cur.fetchone()[0])


def _read_direct(cur: psycopg2.extensions.cursor, s3_client: Any, bucket: str, spec: TableSpec, *,
                 expected: ManifestFile, rejects_factory: Callable[..., _Rejects], load_id: int, log: Any,
                 context: dict[str, Any], workers: int) -> _Rejects | None:
    """Into an EMPTY raw table, COPY straight in (no staging, no second write): the first load's fast path.

    Runs under a savepoint; a duplicate natural key makes the primary key refuse the COPY, and then
    this returns None after rolling back to the savepoint, so the caller stages the file instead
    (where duplicates are found and rejected line by line). Not for ``many`` specs.
    """
    if spec.many:
        return None
    cur.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {raw})").format(raw=_ident(spec.raw_table)))
    if cur.fetchone()[0]:
        return None
    cur.execute("SAVEPOINT itc_direct")
    try:
        rejects, _ = _read_table(cur, s3_client, bucket, spec, expected=expected, staging=None,
                                 rejects_factory=rejects_factory, load_id=load_id, workers=workers)
    except psycopg2.errors.UniqueViolation:
        cur.execute("ROLLBACK TO SAVEPOINT itc_direct")
        log.info("duplicate natural keys in the file: staging it to reject them",
                 extra={**context, "table": spec.snapshot_table})
        return None
    cur.execute("RELEASE SAVEPOINT itc_direct")
    return rejects


def _reconcile(cur: psycopg2.extensions.cursor, spec: TableSpec, staging: sql.Identifier | None, load_id: int,
               expected: ManifestFile) -> tuple[int, int]:
    """Count loaded records (staging or raw) and rejected ones (ops) in the database; they must add up."""
    if staging is None:
        loaded = _count_direct(cur, spec, load_id)
    else:
        counted = sql.SQL("count(DISTINCT {})").format(sql.Identifier(_LINE)) if spec.many else sql.SQL("count(*)")
        cur.execute(sql.SQL("SELECT {counted} FROM {stg}").format(counted=counted, stg=staging))
        loaded = cur.fetchone()[0]
    cur.execute("SELECT count(DISTINCT line_number) FROM ops.rejected_records WHERE load_id = %s AND table_name = %s",
                (load_id, spec.snapshot_table))
    rejected = cur.fetchone()[0]
    if loaded + rejected != expected.records:
        raise TerminalError(
            f"{expected.key} ({spec.snapshot_table}): reconciliation failed: manifest says {expected.records} "
            f"records, loaded {loaded} + rejected {rejected} = {loaded + rejected}")
    return loaded, rejected


# ------------------------------------------------------------------------------------ the load

def _check_specs(loaded: LoadedManifest, specs: Sequence[TableSpec], source: str) -> None:
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


def _previous_load(cur: psycopg2.extensions.cursor, source: str, sha256: str) -> int | None:
    cur.execute(_FIND_SUCCEEDED, (source, sha256))
    row = cur.fetchone()
    return None if row is None else int(row[0])


def _ms(since: float) -> int:
    return int((time.perf_counter() - since) * 1000)


def load_snapshot(conn: psycopg2.extensions.connection, s3_client: Any, ref: ObjectRef,
                  specs: Sequence[TableSpec], *, source: str, logger: Any = None, workers: int | None = None,
                  ) -> LoadResult:
    """Load the snapshot whose manifest is ``ref`` into the raw tables of ``specs`` (see module doc).

    ``workers`` (default ``ITC_LOAD_WORKERS``, else 1) > 1 spreads parse/build/render over that many
    forked processes: worth it only with as many spare cores (not in a 512 MB Lambda, which has a
    fraction of one vCPU).
    """
    workers = workers or load_workers()
    log = logger or setup_logger(f"{source}_pipeline")
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    loaded_manifest = read_manifest(s3_client, ref)
    manifest = loaded_manifest.manifest
    _check_specs(loaded_manifest, specs, source)
    context = {"source": source, "run_id": manifest.run_id, "manifest_key": ref.key,
               "manifest_sha256": loaded_manifest.sha256}

    def skipped(load_id: int) -> LoadResult:
        log.info("snapshot already loaded: no-op", extra={**context, "previous_load_id": load_id})
        return LoadResult("skipped", source, manifest.run_id, ref.key, loaded_manifest.sha256, load_id,
                          duration_ms=_ms(started))

    if conn.autocommit:
        raise TerminalError("load_snapshot needs a connection with autocommit off (it runs one transaction)")
    try:
        with conn.cursor() as cur:
            previous = _previous_load(cur, source, loaded_manifest.sha256)  # fast path: no lock wait
            if previous is None:
                advisory_xact_lock(cur, f"load:{source}")
                previous = _previous_load(cur, source, loaded_manifest.sha256)  # a load may just have finished
            if previous is not None:
                conn.rollback()
                return skipped(previous)
            result = _load_locked(cur, s3_client, loaded_manifest, specs=specs, source=source,
                                      started_at=started_at, log=log, context=context, workers=workers)
        conn.commit()
    except BaseException as exc:
        _record_failure(conn, loaded_manifest, source=source, started_at=started_at, exc=exc, log=log,
                        context=context)
        if isinstance(exc, ManifestError | SnapshotFileError | TransientError | TerminalError):
            raise
        if isinstance(exc, psycopg2.Error):
            kind = classify_error(exc)
            # from None: the driver's exception text quotes row values (PHI); the SQLSTATE is kept
            raise kind(f"loading {source} snapshot {ref.key} failed: {safe_error_text(exc)}") from None
        raise
    result = LoadResult("loaded", source, manifest.run_id, ref.key, loaded_manifest.sha256, result.load_id,
                        result.tables, duration_ms=_ms(started))
    log.info("snapshot loaded", extra={**context, **{k: v for k, v in result.to_dict().items() if k != "tables"},
                                       "tables": {k: v.to_dict() for k, v in result.tables.items()}})
    metrics.emit("RecordsLoaded", result.loaded, {"Source": source})
    metrics.emit("RecordsRejected", result.rejected, {"Source": source})
    return result


def _load_locked(cur: psycopg2.extensions.cursor, s3_client: Any, loaded_manifest: LoadedManifest, *,
                 specs: Sequence[TableSpec], source: str, started_at: datetime, log: Any,
                 context: dict[str, Any], workers: int) -> LoadResult:
    manifest, ref = loaded_manifest.manifest, loaded_manifest.ref
    cur.execute(_INSERT_RUN, {
        "source": source, "run_id": manifest.run_id, "bucket": ref.bucket, "key": ref.key,
        "version_id": loaded_manifest.version_id, "sha256": loaded_manifest.sha256,
        "extracted_at": manifest.extracted_at, "status": "succeeded", "started_at": started_at,
        "records": 0, "loaded": 0, "rejected": 0, "deleted": 0, "table_counts": "{}", "error": None,
    })
    load_id = int(cur.fetchone()[0])

    def rejects_factory(*, spec: TableSpec, source_key: str, version_id: str | None) -> _Rejects:
        return _Rejects(load_id, source, spec.snapshot_table, spec.raw_table, source_key, version_id)

    # 1. read every file into staging and check it against the manifest (nothing in raw changes yet)
    staged: list[tuple[TableSpec, ManifestFile, sql.Identifier | None, _Rejects, int]] = []
    for index, spec in enumerate(specs):
        t0 = time.perf_counter()
        expected = manifest.file_for(spec.snapshot_table)
        rejects = _read_direct(cur, s3_client, ref.bucket, spec, expected=expected, rejects_factory=rejects_factory,
                               load_id=load_id, log=log, context=context, workers=workers)
        staging = None
        if rejects is None:
            staging = _stage(cur, spec, index)
            rejects, _ = _read_table(cur, s3_client, ref.bucket, spec, expected=expected, staging=staging,
                                     rejects_factory=rejects_factory, load_id=load_id, workers=workers)
        staged.append((spec, expected, staging, rejects, _ms(t0)))
        log.info("snapshot file staged", extra={**context, "table": spec.snapshot_table, "records": expected.records,
                                                 "rejected": rejects.count, "duration_ms": _ms(t0)})
    # 2. apply each table, reconcile, record
    tables: dict[str, TableCounts] = {}
    try:
        for spec, expected, staging, rejects, read_ms in staged:
            t0 = time.perf_counter()
            rows = written = deleted = 0
            if staging is not None:
                rows, written, deleted = _apply_deduplicated(cur, spec, staging, load_id=load_id,
                                                              source_key=expected.key, rejects=rejects)
            rejects.flush(cur)
            loaded, rejected = _reconcile(cur, spec, staging, load_id, expected)
            if staging is None:  # written straight into the empty raw table: one row per loaded record
                rows = written = loaded
            tables[spec.snapshot_table] = TableCounts(
                records=expected.records, loaded=loaded, rejected=rejected, rows=rows, written=written,
                unchanged=rows - written, deleted=deleted, read_ms=read_ms, apply_ms=_ms(t0))
    finally:
        for _, _, _, rejects, _ in staged:
            rejects.spool.close()
    result = LoadResult("loaded", source, manifest.run_id, ref.key, loaded_manifest.sha256, load_id, tables)
    cur.execute(_FINISH_RUN, (result.records, result.loaded, result.rejected, result.deleted,
                              orjson.dumps({k: v.to_dict() for k, v in tables.items()}).decode(), load_id))
    return result


def _record_failure(conn: psycopg2.extensions.connection, loaded_manifest: LoadedManifest, *, source: str,
                    started_at: datetime, exc: BaseException, log: Any, context: dict[str, Any]) -> None:
    """Roll back, then write a ``failed`` load row in a short transaction of its own (best effort)."""
    error = safe_error_text(exc)
    log.error("snapshot load failed; rolled back", extra={**context, "error": error})
    if conn.closed:
        log.warning("cannot record the failed load: the database connection is closed", extra=context)
        return
    manifest, ref = loaded_manifest.manifest, loaded_manifest.ref
    try:
        conn.rollback()
        with conn.cursor() as cur:
            cur.execute(_INSERT_RUN, {
                "source": source, "run_id": manifest.run_id, "bucket": ref.bucket, "key": ref.key,
                "version_id": loaded_manifest.version_id, "sha256": loaded_manifest.sha256,
                "extracted_at": manifest.extracted_at, "status": "failed", "started_at": started_at,
                "records": sum(f.records for f in manifest.files), "loaded": 0, "rejected": 0, "deleted": 0,
                "table_counts": "{}", "error": error,
            })
        conn.commit()
    except psycopg2.Error as record_exc:  # the original error matters more; say why this one failed
        log.warning("cannot record the failed load", extra={**context, "error": safe_error_text(record_exc)})
        try:
            conn.rollback()
        except psycopg2.Error:
            log.warning("rollback after a failed load failed too", extra=context)
