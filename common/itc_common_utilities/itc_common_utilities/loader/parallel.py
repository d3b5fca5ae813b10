"""The tables of one snapshot staged at once: a build process per table, one COPY stream, one transaction.

With ``workers`` > 1 and several tables, :func:`stage_tables` replaces the table-after-table read of
:mod:`~itc_common_utilities.loader.engine` (docs/adr/0015-tables-staged-at-once.md):

1. the loading process fetches each file the manifest names (its very S3 version) into an unlinked
   temporary file, so the build processes never share its S3 client (a forked HTTP connection pool
   is not safe to use from two processes);
2. ``min(workers, tables)`` forked build processes take the tables, largest first, one table at a
   time: each decompresses, hashes, parses, builds and renders its table into an unlinked COPY spool
   (the renderer of :mod:`~itc_common_utilities.loader.render`, so the rows and rejects are those of
   the in-process build), reports its progress, and at the end the file's stats and its redacted
   rejects;
3. meanwhile the loading process streams the spools, one table after another in that order, into
   each table's COPY target (the raw table for a ``DIRECT`` plan, its TEMP staging table otherwise)
   on the load's one connection, following the table being built as its spool grows, and checks
   each file against the manifest.

Everything written to the database goes through the load's transaction, so the apply, the guards
and the run record stay exactly as they were, and a table that fails to stage (a corrupt gzip, a
line that is not JSON, a file that differs from the manifest) fails the load before anything is
applied: the transaction rolls back and the run is recorded ``failed`` with the error, which names
the file. Nothing outlives a crash: the temporary files are unlinked from the start, the build
processes are killed when the load fails, and one whose parent is gone fails at its next report.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg2
import psycopg2.errors
import psycopg2.extensions
from psycopg2 import sql

from itc_common_utilities.errors import TerminalError
from itc_common_utilities.limits import SnapshotLimits, snapshot_limits
from itc_common_utilities.loader.apply import StagedFile, create_staging
from itc_common_utilities.loader.read import copy_file
from itc_common_utilities.loader.rejects import RejectList, RejectSpool
from itc_common_utilities.loader.render import copy_text, direct_suffix
from itc_common_utilities.loader.spec import LINE, ApplyMode, TablePlan, TableSpec, column_list
from itc_common_utilities.manifest import ManifestFile, verify_file
from itc_common_utilities.s3 import JsonlGzReader, LoadedManifest, SnapshotFileError

SPOOL_FLUSH_BYTES = 4 << 20  # a build process writes (and reports) its COPY text in blocks of about this size
READ_BYTES = 1 << 20         # what the loading process reads from a spool at a time


class _PositionalReader:
    """``read(n)`` over a file descriptor with ``os.pread``: the descriptor's shared offset is never moved."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pos = 0

    def read(self, size: int = -1) -> bytes:
        data = os.pread(self.fd, size if size >= 0 else 1 << 30, self.pos)
        self.pos += len(data)
        return data


@dataclass
class _Table:
    """One table of the load, as the loading process follows it."""

    index: int
    spec: TableSpec
    plan: TablePlan
    expected: ManifestFile
    source_file: Any          # the fetched gzip file (unlinked)
    content_length: int | None
    version_id: str | None
    spool: Any                # the COPY text the build process writes (unlinked)
    suffix: str | None
    written: int = 0          # spool bytes reported so far
    done: tuple[Any, ...] | None = None  # (records, bytes, sha256, reject items, notes) once built
    failure: BaseException | None = None
    started: float = field(default_factory=time.perf_counter)


def stage_tables(cur: psycopg2.extensions.cursor, s3_client: Any, loaded_manifest: LoadedManifest,
                 specs: Sequence[TableSpec], plans: Sequence[TablePlan], *, load_id: int, source: str,
                 workers: int, log: Any, context: dict[str, Any],
                 limits: SnapshotLimits | None = None) -> list[StagedFile]:
    """Read every file of ``specs`` (with their ``plans``) into its COPY target at once; nothing applied yet.

    Returns the staged files in the order of ``specs``, as the table-after-table read does. A
    ``DIRECT`` table whose file repeats a natural key is staged again in this process, as the
    table-after-table read does (:func:`~itc_common_utilities.loader.read.copy_file_direct`).
    """
    limits = limits or snapshot_limits()
    bucket = loaded_manifest.ref.bucket
    tables: list[_Table] = []
    staged: dict[int, StagedFile] = {}
    try:
        for index, (spec, plan) in enumerate(zip(specs, plans, strict=True)):
            tables.append(_fetch(s3_client, bucket, index, spec, plan,
                                 expected=loaded_manifest.manifest.file_for(spec.snapshot_table), load_id=load_id))
        order = sorted(tables, key=lambda t: -t.expected.bytes)  # the largest first: the shortest wall time
        for table in tables:
            if table.plan.mode is ApplyMode.STAGING:
                create_staging(cur, table.spec, table.plan)
        with _BuildPool(order, min(workers, len(tables)), limits) as pool:
            for table in order:
                rejects = RejectSpool(load_id, source, table.spec.snapshot_table, table.spec.raw_table,
                                      table.expected.key, table.version_id)
                try:
                    plan = _copy_table(cur, pool, table, rejects)
                except BaseException:
                    rejects.close()
                    raise
                if plan is None:  # a duplicate key refused the direct COPY: stage this one in-process
                    rejects.close()
                    log.info("duplicate natural keys in the file: staging it to reject them",
                             extra={**context, "table": table.spec.snapshot_table})
                    plan = table.plan.staged()
                    create_staging(cur, table.spec, plan)
                    rejects = copy_file(cur, s3_client, bucket, table.spec, plan, expected=table.expected,
                                        load_id=load_id, source=source, limits=limits)
                read_ms = int((time.perf_counter() - table.started) * 1000)
                log.info("snapshot file staged", extra={**context, "table": table.spec.snapshot_table,
                                                         "records": table.expected.records,
                                                         "rejected": rejects.count, "duration_ms": read_ms})
                staged[table.index] = StagedFile(table.spec, table.expected, plan, rejects, read_ms)
    except BaseException:
        for done in staged.values():
            done.rejects.close()
        raise
    finally:
        for table in tables:
            table.source_file.close()
            table.spool.close()
    return [staged[i] for i in range(len(tables))]


