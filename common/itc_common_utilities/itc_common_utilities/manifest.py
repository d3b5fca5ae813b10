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


class ManifestError(ValueError):
    """A manifest that cannot be read or does not follow the contract."""


class ManifestMismatchError(ManifestError):
    """A snapshot file that differs from what its manifest says."""


@dataclass(frozen=True)
class ManifestFile:
    table: str
    key: str
    records: int
    bytes: int
    sha256: str
    version_id: str | None = None  # the S3 object version written (None: an unversioned bucket)


@dataclass(frozen=True)
class Manifest:
    source: str
    run_id: str
    extracted_at: str
    files: tuple[ManifestFile, ...] = field(default_factory=tuple)
    format: int = FORMAT_VERSION

    def to_bytes(self) -> bytes:
        body = asdict(self)
        body["files"] = [{k: v for k, v in asdict(f).items() if k != "version_id" or v is not None}
                         for f in self.files]
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
            mf = ManifestFile(
                table=need(item, "table", str, where),
                key=need(item, "key", str, where),
                records=need(item, "records", int, where),
                bytes=need(item, "bytes", int, where),
                sha256=need(item, "sha256", str, where),
                version_id=need(item, "version_id", str, where) if "version_id" in item else None,
            )
            if mf.records < 0 or mf.bytes < 0:
                raise ManifestError(f"{where} ({mf.table}) has a negative count")
            if not _SHA256.match(mf.sha256):
                raise ManifestError(f"{where} ({mf.table}) sha256 is not 64 lowercase hex digits")
            if not mf.key.startswith(snapshot_prefix(source, run_id)):
                raise ManifestError(f"{where} ({mf.table}) key {mf.key!r} is outside the snapshot's folder")
            files.append(mf)
        tables = [f.table for f in files]
        if len(set(tables)) != len(tables):
            raise ManifestError("manifest lists a table twice")
        return cls(source=source, run_id=run_id, extracted_at=extracted_at, files=tuple(files))


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
