"""Streaming JSON Lines + gzip snapshots in S3, never holding a whole object in memory.

- :class:`JsonlGzS3Writer` compresses records as they come and uploads them as a multipart upload
  in fixed-size parts, counting records, bytes and the sha256 of the stored object.
- :func:`iter_jsonl_gz` streams an object back line by line (``(line_number, bytes)``) while
  hashing what it reads; a truncated or corrupt gzip raises :class:`SnapshotFileError`.
- :func:`write_snapshot` lands a whole snapshot (a file per table, then the manifest).
- :func:`parse_object_event` turns an S3 notification, an EventBridge "Object Created" event, an SQS
  message carrying either, or a direct ``{"bucket", "key"}`` into :class:`ObjectRef` values.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

import orjson
from botocore.exceptions import ClientError

from itc_common_utilities.errors import TerminalError
from itc_common_utilities.gzlines import GzipLinesError, line_batches
from itc_common_utilities.limits import SnapshotLimits, snapshot_limits
from itc_common_utilities.manifest import Manifest, ManifestError, ManifestFile, data_key, manifest_key, sha256_hex
from itc_common_utilities.signature import ManifestMac

MIN_PART_BYTES = 5 * 1024 * 1024  # S3's minimum part size (all parts but the last)


class SnapshotFileError(ValueError):
    """A snapshot file that cannot be read: truncated or corrupt gzip, or not JSON Lines."""


@dataclass(frozen=True)
class ObjectRef:
    bucket: str
    key: str
    version_id: str | None = None


def dumps_line(record: Any) -> bytes:
    """One JSON Lines line (UTF-8, no spaces, newline-terminated)."""
    return orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS) + b"\n"


class JsonlGzS3Writer:
    """Write records to ``s3://bucket/key`` as gzip JSON Lines with bounded memory.

    Use as a context manager; after a clean exit ``records``, ``bytes`` and ``sha256`` describe
    the stored object and :meth:`manifest_file` gives its manifest entry. On an exception the
    multipart upload is aborted, so no partial object is left behind.
    """

    def __init__(self, s3_client: Any, bucket: str, key: str, *, part_bytes: int = 8 * 1024 * 1024,
                 extra_args: dict[str, Any] | None = None) -> None:
        if part_bytes < MIN_PART_BYTES:
            raise ValueError("part_bytes must be at least 5 MiB (S3's minimum part size)")
        self.s3, self.bucket, self.key, self.part_bytes = s3_client, bucket, key, part_bytes
        self.extra_args = extra_args or {}
        self.records = 0
        self.bytes = 0
        self.sha256 = ""
        self.version_id: str | None = None  # the S3 version written (a versioned bucket)
        self._hash = hashlib.sha256()
        self._pending = io.BytesIO()
        # mtime=0 and no file name: the same records always give the same bytes.
        self._gzip = gzip.GzipFile(fileobj=self._pending, mode="wb", compresslevel=6, mtime=0, filename="")
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []

    def __enter__(self) -> JsonlGzS3Writer:
        return self

    def write(self, record: Any) -> None:
        self.write_line(dumps_line(record))

    def write_line(self, line: bytes) -> None:
        self._gzip.write(line)
        self.records += 1
        if self._pending.tell() >= self.part_bytes:
            self._flush_part()

    def _flush_part(self) -> None:
        data = self._pending.getvalue()
        self._pending.seek(0)
        self._pending.truncate()
        if not data:
            return
        if self._upload_id is None:
            self._upload_id = self.s3.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, ContentType="application/x-ndjson",
                ContentEncoding="gzip", **self.extra_args,
            )["UploadId"]
        number = len(self._parts) + 1
        etag = self.s3.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self._upload_id, PartNumber=number, Body=data
        )["ETag"]
        self._parts.append({"ETag": etag, "PartNumber": number})
        self._hash.update(data)
        self.bytes += len(data)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            if self._upload_id is not None:
                self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id)
            return
        self._gzip.close()
        data = self._pending.getvalue()
        if self._upload_id is None:  # small object: one PUT
            answer = self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=data,
                                        ContentType="application/x-ndjson", ContentEncoding="gzip",
                                        **self.extra_args)
            self._hash.update(data)
            self.bytes += len(data)
        else:
            self._flush_part()
            answer = self.s3.complete_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        self.version_id = answer.get("VersionId") or None
        self.sha256 = self._hash.hexdigest()

    def manifest_file(self, table: str) -> ManifestFile:
        if not self.sha256:
            raise RuntimeError("the writer has not been closed yet")
        return ManifestFile(table=table, key=self.key, records=self.records, bytes=self.bytes, sha256=self.sha256,
                            version_id=self.version_id)


class _HashingReader(io.RawIOBase):
    """Wraps a binary stream, hashing and counting every byte read through it."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self.hash = hashlib.sha256()
        self.bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.hash.update(data)
        self.bytes += n
        return n