def _fetch(s3_client: Any, bucket: str, index: int, spec: TableSpec, plan: TablePlan, *, expected: ManifestFile,
           load_id: int) -> _Table:
    """Fetch one file (the version the manifest names) into an unlinked temporary file, at most one byte
    more than the manifest says (a longer file then fails its check, as it would streaming)."""
    version = {"VersionId": expected.version_id} if expected.version_id else {}
    obj = s3_client.get_object(Bucket=bucket, Key=expected.key, **version)
    source_file = tempfile.TemporaryFile()
    try:
        _copy_at_most(obj["Body"], source_file, expected.bytes + 1)
        source_file.flush()
        suffix = direct_suffix(load_id, expected.key) if plan.mode is ApplyMode.DIRECT else None
        return _Table(index, spec, plan, expected, source_file, obj.get("ContentLength"), obj.get("VersionId"),
                      tempfile.TemporaryFile(), suffix)
    except BaseException:
        source_file.close()
        raise
    finally:
        close = getattr(obj["Body"], "close", None)
        if close is not None:
            close()


def _copy_at_most(src: Any, dst: Any, limit: int) -> None:
    left = limit
    while left > 0:
        data = src.read(min(left, READ_BYTES))
        if not data:
            return
        dst.write(data)
        left -= len(data)


def _copy_table(cur: psycopg2.extensions.cursor, pool: _BuildPool, table: _Table,
                rejects: RejectSpool) -> TablePlan | None:
    """COPY one table's spool, following its build, into the plan's target and check the file against the
    manifest; None when a duplicate key refused a ``DIRECT`` COPY (rolled back to a savepoint)."""
    spec, plan = table.spec, table.plan
    if plan.mode is ApplyMode.DIRECT:
        target, columns = spec.raw, (*spec.columns, "_load_id", "_source_key")
        cur.execute("SAVEPOINT itc_direct")
    else:
        target, columns = plan.staging, (LINE, *spec.columns)
    stream = _SpoolStream(pool.follow(table))
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(target, column_list(columns))
    raised = stream.raised
    try:
        cur.copy_expert(statement.as_string(cur), stream, size=READ_BYTES)
    except psycopg2.errors.UniqueViolation:
        if plan.mode is not ApplyMode.DIRECT or raised:
            raise
        cur.execute("ROLLBACK TO SAVEPOINT itc_direct")
        return None
    except psycopg2.Error:
        if raised:
            raise raised[0] from None
        raise
    if plan.mode is ApplyMode.DIRECT:
        cur.execute("RELEASE SAVEPOINT itc_direct")
    assert table.done is not None  # follow() ends only when the build has ended
    records, bytes_, sha256, items, notes = table.done
    verify_file(table.expected, records=records, bytes_=bytes_, sha256=sha256)
    rejects.add_redacted(items, notes)
    return plan


