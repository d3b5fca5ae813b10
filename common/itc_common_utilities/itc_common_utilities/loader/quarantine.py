"""Field-level quarantine: a bad value in a field that decides no bill costs the field, not the record.

A builder parses each field that is not billing-critical (:mod:`itc_common_utilities.billing`) with
:func:`kept`: when the parser raises :class:`~itc_common_utilities.loader.spec.RecordRejected` (type,
length, time window, NUL, unreadable date), the value becomes NULL and a :class:`FieldNote` is
collected; for a billing-critical field the rejection goes on and the record is rejected, as before.
A builder that drops part of a value (a bad entry of a status history) calls :func:`note` itself.

The load engine collects the notes of each record it builds (:func:`collecting`, in
:func:`~itc_common_utilities.loader.render.copy_text`) and, when the record's row is written, stores
one row per note in ``ops.quarantined_fields`` (source, load, file, line, record key, field, reason,
the value redacted as in ``ops.rejected_records``, and the billable unit put at risk, if any). Outside
a collection (a builder called on its own) the value is still NULL and the note is dropped.

The compiled fast path (:mod:`~itc_common_utilities.loader.fastrow`) never writes a row for a record
holding a value it cannot read exactly as the builder would; such a record goes to the builder, so a
quarantine comes out identical on both paths.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from itc_common_utilities.billing import is_billing_critical
from itc_common_utilities.loader.spec import RecordRejected

T = TypeVar("T")


@dataclass(frozen=True)
class FieldNote:
    """One value stored as NULL (or one history entry dropped), and why."""

    field: str
    reason: str
    value: object
    detail: str
    unit_at_risk: str | None = None  # the billable unit the lost value decided ('demand_archived'), else None


_NOTES: ContextVar[list[FieldNote] | None] = ContextVar("itc_quarantine_notes", default=None)


@contextmanager
def collecting() -> Iterator[list[FieldNote]]:
    """Collect the notes :func:`kept` and :func:`note` make inside the block (one record's build)."""
    notes: list[FieldNote] = []
    token = _NOTES.set(notes)
    try:
        yield notes
    finally:
        _NOTES.reset(token)


def note(rejected: RecordRejected, field: str, *, unit_at_risk: str | None = None) -> None:
    """Record that ``field``'s value was dropped because of ``rejected`` (a no-op outside :func:`collecting`)."""
    notes = _NOTES.get()
    if notes is not None:
        notes.append(FieldNote(rejected.field or field, rejected.reason_code, rejected.value, rejected.detail,
                               unit_at_risk))


def kept(table: str, field: str, parse: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """``parse(*args, **kwargs)``; for a field of ``table`` that is not billing-critical, a rejected value
    becomes None and a note instead of rejecting the record."""
    try:
        return parse(*args, **kwargs)
    except RecordRejected as rejected:
        if is_billing_critical(table, field):
            raise
        note(rejected, field)
        return None