class JsonlGzReader:
    """Iterate ``(line_number, line_bytes)`` of a gzip JSON Lines stream; then read the file stats."""

    def __init__(self, raw: Any, *, name: str, limits: SnapshotLimits | None = None,
                 compressed_bytes: int | None = None) -> None:
        self.name = name
        self._hashing = _HashingReader(raw)
        self.records = 0
        self.limits = limits or SnapshotLimits()  # ITC_MAX_LINE_BYTES / ITC_MAX_DECOMPRESSION_RATIO (limits.py)
        self.compressed_bytes = compressed_bytes  # the object's size (S3 ContentLength), for the ratio

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        for first, lines in self.batches():
            yield from enumerate(lines, start=first)

    def batches(self) -> Iterator[tuple[int, list[bytes]]]:
        """``(first line number, [line bytes, ...])`` blocks of lines (without their ``\\n``), read at C
        speed (:mod:`itc_common_utilities.gzlines`); the hash, byte and record counts follow."""
        max_out = None if self.compressed_bytes is None else self.limits.max_decompressed_bytes(self.compressed_bytes)

        def too_big(number: int) -> str:
            return (f"{self.name}: decompresses to more than {max_out} bytes, over ITC_MAX_DECOMPRESSION_"
                    f"RATIO={self.limits.max_decompression_ratio} x its {self.compressed_bytes} compressed "
                    f"bytes (a gzip bomb?); refused at line {number}")

        try:
            for first, lines in line_batches(self._hashing.read, name=self.name,
                                             max_line_bytes=self.limits.max_line_bytes, max_bytes=max_out,
                                             too_big=too_big):
                self.records = first + len(lines) - 1
                yield first, lines
        except GzipLinesError as exc:
            raise SnapshotFileError(str(exc)) from None

    @property
    def bytes(self) -> int:
        return self._hashing.bytes

    @property
    def sha256(self) -> str:
        return self._hashing.hash.hexdigest()


def iter_jsonl_gz(s3_client: Any, bucket: str, key: str, *, version_id: str | None = None) -> JsonlGzReader:
    """Open ``s3://bucket/key`` for streaming; iterate the result for ``(line_number, bytes)``."""
    kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version_id:
        kwargs["VersionId"] = version_id
    body = s3_client.get_object(**kwargs)["Body"]
    return JsonlGzReader(body, name=key)


