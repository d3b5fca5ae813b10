"""The landing-snapshot manifest (docs/design.md §3), written last, read first.

``s3://<landing>/<source>/run=<run_id>/_manifest.json``::

    {"format": 1, "source": "demand", "run_id": "...", "extracted_at": "2026-11-25T05:00:00+00:00",
     "files": [{"table": "documents", "key": "demand/run=.../documents.jsonl.gz",
                "records": 1000, "bytes": 12345, "sha256": "...", "version_id": "..."}]}

A load checks every file against it before changing anything; :func:`verify_file` names the first
mismatch. The manifest's own sha256 identifies a snapshot for idempotent loads. ``version_id`` is the
S3 version the extract wrote (the landing bucket is versioned): the load reads that version, so a file
overwritten later cannot change what a replay loads. A file entry without it (an unversioned bucket:
local runs and older manifests) is read as the current object, and its sha256 still refuses any change.

A table scanned in parts (the segmented scan, docs/adr/0013-segmented-scan-extract.md) has one entry whose
``parts`` list each part file in order: ``<table>/part-00000-of-00004.jsonl.gz`` ... ``part-00003-of-00004``.
The entry's ``key`` is the parts' folder (``demand/run=.../documents/``), its ``records`` and ``bytes`` the sums
of its parts', its ``sha256`` that of the parts' bytes read one after the other (a gzip stream of several
members: exactly what the load reads). A part missing, extra, out of order or named for another count is
refused here; a part whose bytes differ is refused by the load (:mod:`itc_common_utilities.parts`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

MANIFEST_NAME = "_manifest.json"
FORMAT_VERSION = 1
SOURCES = ("demand", "verifyplus")
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
PART_DIGITS = 5  # part-00003-of-00008
MAX_PARTS = 99_999
_PART_NAME = re.compile(r"^part-(\d{5})-of-(\d{5})\.jsonl\.gz$")


class ManifestError(ValueError):
    """A manifest that cannot be read or does not follow the contract."""


class ManifestMismatchError(ManifestError):
    """A snapshot file that differs from what its manifest says."""


@dataclass(frozen=True)
class ManifestPart:
    """One part file of a table scanned in parts (its own size, hash, line count and S3 version)."""

    key: str
    records: int
    bytes: int
    sha256: str
    version_id: str | None = None


@dataclass(frozen=True)
class ManifestFile:
    table: str
    key: str
    records: int
    bytes: int
    sha256: str
    version_id: str | None = None  # the S3 object version written (None: an unversioned bucket)
    parts: tuple[ManifestPart, ...] = ()  # a table scanned in parts: its part files in order (key: their folder)


@dataclass(frozen=True)
class Manifest:
    source: str
    run_id: str
    extracted_at: str
    files: tuple[ManifestFile, ...] = field(default_factory=tuple)
    format: int = FORMAT_VERSION

    def to_bytes(self) -> bytes:
        body = asdict(self)
        body["files"] = [_file_body(f) for f in self.files]
        return json.dumps(body, indent=2, sort_keys=True).encode("utf-8")

    @property
    def key(self) -> str:
        return manifest_key(self.source, self.run_id)

    def file_for(self, table: str) -> ManifestFile:
        for f in self.files:
            if f.table == table:
                return f
        raise ManifestError(f"manifest of {self.source} run {self.run_id} has no file for table {table!r}")

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        try:
            body = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ManifestError(f"manifest is not JSON: {exc.msg if hasattr(exc, 'msg') else exc}") from None
        if not isinstance(body, dict):
            raise ManifestError("manifest is not a JSON object")
        return cls.from_dict(body)

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> Manifest:
        def need(obj: dict[str, Any], name: str, kind: type, where: str) -> Any:
            if name not in obj:
                raise ManifestError(f"{where} is missing {name!r}")
            value = obj[name]
            if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
                raise ManifestError(f"{where} field {name!r} must be {kind.__name__}, got {type(value).__name__}")
            return value

        if body.get("format", FORMAT_VERSION) != FORMAT_VERSION:
            raise ManifestError(f"manifest format {body.get('format')!r} is not supported (expected {FORMAT_VERSION})")
        source = need(body, "source", str, "manifest")
        if source not in SOURCES:
            raise ManifestError(f"manifest source {source!r} is not one of {', '.join(SOURCES)}")
        run_id = need(body, "run_id", str, "manifest")
        validate_run_id(run_id)
        extracted_at = need(body, "extracted_at", str, "manifest")
        try:
            datetime.fromisoformat(extracted_at)
        except ValueError:
            raise ManifestError(f"manifest extracted_at {extracted_at!r} is not an ISO 8601 time") from None
        files = []
        for i, item in enumerate(need(body, "files", list, "manifest")):
            where = f"manifest file #{i + 1}"
            if not isinstance(item, dict):
                raise ManifestError(f"{where} is not an object")
            table = need(item, "table", str, where)
            parts = tuple(_read_part(need, part, f"{where} ({table}) part #{n + 1}")
                          for n, part in enumerate(need(item, "parts", list, where) if "parts" in item else []))
            mf = ManifestFile(
                table=table,
                key=need(item, "key", str, where),
                records=need(item, "records", int, where),
                bytes=need(item, "bytes", int, where),
                sha256=need(item, "sha256", str, where),
                version_id=need(item, "version_id", str, where) if "version_id" in item else None,
                parts=parts,
            )
            for entry, name in ((mf, f"{where} ({mf.table})"), *((p, f"{where} ({mf.table}) part {p.key!r}")
                                                                 for p in parts)):
                if entry.records < 0 or entry.bytes < 0:
                    raise ManifestError(f"{name} has a negative count")
                if not _SHA256.match(entry.sha256):
                    raise ManifestError(f"{name} sha256 is not 64 lowercase hex digits")
            if not mf.key.startswith(snapshot_prefix(source, run_id)):
                raise ManifestError(f"{where} ({mf.table}) key {mf.key!r} is outside the snapshot's folder")
            if "parts" in item:
                check_parts(mf, source, run_id, where=where)
            files.append(mf)
        tables = [f.table for f in files]
        if len(set(tables)) != len(tables):
            raise ManifestError("manifest lists a table twice")
        return cls(source=source, run_id=run_id, extracted_at=extracted_at, files=tuple(files))


def _file_body(f: ManifestFile) -> dict[str, Any]:
    body = {k: v for k, v in asdict(f).items() if (k != "version_id" or v is not None) and k != "parts"}
    if f.parts:  # a file in one piece is written exactly as before parts existed
        body["parts"] = [{k: v for k, v in asdict(p).items() if k != "version_id" or v is not None}
                         for p in f.parts]
    return body


def _read_part(need: Any, item: Any, where: str) -> ManifestPart:
    if not isinstance(item, dict):
        raise ManifestError(f"{where} is not an object")
    return ManifestPart(key=need(item, "key", str, where), records=need(item, "records", int, where),
                        bytes=need(item, "bytes", int, where), sha256=need(item, "sha256", str, where),
                        version_id=need(item, "version_id", str, where) if "version_id" in item else None)


def check_parts(mf: ManifestFile, source: str, run_id: str, *, where: str = "manifest") -> None:
    """Refuse a parts list that is not exactly ``part-00000-of-N`` ... ``part-(N-1)-of-N`` of the table's folder
    (a part missing, extra, repeated or out of order), or whose sums differ from the table's entry."""
    name = f"{where} ({mf.table})"
    if not mf.parts:
        raise ManifestError(f"{name} lists no parts")
    if len(mf.parts) > MAX_PARTS:
        raise ManifestError(f"{name} lists {len(mf.parts)} parts, more than {MAX_PARTS}")
    if mf.key != parts_folder(source, run_id, mf.table):
        raise ManifestError(f"{name}: a table in parts must have its parts' folder "
                            f"{parts_folder(source, run_id, mf.table)!r} as key, not {mf.key!r}")
    total = len(mf.parts)
    for index, part in enumerate(mf.parts):
        expected = part_key(source, run_id, mf.table, index, total)
        if part.key != expected:
            found = parse_part_key(part.key, parts_folder(source, run_id, mf.table))
            why = ("a part of another count: parts missing or extra" if found and found[1] != total
                   else "a part missing, repeated or out of order")
            raise ManifestError(f"{name}: part #{index + 1} is {part.key!r}, expected {expected!r} ({why})")
    if mf.records != sum(p.records for p in mf.parts) or mf.bytes != sum(p.bytes for p in mf.parts):
        raise ManifestError(f"{name}: records or bytes differ from the sums of its {total} parts")
    if mf.version_id is not None:
        raise ManifestError(f"{name}: a table in parts has no version of its own (each part has one)")


