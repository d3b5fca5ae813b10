"""Reading a snapshot: the manifest against the specs, each file checked against the manifest; a
corrupt file or a wrong manifest fails the whole load and changes nothing."""

from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import replace
from typing import Any

import pytest
from common_testkit import BUCKET, SPECS, audits, land, rows, table_digest, templates

from itc_common_utilities.loader import load_snapshot
from itc_common_utilities.manifest import Manifest, ManifestError, ManifestMismatchError
from itc_common_utilities.s3 import SnapshotFileError, dumps_line, write_manifest


def _corrupt(s3: Any, key: str, how: str, manifest_key: str) -> None:
    """Overwrite ``key`` and point the (re-signed) manifest at the new version: the bucket is versioned and a
    load reads the version its manifest names, so a corrupt file can only come in as a version it names."""
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    if how == "truncated":
        data = body[: len(body) // 2]
    elif how == "not_json":
        data = gzip.compress(gzip.decompress(body).replace(b'"templateId"', b"templateId", 1), mtime=0)
    else:  # valid gzip, one record edited after the manifest was written
        data = gzip.compress(gzip.decompress(body).replace(b"New 0", b"Old 0"), mtime=0)
    version = s3.put_object(Bucket=BUCKET, Key=key, Body=data)["VersionId"]
    manifest = Manifest.from_bytes(s3.get_object(Bucket=BUCKET, Key=manifest_key)["Body"].read())
    files = tuple(replace(f, version_id=version) if f.key == key else f for f in manifest.files)
    write_manifest(s3, BUCKET, replace(manifest, files=files))


@pytest.mark.parametrize(("how", "error", "words"), [
    ("truncated", SnapshotFileError, "not a complete gzip file"),
    ("not_json", SnapshotFileError, "line 1 is not JSON"),
    ("changed", ManifestMismatchError, "(sha256 differs|bytes)"),
])
def test_corrupt_file_fails_naming_it(db: Any, s3: Any, how: str, error: type[Exception], words: str) -> None:
    """GIVEN a corrupt file
    WHEN loaded
    THEN the load fails naming it and nothing changes."""
    first = load_snapshot(db, s3, land(s3, "r1", {"templates": templates(3), "documents_audit": audits(2)}),
                          SPECS, source="demand")
    before = table_digest(db, "raw.templates", "template_id")
    ref = land(s3, "r2", {"templates": templates(5, "New"), "documents_audit": audits(4)})
    _corrupt(s3, "demand/run=r2/templates.jsonl.gz", how, ref.key)

    with pytest.raises(error, match=words) as info:
        load_snapshot(db, s3, ref, SPECS, source="demand")

    assert "demand/run=r2/templates.jsonl.gz" in str(info.value)
    assert table_digest(db, "raw.templates", "template_id") == before
    assert rows(db, "SELECT count(*) FROM raw.audit") == [(2,)]
    runs = rows(db, "SELECT load_id, status, error FROM ops.load_runs ORDER BY load_id")
    assert [r[:2] for r in runs] == [(first.load_id, "succeeded"), (runs[1][0], "failed")]
    assert re.search(words, runs[1][2])
    assert rows(db, "SELECT count(*) FROM ops.rejected_records") == [(0,)]


def test_wrong_manifest_count_fails_and_changes_nothing(db: Any, s3: Any) -> None:
    """GIVEN a manifest with a wrong count
    WHEN loaded
    THEN it fails and changes nothing."""
    ref = land(s3, "r1", {"templates": templates(3), "documents_audit": audits(2)})
    manifest = Manifest.from_bytes(s3.get_object(Bucket=BUCKET, Key=ref.key)["Body"].read())
    files = tuple(f if f.table != "templates" else f.__class__(f.table, f.key, 4, f.bytes, f.sha256)
                  for f in manifest.files)
    write_manifest(s3, BUCKET, Manifest(manifest.source, manifest.run_id, manifest.extracted_at, files))

    with pytest.raises(ManifestMismatchError, match="manifest says 4 records, the file has 3"):
        load_snapshot(db, s3, ref, SPECS, source="demand")

    assert rows(db, "SELECT count(*) FROM raw.templates") == [(0,)]


def test_foreign_or_incomplete_manifest_is_refused(db: Any, s3: Any) -> None:
    """GIVEN a manifest of another source or with a missing table
    WHEN loaded
    THEN it is refused."""
    ref = land(s3, "r1", {"templates": templates(1)}, source="verifyplus")
    with pytest.raises(ManifestError, match="not 'demand'"):
        load_snapshot(db, s3, ref, SPECS, source="demand")
    ref = land(s3, "r2", {"templates": templates(1)})
    with pytest.raises(ManifestError, match="no file for table"):
        load_snapshot(db, s3, ref, SPECS, source="demand")


def test_given_the_same_bytes_the_manifest_sha_is_the_identity(s3: Any) -> None:
    """GIVEN a landed manifest WHEN hashed THEN it matches what the loader records (sanity of the helper)."""
    ref = land(s3, "r1", {"templates": templates(1)})
    body = s3.get_object(Bucket=BUCKET, Key=ref.key)["Body"].read()
    assert len(hashlib.sha256(body).hexdigest()) == 64
    assert dumps_line({"a": 1}) == b'{"a":1}\n'
