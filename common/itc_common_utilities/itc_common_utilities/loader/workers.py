"""The forked parallel build: parse/build/render spread over ``ITC_LOAD_WORKERS`` processes.

The Python side of a load (JSON parse, builder, row render) is its bottleneck. With spare cores,
:func:`parallel_copy_text` gives :func:`~itc_common_utilities.loader.render.copy_text` to forked
build processes; with one worker (the default, and the right choice in a Lambda, which has a fraction
of one vCPU) everything stays in the loading process.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

from itc_common_utilities.errors import TerminalError
from itc_common_utilities.loader.rejects import RejectList, RejectSpool
from itc_common_utilities.loader.render import copy_text
from itc_common_utilities.loader.spec import TableSpec
from itc_common_utilities.s3 import JsonlGzReader, SnapshotFileError
from itc_common_utilities.settings import LoaderSettings, load_settings

BATCH_LINES = 1000


def load_workers() -> int:
    """Build processes per load: ``ITC_LOAD_WORKERS`` (default 1 = in-process), a field of
    :class:`~itc_common_utilities.settings.LoaderSettings`; a bad value is a ``SettingsError`` naming it."""
    return load_settings(LoaderSettings).workers


def _worker_main(spec: TableSpec, suffix: str | None, name: str, conn: Any) -> None:
    """A build process: receives (first line number, [line bytes]) batches, returns COPY text + rejects."""
    while True:
        message = conn.recv()
        if message is None:
            break
        first, lines = message
        rejects = RejectList(spec.raw_table)
        try:
            text = "".join(copy_text(spec, [(first, lines)], rejects, suffix, name=name))
        except SnapshotFileError as exc:
            conn.send(("snapshot", str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it as terminal
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
            continue
        conn.send(("ok", text, rejects.items, rejects.notes))
    conn.close()


def parallel_copy_text(spec: TableSpec, reader: JsonlGzReader, rejects: RejectSpool, suffix: str | None,
                       workers: int) -> Iterator[str]:
    """Like :func:`~itc_common_utilities.loader.render.copy_text`, over ``workers`` forked processes.

    This process only decompresses, hashes and ships batches of raw lines round-robin, then gathers
    the results in order (so line order, rejects and counts are exactly the in-process ones). Uses
    Process + Pipe only, which AWS Lambda supports (it lacks /dev/shm, so no Pool or Queue). Each
    worker has at most ONE batch in flight: a batch is sent to a worker only after its previous
    result was gathered, so neither side can block writing to a full pipe the other is not reading
    (a deadlock with larger windows), and memory stays bounded.
    """
    import multiprocessing  # workers > 1 only: the default in-process load never loads it (docs/adr/0016)

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
        rejects.add_redacted(reply[2], reply[3])
        return reply[1]

    try:
        batch: list[bytes] = []
        first = 1
        sent = 0
        for number, line in reader:
            if not batch:
                first = number
            batch.append(line)
            if len(batch) >= BATCH_LINES:
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
        _stop(pipes, procs)


def _stop(pipes: list[Any], procs: list[Any]) -> None:
    """Tell every build process to end, then reap it (killed if it does not end within 5 s)."""
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
