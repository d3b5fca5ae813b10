"""Rejected records: kept with their reason, never with the record.

A record the builder rejects (:class:`~itc_common_utilities.loader.spec.RecordRejected`), a row with
an empty natural key (``missing_key``), a value with a NUL byte (``nul_byte``) or a second record
with the same natural key (``duplicate_key``) goes to ``ops.rejected_records`` with the file's S3
key and version, the line number, the reason and the field. The offending value itself is stored only
for a field on the non-PHI allow-list (:data:`~itc_common_utilities.phi.REJECT_VALUE_FIELDS`: ids,
timestamps, flags, counts); for any other field only its JSON type and length (``"string, 23 chars"``),
see :func:`~itc_common_utilities.phi.redact_value`. ``detail`` names the field and the problem, never
the value.

- :class:`RejectSpool`: the rejects of one file, spooled as COPY text (memory bounded whatever their
  number) and flushed into ``ops.rejected_records`` inside the load's transaction.
- :class:`RejectList`: the rejects a build process collects, redacted there (only redacted values
  cross the pipe back to the loading process).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from typing import Any, Protocol

import psycopg2.extensions
from psycopg2 import sql

from itc_common_utilities.db import encode_copy_row
from itc_common_utilities.loader.spec import RecordRejected, TableSpec
from itc_common_utilities.phi import redact_value

REJECT_COLUMNS = ("load_id", "source", "table_name", "source_key", "source_version_id", "line_number",
                  "record_key", "reason_code", "field_name", "offending_value", "detail")


class Rejects(Protocol):
    """Where the renderer puts a rejected record (a :class:`RejectSpool` or a :class:`RejectList`)."""

    def add(self, line_number: int, reason: str, *, field_name: str | None, value: object, detail: str,
            record_key: str | None) -> None: ...


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
    spool: Any = field(default_factory=lambda: tempfile.SpooledTemporaryFile(max_size=4 << 20, mode="w+b"))

    def add(self, line_number: int, reason: str, *, field_name: str | None, value: object, detail: str,
            record_key: str | None, redacted: bool = False) -> None:
        offending = value if redacted else redact_value(self.raw_table, field_name, value)
        row = (self.load_id, self.source, self.table, self.source_key, self.version_id, line_number,
               _clean(record_key, 200), reason, field_name, _clean(offending, 400), _clean(detail, 1000))
        self.spool.write(encode_copy_row(row).encode("utf-8"))
        self.count += 1

    def add_redacted(self, items: list[tuple[Any, ...]]) -> None:
        """Add the rejects a build process collected (:attr:`RejectList.items`, redacted there)."""
        for line_number, reason, field_name, value, detail, record_key in items:
            self.add(line_number, reason, field_name=field_name, value=value, detail=detail,
                     record_key=record_key, redacted=True)

    def flush(self, cur: psycopg2.extensions.cursor) -> None:
        if self.count:
            self.spool.seek(0)
            statement = sql.SQL("COPY ops.rejected_records ({}) FROM STDIN").format(
                sql.SQL(", ").join(map(sql.Identifier, REJECT_COLUMNS)))
            cur.copy_expert(statement.as_string(cur), self.spool, size=1 << 20)
        self.spool.close()


class RejectList:
    """Rejects collected by a worker process, redacted there (only redacted values cross the pipe)."""

    def __init__(self, raw_table: str) -> None:
        self.raw_table = raw_table
        self.items: list[tuple[Any, ...]] = []

    def add(self, line_number: int, reason: str, *, field_name: str | None, value: object, detail: str,
            record_key: str | None) -> None:
        self.items.append((line_number, reason, field_name, redact_value(self.raw_table, field_name, value),
                           detail, record_key))


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