def parse_json_line(reader_name: str, number: int, line: bytes) -> Any:
    """Parse one line; a line that is not JSON means the file is not JSON Lines."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise SnapshotFileError(f"{reader_name}: line {number} is not JSON ({exc})") from None


def object_exists(s3_client: Any, bucket: str, key: str) -> bool:
    try:
        s3_client.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def refuse_existing_snapshot(s3_client: Any, bucket: str, source: str, run_id: str) -> None:
    """Snapshots are immutable: an extract into a run id that already has a manifest is refused before
    anything is written (a retried extract whose manifest was never written may run again)."""
    key = manifest_key(source, run_id)
    if object_exists(s3_client, bucket, key):
        raise TerminalError(f"s3://{bucket}/{key} already exists: snapshots are immutable, use a new run id")


def write_manifest(s3_client: Any, bucket: str, manifest: Manifest, *, mac: ManifestMac | None = None,
                   **extra_args: Any) -> str:
    """Write the manifest signed by ``mac`` (default: the key of ``ITC_MANIFEST_MAC_KEY_ID``,
    :mod:`itc_common_utilities.signature`), last, after every data file; return its key."""
    body = (mac or ManifestMac.from_environment()).sign(manifest)
    s3_client.put_object(Bucket=bucket, Key=manifest.key, Body=body, ContentType="application/json", **extra_args)
    return manifest.key


def write_snapshot(s3_client: Any, bucket: str, source: str, run_id: str, tables: dict[str, Iterable[Any]], *,
                   extracted_at: str | None = None) -> ObjectRef:
    """Land a whole snapshot: one JSON Lines + gzip file per table, then its manifest (last).

    ``extracted_at`` (ISO 8601) defaults to now. Returns the manifest's reference, what a load takes.
    """
    files = []
    for table, records in tables.items():
        with JsonlGzS3Writer(s3_client, bucket, data_key(source, run_id, table)) as writer:
            for record in records:
                writer.write(record)
        files.append(writer.manifest_file(table))
    manifest = Manifest(source=source, run_id=run_id, extracted_at=extracted_at or datetime.now(UTC).isoformat(),
                        files=tuple(files))
    return ObjectRef(bucket, write_manifest(s3_client, bucket, manifest))


@dataclass(frozen=True)
class LoadedManifest:
    manifest: Manifest
    sha256: str
    version_id: str | None
    ref: ObjectRef


def read_manifest(s3_client: Any, ref: ObjectRef, *, limits: SnapshotLimits | None = None) -> LoadedManifest:
    kwargs: dict[str, Any] = {"Bucket": ref.bucket, "Key": ref.key}
    if ref.version_id:
        kwargs["VersionId"] = ref.version_id
    obj = s3_client.get_object(**kwargs)
    limit = (limits or snapshot_limits()).max_manifest_bytes
    data = obj["Body"].read(limit + 1) if obj.get("ContentLength", 0) <= limit else None  # never read a big one
    if data is None or len(data) > limit:
        obj["Body"].close()
        raise ManifestError(f"s3://{ref.bucket}/{ref.key}: the manifest is larger than ITC_MAX_MANIFEST_BYTES="
                            f"{limit} bytes; refused unread")
    try:
        manifest = Manifest.from_bytes(data)
    except ManifestError as exc:
        raise ManifestError(f"s3://{ref.bucket}/{ref.key}: {exc}") from None
    if manifest.key != ref.key:
        raise ManifestError(f"s3://{ref.bucket}/{ref.key}: manifest names run {manifest.run_id!r} of "
                            f"{manifest.source!r}, which belongs at {manifest.key}")
    return LoadedManifest(manifest, sha256_hex(data), obj.get("VersionId") or ref.version_id, ref)


def parse_object_event(event: Any) -> list[ObjectRef]:
    """Object references in an S3 notification, EventBridge event, SQS batch, or direct call."""
    if not isinstance(event, dict):
        raise ValueError("event must be a JSON object")
    if "Records" in event:
        refs: list[ObjectRef] = []
        for record in event["Records"]:
            if "s3" in record:
                s3 = record["s3"]
                refs.append(ObjectRef(s3["bucket"]["name"], unquote_plus(s3["object"]["key"]),
                                      s3["object"].get("versionId")))
            elif "body" in record:  # SQS wrapping an S3 notification or EventBridge event
                refs.extend(parse_object_event(json.loads(record["body"])))
            else:
                raise ValueError("event record is neither an S3 notification nor an SQS message")
        return refs
    if event.get("detail-type") == "Object Created" or ("detail" in event and "bucket" in event["detail"]):
        detail = event["detail"]
        return [ObjectRef(detail["bucket"]["name"], detail["object"]["key"], detail["object"].get("version-id"))]
    if "bucket" in event and "key" in event:
        return [ObjectRef(event["bucket"], event["key"], event.get("version_id"))]
    raise ValueError("event names no S3 object: expected an S3/EventBridge event or {'bucket', 'key'}")