def validate_run_id(run_id: str) -> str:
    if not _RUN_ID.match(run_id):
        raise ManifestError(
            f"run id {run_id!r} must be 1-128 characters of letters, digits, '_', '.', ':' or '-'"
        )
    return run_id


def snapshot_prefix(source: str, run_id: str) -> str:
    return f"{source}/run={run_id}/"


def manifest_key(source: str, run_id: str) -> str:
    return snapshot_prefix(source, run_id) + MANIFEST_NAME


def data_key(source: str, run_id: str, table: str) -> str:
    return f"{snapshot_prefix(source, run_id)}{table}.jsonl.gz"


def parts_folder(source: str, run_id: str, table: str) -> str:
    """The folder of a table's part files (the key of its manifest entry)."""
    return f"{snapshot_prefix(source, run_id)}{table}/"


def part_key(source: str, run_id: str, table: str, index: int, total: int) -> str:
    """``<source>/run=<run_id>/<table>/part-00003-of-00008.jsonl.gz`` (``index`` counts from 0)."""
    if not 0 <= index < total <= MAX_PARTS:
        raise ManifestError(f"part {index} of {total} is not a part number (0 <= part < parts <= {MAX_PARTS})")
    return f"{parts_folder(source, run_id, table)}part-{index:0{PART_DIGITS}d}-of-{total:0{PART_DIGITS}d}.jsonl.gz"


def parse_part_key(key: str, folder: str) -> tuple[int, int] | None:
    """``(index, total)`` of a part file's key directly under ``folder``, or None for any other key."""
    if not key.startswith(folder):
        return None
    m = _PART_NAME.match(key[len(folder):])
    return (int(m.group(1)), int(m.group(2))) if m else None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify_file(expected: ManifestFile, *, records: int | None, bytes_: int, sha256: str) -> None:
    """Raise :class:`ManifestMismatchError` naming the first difference (size, hash, then count)."""
    where = f"{expected.key} ({expected.table})"
    if bytes_ != expected.bytes:
        raise ManifestMismatchError(f"{where}: manifest says {expected.bytes} bytes, the file has {bytes_}")
    if sha256 != expected.sha256:
        raise ManifestMismatchError(f"{where}: sha256 differs from the manifest (file changed or corrupt)")
    if records is not None and records != expected.records:
        raise ManifestMismatchError(f"{where}: manifest says {expected.records} records, the file has {records}")
