"""Merge an incremental DynamoDB export into the table's previous full snapshot file: a new FULL snapshot file.

The load contract is a full snapshot per table (the load deletes the keys a snapshot lacks), and an incremental
export holds only the items changed in its window. Its data files are DynamoDB JSON lines, one per changed item
(the export is compacted: an item's last change in the window), as AWS documents them ("DynamoDB table export
output format", incremental export output,
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html)::

    {"Metadata": {"WriteTimestampMicros": {"N": "1680109764000000"}},
     "Keys": {"documentId": {"S": "d1"}}, "OldImage": {...}, "NewImage": {...}}

an insert has ``Keys`` + ``NewImage``, an update ``Keys`` + ``OldImage`` + ``NewImage``, a delete ``Keys`` (+
``OldImage`` with ``NEW_AND_OLD_IMAGES``) and no ``NewImage``.

How, in memory that does not grow with the table or with the changes:

1. the changes go into a SQLite file in a temporary directory (key -> the item's new line, or a deletion; the
   latest ``WriteTimestampMicros`` wins), so memory stays at SQLite's page cache (disk: about the changes' size);
2. the previous snapshot file (``base_key``, its sha256 recorded with the export state and checked as it is
   streamed) is read line by line: an unchanged item's line is copied as it is, a changed one replaced by its
   new image, a deleted one dropped;
3. the changed items the previous snapshot did not hold (inserts) are appended.

A key is the item's key attributes, typing removed (:func:`values.deep_plain`, as every snapshot line is
written), as sorted JSON: the same bytes from an export's ``Keys`` and from a snapshot line.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from demand_pipeline.builders.values import deep_plain
from demand_pipeline.extract import item_line
from itc_common_utilities.errors import TerminalError
from itc_common_utilities.s3 import JsonlGzReader, JsonlGzS3Writer, parse_json_line

_BATCH = 5_000
_UPSERT = ("INSERT INTO changes (key, ts, line) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE "
           "SET ts = excluded.ts, line = excluded.line WHERE excluded.ts >= changes.ts")


def _key(values: dict[str, Any]) -> bytes:
    return orjson.dumps(values, option=orjson.OPT_SORT_KEYS)


def _change_rows(changes: Iterable[dict[str, Any]], keep: Callable[[dict[str, Any]], bool],
                 names: list[str]) -> Iterable[tuple[bytes, int, bytes | None]]:
    for change in changes:
        keys = change.get("Keys")
        if not isinstance(keys, dict) or not keys:
            raise TerminalError("an incremental export line has no 'Keys' (not an incremental export?)")
        if not names:
            names.extend(sorted(keys))
        elif sorted(keys) != names:
            raise TerminalError(f"an incremental export line has keys {sorted(keys)}, others {names}")
        micros = change.get("Metadata", {}).get("WriteTimestampMicros", {}).get("N", "0")
        image = change.get("NewImage")
        line = item_line(image) if isinstance(image, dict) and keep(image) else None  # None: not in the snapshot
        yield _key(deep_plain({"M": keys})), int(micros), line


def merge_incremental(s3_client: Any, bucket: str, export: dict[str, Any], changes: Iterable[dict[str, Any]],
                      writer: JsonlGzS3Writer, *, keep: Callable[[dict[str, Any]], bool]) -> dict[str, int]:
    """Write previous snapshot file + ``changes`` (incremental export lines) to ``writer``; return the counts."""
    counts = {"unchanged": 0, "updated": 0, "deleted": 0, "inserted": 0, "changes": 0}
    with tempfile.TemporaryDirectory(prefix="itc-merge-") as tmp:
        db = sqlite3.connect(os.path.join(tmp, "changes.sqlite"))
        try:
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
            db.execute("CREATE TABLE changes (key BLOB PRIMARY KEY, ts INTEGER NOT NULL, line BLOB, "
                       "seen INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID")
            names: list[str] = []
            batch: list[tuple[bytes, int, bytes | None]] = []
            for row in _change_rows(changes, keep, names):
                counts["changes"] += 1
                batch.append(row)
                if len(batch) >= _BATCH:
                    db.executemany(_UPSERT, batch)
                    batch.clear()
            db.executemany(_UPSERT, batch)
            _merge_base(s3_client, bucket, export, db, names=names, writer=writer, counts=counts)
            for (line,) in db.execute("SELECT line FROM changes WHERE seen = 0 AND line IS NOT NULL ORDER BY key"):
                writer.write_line(line)
                counts["inserted"] += 1
        finally:
            db.close()
    return counts


def _merge_base(s3_client: Any, bucket: str, export: dict[str, Any], db: sqlite3.Connection, *, names: list[str],
                writer: JsonlGzS3Writer, counts: dict[str, int]) -> None:
    key, sha256 = export["base_key"], export["base_sha256"]
    obj = s3_client.get_object(Bucket=bucket, Key=key)
    reader = JsonlGzReader(obj["Body"], name=key, compressed_bytes=obj.get("ContentLength"))
    for number, raw in reader:
        line = raw.rstrip(b"\r\n") + b"\n"
        if not line.strip():
            continue
        if not names:  # no change at all: every line is copied
            writer.write_line(line)
            counts["unchanged"] += 1
            continue
        record = parse_json_line(key, number, line)
        item_key = _key({n: record.get(n) for n in names}) if isinstance(record, dict) else b""
        hit = db.execute("SELECT line FROM changes WHERE key = ?", (item_key,)).fetchone()
        if hit is None:
            writer.write_line(line)
            counts["unchanged"] += 1
            continue
        db.execute("UPDATE changes SET seen = 1 WHERE key = ?", (item_key,))
        if hit[0] is None:
            counts["deleted"] += 1
        else:
            writer.write_line(hit[0])
            counts["updated"] += 1
    if reader.sha256 != sha256:
        raise TerminalError(f"s3://{bucket}/{key}: the previous snapshot file differs from the one the export state "
                            f"recorded (sha256); refusing to merge onto it. Delete exports/{export['table']}/"
                            f"_state.json to take a full export instead.")
