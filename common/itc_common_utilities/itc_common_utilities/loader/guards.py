"""The load guards: what a snapshot load refuses before it commits, the bounded lock wait, and force.

A full snapshot replaces a source's raw rows, so a bad snapshot (an empty or partial scan, a recreated
table, a source change that makes every record a reject, an old snapshot replayed late) would silently
destroy or rewind the warehouse. Inside the load's transaction, before it commits, the engine refuses:

- **ordering**: a snapshot whose ``extracted_at`` is not newer than that of the source's latest
  succeeded load (``ops.latest_loads``): checked first, before any file is read;
- **deletes**: a table whose load would delete more than ``ITC_MAX_DELETE_SHARE`` of its raw rows;
- **rejects**: a table with more than ``ITC_MAX_REJECT_SHARE`` of its records rejected;
- **empty**: an empty table in a snapshot of a source in :data:`NEVER_EMPTY` (an Exchange scan that
  returns nothing is a failed scan or a recreated table; Verify+ refuses an empty report at extract).

Before the guards, and never overridden: a manifest whose ``extracted_at`` is later than the load's now
plus :data:`MAX_CLOCK_SKEW` is refused (:class:`FutureSnapshotError`, recorded ``refused``): a snapshot
dated in the future would make every real snapshot after it "not newer".

Each refusal is a :class:`LoadRefusedError` (a ``TerminalError``: a retry loads the same snapshot) whose
message names the source, the table, the counts and the setting; the load is rolled back and recorded
``failed`` with that message. :class:`Force` is the one override: a forced load skips every guard,
reloads a manifest that was already loaded, and records who and why in ``ops.load_runs``. A load event
asks for it with a signed, short-lived approval (``"force": {"approval": {...}}``, ``itc replay URI
--force --approval FILE``), verified into a :class:`Force` by :mod:`itc_common_utilities.loader.approval`.

The wait for the source's advisory lock is bounded (``ITC_LOCK_WAIT_SECONDS``) and ends in a
``TransientError`` (exactly that class: Step Functions' Retry matches the error's class name).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg2.errors
import psycopg2.extensions

from itc_common_utilities.db import advisory_xact_lock
from itc_common_utilities.errors import TerminalError, TransientError
from itc_common_utilities.loader.spec import TableCounts, TableSpec
from itc_common_utilities.settings import LoadGuardSettings

NEVER_EMPTY = frozenset({"demand"})  # sources whose every snapshot table must have records
FORCE_HINT = "If this snapshot is right, load it with force and an approval (itc approve-force)."
REASON_LIMIT = 500
MAX_CLOCK_SKEW = timedelta(minutes=5)  # how far ahead a manifest's extracted_at (an approval's issued_at) may be


class LoadRefusedError(TerminalError):
    """A load guard refused the snapshot; nothing changed. Forcing the load is the one override."""


class FutureSnapshotError(TerminalError):
    """A manifest dated later than now plus :data:`MAX_CLOCK_SKEW`: refused, forced or not; nothing changed."""


@dataclass(frozen=True)
class Force:
    """The one explicit override of the load guards, for one load: who forced it and why (from a verified
    approval when it comes from an event, :mod:`itc_common_utilities.loader.approval`)."""

    reason: str
    by: str


_FORCE: ContextVar[Any] = ContextVar("itc_load_force", default=None)


@contextmanager
def forcing(force: Any) -> Iterator[None]:
    """Loads started inside this block use ``force`` when their caller passes none: the load event's
    ``force`` (an unverified ``ForceRequest``, set by :func:`itc_common_utilities.handler.load_manifests`
    around each load; the load verifies it)."""
    token = _FORCE.set(force)
    try:
        yield
    finally:
        _FORCE.reset(token)


def current_force() -> Any:
    return _FORCE.get()


def check_extracted_at(*, source: str, run_id: str, extracted_at: str, now: datetime | None = None) -> None:
    """Refuse a snapshot dated later than ``now`` (default: the current time) + :data:`MAX_CLOCK_SKEW`."""
    this_at = datetime.fromisoformat(extracted_at)
    if this_at.tzinfo is None:  # the manifest's time without a zone: UTC, as the extracts write it
        this_at = this_at.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    if this_at > now + MAX_CLOCK_SKEW:
        raise FutureSnapshotError(
            f"{source}: refusing snapshot {run_id}: it says it was extracted at {this_at.isoformat()}, later than now "
            f"({now.isoformat(timespec='seconds')}) plus the allowed clock skew of {MAX_CLOCK_SKEW}; a snapshot from "
            f"the future would make every real snapshot after it look older. Nothing was loaded; forcing does not "
            f"override this.")


def wait_for_lock(cur: psycopg2.extensions.cursor, source: str, seconds: float) -> None:
    """Take the source's load lock (``advisory_xact_lock("load:<source>")``), waiting at most ``seconds``.

    The wait is bounded by ``lock_timeout`` for this one statement (restored afterwards, so the rest of
    the load keeps the session's setting); running out raises :class:`TransientError`.
    """
    cur.execute("SELECT current_setting('lock_timeout')")
    previous = cur.fetchone()[0]
    cur.execute("SELECT set_config('lock_timeout', %s, true)", (f"{max(1, round(seconds * 1000))}ms",))
    cur.execute("SAVEPOINT itc_lock_wait")
    try:
        advisory_xact_lock(cur, f"load:{source}")
    except psycopg2.errors.LockNotAvailable:
        cur.execute("ROLLBACK TO SAVEPOINT itc_lock_wait")
        raise TransientError(
            f"{source}: waited {seconds:g} s for the load lock of source {source} (another {source} load holds "
            f"it) and gave up; the limit is ITC_LOCK_WAIT_SECONDS={seconds:g}. A retry waits again.") from None
    cur.execute("RELEASE SAVEPOINT itc_lock_wait")
    cur.execute("SELECT set_config('lock_timeout', %s, true)", (previous,))


_LATEST_LOAD = "SELECT load_id, run_id, extracted_at FROM ops.latest_loads WHERE source = %s"


def check_order(cur: psycopg2.extensions.cursor, *, source: str, run_id: str, extracted_at: str) -> None:
    """Refuse a snapshot not extracted after the one the source's latest succeeded load came from."""
    cur.execute(_LATEST_LOAD, (source,))
    row = cur.fetchone()
    if row is None or row[2] is None:
        return
    latest_id, latest_run, latest_at = row
    this_at = datetime.fromisoformat(extracted_at)
    if this_at.tzinfo is None:  # the manifest's time without a zone: UTC, as the extracts write it
        this_at = this_at.replace(tzinfo=UTC)
    if this_at > latest_at:
        return
    raise LoadRefusedError(
        f"{source}: refusing to load snapshot {run_id} (extracted at {this_at.isoformat()}): it is not newer than "
        f"the last loaded snapshot {latest_run} (load {latest_id}, extracted at {latest_at.isoformat()}); loading "
        f"it would rewind the warehouse. To restore an older snapshot on purpose, load it with force and an "
        f"approval (itc approve-force).")


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%"


def table_refusals(spec: TableSpec, counts: TableCounts, *, source: str, guards: LoadGuardSettings,
                   reject_reasons: Callable[[], Mapping[str, int]]) -> list[str]:
    """What the guards refuse in one applied table (empty when it may commit); ``reject_reasons`` gives
    the rejects per reason code (asked only when the reject guard refuses)."""
    refusals: list[str] = []
    if counts.records == 0 and source in NEVER_EMPTY:
        refusals.append(
            f"{source}: refusing to load an empty {spec.snapshot_table} table (0 records for {spec.raw_table}, "
            f"which has {counts.rows_before:,} rows): a {source} snapshot never has an empty table (a failed "
            f"scan or a recreated table).")
    if counts.rows_before and counts.deleted > guards.max_delete_share * counts.rows_before:
        refusals.append(
            f"{source}: refusing to delete {counts.deleted:,} of {counts.rows_before:,} rows "
            f"({_share(counts.deleted, counts.rows_before)}) of {spec.raw_table}; the limit is "
            f"ITC_MAX_DELETE_SHARE={guards.max_delete_share:g}.")
    if counts.records and counts.rejected > guards.max_reject_share * counts.records:
        reasons = ", ".join(f"{reason} {n:,}" for reason, n in sorted(reject_reasons().items(), key=lambda r: -r[1]))
        refusals.append(
            f"{source}: refusing to load {spec.snapshot_table}: {counts.rejected:,} of {counts.records:,} records "
            f"rejected ({_share(counts.rejected, counts.records)}; {reasons}) for {spec.raw_table}; the limit is "
            f"ITC_MAX_REJECT_SHARE={guards.max_reject_share:g}.")
    return refusals


def refusal(refusals: list[str]) -> LoadRefusedError:
    """One error for every refusal of a load, with the way past them."""
    return LoadRefusedError(" ".join([*refusals, FORCE_HINT]))