class _SpoolStream:
    """A ``read()``-able file over the chunks of :meth:`_BuildPool.follow`, for ``copy_expert`` (bytes as the
    build wrote them: no decoding in this process). psycopg2 turns an exception inside the COPY source into
    QueryCanceled; the real one is kept in ``raised``."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.raised: list[BaseException] = []

    def read(self, _size: int = -1) -> bytes:
        try:
            return next(self.chunks, b"")
        except BaseException as exc:
            self.raised.append(exc)
            raise

    readline = read


class _BuildPool:
    """``size`` forked build processes that take the tables in ``order``, one table at a time.

    Process + Pipe only, as :mod:`~itc_common_utilities.loader.workers`. A build process sends small
    progress messages and, per table, one final message; the loading process reads every pipe whenever
    it waits (:func:`multiprocessing.connection.wait`), so no build process waits long on a full pipe.
    """

    def __init__(self, order: Sequence[_Table], size: int, limits: SnapshotLimits) -> None:
        self.order = list(order)
        self.size = size
        self.limits = limits
        self.next_task = 0
        self.pipes: list[Any] = []
        self.procs: list[Any] = []
        self.busy: dict[int, _Table] = {}  # pipe index -> the table it builds

    def __enter__(self) -> _BuildPool:
        import multiprocessing  # workers > 1 only: the default in-process load never loads it (docs/adr/0016)

        ctx = multiprocessing.get_context("fork")
        for _ in range(self.size):
            parent, child = ctx.Pipe(duplex=True)
            proc = ctx.Process(target=_build_main, args=(self.order, self.limits, child), daemon=True)
            proc.start()
            child.close()
            self.pipes.append(parent)
            self.procs.append(proc)
        for worker in range(self.size):
            self._dispatch(worker)
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        _stop(self.pipes, self.procs, kill=exc_type is not None or bool(self.busy))

    def _dispatch(self, worker: int) -> None:
        if self.next_task < len(self.order):
            table = self.order[self.next_task]
            self.next_task += 1
            table.started = time.perf_counter()
            self.busy[worker] = table
            self.pipes[worker].send(self.next_task - 1)

    def follow(self, table: _Table) -> Iterator[bytes]:
        """The table's COPY text (UTF-8) as its build process writes it, until the build ends (raises its
        error, or another table's)."""
        fd = table.spool.fileno()
        pos = 0
        while True:
            if table.failure is not None:
                raise table.failure
            if pos < table.written:
                data = os.pread(fd, min(READ_BYTES, table.written - pos), pos)
                pos += len(data)
                yield data
            elif table.done is not None:
                return
            else:
                self._wait()

    def _wait(self) -> None:
        """Handle every message that arrives next (progress, a table built); raise the first failure at once,
        whichever table it is in: the load fails as soon as any table cannot be staged."""
        if not self.busy:
            raise TerminalError("the load waits for a table no build process is building")
        import multiprocessing.connection

        ready = multiprocessing.connection.wait([self.pipes[w] for w in self.busy])
        for pipe in ready:
            worker = self.pipes.index(pipe)
            table = self.busy[worker]
            try:
                message = pipe.recv()
            except EOFError:
                del self.busy[worker]
                raise TerminalError(f"{table.spec.snapshot_table}: its build process ended unexpectedly") from None
            kind = message[0]
            if kind == "progress":
                table.written = message[1]
                continue
            del self.busy[worker]
            if kind == "done":
                table.written = message[1]
                table.done = message[2:]
                self._dispatch(worker)
            elif kind == "snapshot":
                table.failure = SnapshotFileError(message[1])
            else:
                table.failure = TerminalError(f"{table.spec.snapshot_table}: a build process failed: {message[1]}")
            if table.failure is not None:
                raise table.failure


def _build_main(order: Sequence[_Table], limits: SnapshotLimits, conn: Any) -> None:
    """A build process: receives table indexes (into ``order``), writes each table's COPY text to its spool."""
    while True:
        task = conn.recv()
        if task is None:
            break
        table = order[task]
        try:
            conn.send(("done", *_build(table, limits, conn)))
        except SnapshotFileError as exc:
            conn.send(("snapshot", str(exc)))
        except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it as terminal
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
    conn.close()


def _build(table: _Table, limits: SnapshotLimits, conn: Any) -> tuple[Any, ...]:
    """Build one table into its spool: (spool bytes, records, bytes, sha256, reject items, notes)."""
    reader = JsonlGzReader(_PositionalReader(table.source_file.fileno()), name=table.expected.key,
                           limits=limits, compressed_bytes=table.content_length)
    rejects = RejectList(table.spec.raw_table)
    fd = table.spool.fileno()
    written = 0
    pending: list[bytes] = []
    size = 0
    for text in copy_text(table.spec, reader.batches(), rejects, table.suffix, name=reader.name):
        data = text.encode("utf-8")
        pending.append(data)
        size += len(data)
        if size >= SPOOL_FLUSH_BYTES:
            written = _write(fd, b"".join(pending), written)
            conn.send(("progress", written))
            pending, size = [], 0
    if pending:
        written = _write(fd, b"".join(pending), written)
    return written, reader.records, reader.bytes, reader.sha256, rejects.items, rejects.notes


def _write(fd: int, data: bytes, pos: int) -> int:
    """Write ``data`` at ``pos`` (``os.pwrite``: the descriptor's shared offset is never moved); the new end."""
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, pos)
        pos += n
        view = view[n:]
    return pos


def _stop(pipes: list[Any], procs: list[Any], *, kill: bool) -> None:
    """End the build processes: told to stop when idle, killed when the load failed or one is still busy."""
    for pipe in pipes:
        if not kill:
            try:
                pipe.send(None)
            except OSError:
                pass  # the process is gone already
        pipe.close()
    for proc in procs:
        if kill:
            proc.kill()
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=5)

