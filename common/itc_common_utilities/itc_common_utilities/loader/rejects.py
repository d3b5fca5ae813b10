"""Rejected records: kept with their reason, never with the record.

A record the builder rejects (:class:`~itc_common_utilities.loader.spec.RecordRejected`), a row with
an empty natural key (``missing_key``), a value with a NUL byte (``nul_byte``) or a second record
with the same natural key (``duplicate_key``) goes to ``ops.rejected_records`` with the file's S3
key and version, the line number, the reason and the field. The offending value itself is stored only
for a field on the non-PHI allow-list (:data:`~itc_common_utilities.phi.REJECT_VALUE_FIELDS`: ids,
timestamps, flags, counts); for any other field only its JSON type and length (``"string, 23 chars"``),
see :func:`~itc_common_utilities.phi.redact_value`. ``detail`` names the field and the problem, never
the value.

A value quarantined field by field (:mod:`~itc_common_utilities.loader.quarantine`: stored as NULL, the
record loaded) goes the same way, redacted the same way, into ``ops.quarantined_fields``.

- :class:`RejectSpool`: the rejects and quarantined fields of one file, spooled as COPY text (memory
  bounded whatever their number) and flushed into ``ops.rejected_records`` / ``ops.quarantined_fields``
  inside the load's transaction.
- :class:`RejectList`: the rejects and notes a build process collects, redacted there (only redacted
  values cross the pipe back to the loading process).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import psycopg2.extensions
from psycopg2 import sql

from itc_common_utilities.db import encode_copy_row
from itc_common_utilities.loader.spec import RecordRejected, TableSpec
from itc_common_utilities.phi import redact_value

REJECT_COLUMNS = ("load_id", "source", "table_name", "source_key", "source_version_id", "line_number",
                  "record_key", "reason_code", "field_name", "offending_value", "detail")
QUARANTINE_COLUMNS = (*REJECT_COLUMNS, "unit_at_risk")


def _spool() -> Any:
    return tempfile.SpooledTemporaryFile(max_size=4 << 20, mode="w+b")


class Rejects(Protocol):
    """Where the renderer puts a rejected record (a :class:`RejectSpool` or a :class:`RejectList`)."""

    def add(self, line_number: int, reason: str, *, field_name: str | None, value: object, detail: str,
            record_key: str | None) -> None: ...

    def quarantine(self, line_number: int, notes: list[Any], record_key: str | None) -> None: ...


@dataclass
class RejectSpool:
    """Rejected records of one file, spooled as COPY text (memory bounded whatever their number)."""

    load_id: int
    source: str
    table: str
    raw_table: str
    source_key: str
    version_id: str | None
    count: int = 0
    spool: Any = field(default_factory=_spool)
    quarantined: int = 0  # quarantined fields (values stored as NULL) of records that loaded
    notes: Any = field(default_factory=_spool)

    def add(self, line_number: int, reason: str, *, field_name: str | None, value: object, detail: str,
            record_key: str | None, redacted: bool = False) -> None:
        offending = value if redacted else redact_value(self.raw_table, field_name, value)
        row = (self.load_id, self.source, self.table, self.source_key, self.version_id, line_number,
               _clean(record_key, 200), reason, field_name, _clean(offending, 400), _clean(detail, 1000))
        self.spool.write(encode_copy_row(row).encode("utf-8"))
        self.count += 1

    def quarantine(self, line_number: int, notes: list[Any], record_key: str | None) -> None:
        """One ``ops.quarantined_fields`` row per :class:`~itc_common_utilities.loader.quarantine.FieldNote`."""
        self.add_notes([_note_item(self.raw_table, line_number, n, record_key) for n in notes])

    def add_notes(self, items: list[tuple[Any, ...]]) -> None:
        """Add quarantined fields already redacted (:attr:`RejectList.notes`)."""
        for line_number, reason, field_name, offending, detail, record_key, unit_at_risk in items:
            row = (self.load_id, self.source, self.table, self.source_key, self.version_id, line_number,
                   _clean(record_key, 200), reason, field_name, _clean(offending, 400), _clean(detail, 1000),
                   unit_at_risk)
            self.notes.write(encode_copy_row(row).encode("utf-8"))
            self.quarantined += 1

    def add_redacted(self, items: list[tuple[Any, ...]], notes: Sequence[tuple[Any, ...]] = ()) -> None:
        """Add the rejects and notes a build process collected (:class:`RejectList`, redacted there)."""
        for line_number, reason, field_name, value, detail, record_key in items:
            self.add(line_number, reason, field_name=field_name, value=value, detail=detail,
                     record_key=record_key, redacted=True)
        self.add_notes(list(notes))

    def flush(self, cur: psycopg2.extensions.cursor) -> None:
        for count, spool, table, columns in ((self.count, self.spool, "rejected_records", REJECT_COLUMNS),
                                             (self.quarantined, self.notes, "quarantined_fields",
                                              QUARANTINE_COLUMNS)):
            if count:
                spool.seek(0)
                statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                    sql.Identifier("ops", table), sql.SQL(", ").join(map(sql.Identifier, columns)))
                cur.copy_expert(statement.as_string(cur), spool, size=1 << 20)
        self.close()

    def close(self) -> None:
        """Drop both spools (after a flush, or when the load failed)."""
        self.spool.close()
        self.notes.close()


class RejectList:
    """Rejects collected by a worker process, redacted there (only redacted values cross the pipe)."""

    def __init__(self, raw_table: str) -> None:
        self.raw_table = raw_table
        self.items: list[tuple[Any, ...]] = []
        self.notes: list[tuple[Any, ...]] = []

    def quarantine(self, line_number: int, notes: list[Any], record_key: str | None) -> None:
        self.notes += [_note_item(self.raw_table, line_number, n, record_key) for n in notes]

    def add(self, line_number: int, reason: str, *, field_name: str | None, value: object, detail: str,
            record_key: str | None) -> None:
        self.items.append((line_number, reason, field_name, redact_value(self.raw_table, field_name, value),
                           detail, record_key))


def _note_item(raw_table: str, line_number: int, note: Any, record_key: str | None) -> tuple[Any, ...]:
    """A quarantined field as the spool stores it, its value redacted as a reject's is."""
    return (line_number, note.reason, note.field, redact_value(raw_table, note.field, note.value), note.detail,
            record_key, note.unit_at_risk)


def _clean(text: object, limit: int) -> str | None:
    if text is None:
        return None
    value = str(text).replace("\x00", "\\0")
    return value if len(value) <= limit else value[:limit] + "…"


def safe_record_key(spec: TableSpec, record: Any) -> str | None:
    """The record's key for ``ops.rejected_records.record_key``, or None when the record has none."""
    try:
        key = spec.record_key(record)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecordRejected):
        return None
    return None if key is None else str(key)
