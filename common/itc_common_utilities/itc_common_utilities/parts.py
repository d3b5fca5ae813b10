"""Reading a snapshot file that may be in parts: one stream, whether the table is one file or several.

A table scanned in parts (:class:`~itc_common_utilities.manifest.ManifestFile` with ``parts``) is read as its
parts' bytes one after the other: each part is a whole gzip stream, so the sequence is one gzip stream of several
members, and its lines are the table's lines. :class:`PartsStream` reads each part at the S3 version the manifest
names and checks it against its manifest entry (size, then sha256) the moment it ends, naming the part; the
table's own entry (records, bytes, sha256 of the whole sequence) is checked by the caller as for a single file
(:func:`itc_common_utilities.manifest.verify_file`). A table in one file is read exactly as before.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from itc_common_utilities.manifest import ManifestFile, ManifestMismatchError, ManifestPart


@dataclass(frozen=True)
class OpenedFile:
    """A snapshot file opened for streaming: the raw (gzip) stream, its compressed size, its S3 version."""

    raw: Any
    compressed_bytes: int | None
    version_id: str | None


class PartsStream:
    """The bytes of a table's parts, in order, each part checked against the manifest as it ends."""

    def __init__(self, s3_client: Any, bucket: str, table: str, parts: tuple[ManifestPart, ...]) -> None:
        self.s3, self.bucket, self.table, self.parts = s3_client, bucket, table, parts
        self._index = -1
        self._body: Any = None
        self._hash = hashlib.sha256()
        self._bytes = 0

    def _open_next(self) -> bool:
        if self._body is not None:
            self._check(self.parts[self._index])
        self._index += 1
        if self._index >= len(self.parts):
            self._body = None
            return False
        part = self.parts[self._index]
        version = {"VersionId": part.version_id} if part.version_id else {}  # the version the extract wrote
        self._body = self.s3.get_object(Bucket=self.bucket, Key=part.key, **version)["Body"]
        self._hash, self._bytes = hashlib.sha256(), 0
        return True

    def _check(self, part: ManifestPart) -> None:
        where = f"{part.key} (part {self._index + 1} of {len(self.parts)} of {self.table})"
        if self._bytes != part.bytes:
            raise ManifestMismatchError(f"{where}: manifest says {part.bytes} bytes, the part has {self._bytes}")
        if self._hash.hexdigest() != part.sha256:
            raise ManifestMismatchError(f"{where}: sha256 differs from the manifest (part changed or corrupt)")

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes of the current part (b"" once every part is read and checked)."""
        while True:
            if self._body is None and not (self._index < 0 and self._open_next()):
                return b""
            data = self._body.read(size if size and size > 0 else -1)
            if data:
                self._hash.update(data)
                self._bytes += len(data)
                return data
            if not self._open_next():
                return b""


def open_snapshot_file(s3_client: Any, bucket: str, expected: ManifestFile) -> OpenedFile:
    """Open one table's snapshot file, or its parts as one stream, at the versions the manifest names."""
    if expected.parts:
        return OpenedFile(PartsStream(s3_client, bucket, expected.table, expected.parts), expected.bytes, None)
    version = {"VersionId": expected.version_id} if expected.version_id else {}  # the version the extract wrote
    obj = s3_client.get_object(Bucket=bucket, Key=expected.key, **version)
    return OpenedFile(obj["Body"], obj.get("ContentLength"), obj.get("VersionId"))
