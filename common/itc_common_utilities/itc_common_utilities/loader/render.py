"""Records → COPY text: the hot loop of the whole product.

:func:`copy_text` turns the (line number, line bytes) pairs of one file into COPY text for every good
row, in chunks of many lines, and hands every bad record to a
:class:`~itc_common_utilities.loader.rejects.Rejects`. Two line formats, one per
:class:`~itc_common_utilities.loader.spec.ApplyMode`:

- staging (``suffix`` None): ``<line number>\\t<columns…>\\n``;
- direct (``suffix`` = ``"\\t<load_id>\\t<source_key>\\n"``, see :func:`direct_suffix`):
  ``<columns…>\\t<load_id>\\t<source_key>\\n``, the lineage columns of the raw table.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson

from itc_common_utilities.db import NulByteError, encode_copy_row, encode_copy_value
from itc_common_utilities.errors import TerminalError
from itc_common_utilities.loader.fastrow import fast_enabled
from itc_common_utilities.loader.quarantine import collecting
from itc_common_utilities.loader.rejects import Rejects, safe_record_key
from itc_common_utilities.loader.spec import RecordRejected, TableSpec
from itc_common_utilities.s3 import SnapshotFileError


def direct_suffix(load_id: int, source_key: str) -> str:
    """The end of every direct COPY line: the raw table's lineage columns ``_load_id``, ``_source_key``."""
    return f"\t{load_id}\t{encode_copy_value(source_key)}\n"


def _row_text(spec: TableSpec, row: Sequence[Any], number: int, key_idx: Sequence[int], suffix: str | None) -> str:
    """One COPY line, or RecordRejected for a NULL key / a NUL byte (the careful path of :func:`copy_text`)."""
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


def _as_text(value: Any) -> str:
    try:
        return encode_copy_value(value) if not isinstance(value, str) else value
    except NulByteError:
        return "\x00"


def copy_text(spec: TableSpec, batches: Iterable[tuple[int, Sequence[bytes]]], rejects: Rejects,
              suffix: str | None = None, *, name: str | None = None) -> Iterator[str]:
    """COPY text for every good row, in chunks of many lines; rejects go to ``rejects``.

    ``batches``: ``(first line number, [line bytes, ...])`` blocks (:meth:`JsonlGzReader.batches`).
    A line goes through the spec's ``fast`` function when it has one (compiled decoding, one COPY
    line; :mod:`~itc_common_utilities.loader.fastrow`) and ``ITC_LOAD_FAST`` is not off; when that
    gives up (None), or without one: one JSON parse, one builder call and one row render. One chunk
    of COPY text per batch (a block of a few MB), its line ends added by one join. The cyclic
    garbage collector is paused while it runs: parsed records hold no reference cycles and are freed
    by reference counting, and otherwise the collector would rescan the live objects every few
    hundred records.
    """
    fast = spec.fast if spec.fast is not None and fast_enabled() else None
    name = name or spec.snapshot_table
    end = "\n" if suffix is None else suffix  # what ends every line
    cut = len(end)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for first, lines in batches:
            rows: list[str] = []  # this batch's lines without their ends: one join per batch adds them
            append = rows.append
            for number, line in enumerate(lines, first):
                text = fast(line) if fast is not None else None
                if text is None:
                    built = _built_text(spec, number, line, rejects, suffix, name=name)
                    if built:  # None: rejected; "": a ``many`` record that gave no rows
                        append(built[:-cut])
                elif suffix is None:
                    append(f"{number}\t{text}")
                else:
                    append(text)
            if rows:
                yield end.join(rows) + end
    finally:
        if gc_was_enabled:
            gc.enable()


def _built_row_text(spec: TableSpec, built: Any, number: int, key_idx: Sequence[int], suffix: str | None) -> str:
    """The COPY text of what the builder gave (several lines for a ``many`` spec); RecordRejected for an
    empty key or a NUL byte."""
    if spec.many:
        return "".join([_row_text(spec, row, number, key_idx, suffix) for row in built])
    ok = len(built) == len(spec.columns)
    if ok:
        for i in key_idx:
            key = built[i]
            if key is None or key == "":
                ok = False
    if not ok:
        return _row_text(spec, built, number, key_idx, suffix)
    try:
        text = encode_copy_row(built)
    except NulByteError:
        return _row_text(spec, built, number, key_idx, suffix)
    return f"{number}\t{text}" if suffix is None else text[:-1] + suffix


def _built_text(spec: TableSpec, number: int, line: bytes, rejects: Rejects, suffix: str | None, *,
                name: str) -> str | None:
    """The builder's path for one line: its COPY text (several lines for a ``many`` spec), or None when
    the record was rejected (added to ``rejects``). Fields the builder quarantined (stored as NULL,
    :mod:`~itc_common_utilities.loader.quarantine`) go to ``rejects`` too, when the record loads."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise SnapshotFileError(f"{name}: line {number} is not JSON ({exc})") from None
    key_idx = spec.key_indexes
    try:
        with collecting() as notes:
            built = spec.build(record)
            if spec.many:
                built = list(built)  # type: ignore[arg-type]
        text = _built_row_text(spec, built, number, key_idx, suffix)
        if notes:  # values stored as NULL in a record that loads: ops.quarantined_fields
            rejects.quarantine(number, notes, safe_record_key(spec, record))
        return text
    except RecordRejected as rej:
        rejects.add(number, rej.reason_code, field_name=rej.field, value=rej.value, detail=rej.detail,
                    record_key=rej.record_key if rej.record_key is not None else safe_record_key(spec, record))
        return None
