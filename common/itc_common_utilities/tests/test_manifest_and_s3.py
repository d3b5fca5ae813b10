"""The manifest contract and streaming JSON Lines gzip objects in S3 (moto)."""

from __future__ import annotations

import gzip
import json

import pytest
from common_testkit import BUCKET

from itc_common_utilities.manifest import (
    Manifest,
    ManifestError,
    ManifestFile,
    ManifestMismatchError,
    data_key,
    verify_file,
)
from itc_common_utilities.s3 import (
    JsonlGzS3Writer,
    ObjectRef,
    SnapshotFileError,
    iter_jsonl_gz,
    parse_json_line,
    parse_object_event,
    read_manifest,
    write_manifest,
)


def _write(s3, key, records, **kwargs):
    with JsonlGzS3Writer(s3, BUCKET, key, **kwargs) as writer:
        for record in records:
            writer.write(record)
    return writer


def test_given_records_when_written_and_read_back_then_lines_counts_and_hash_match(s3):
    records = [{"documentId": f"d{i}", "text": "tab\there \"quoted\" ✓"} for i in range(1000)]
    writer = _write(s3, data_key("demand", "r1", "documents"), records)
    reader = iter_jsonl_gz(s3, BUCKET, writer.key)
    back = [parse_json_line(reader.name, n, line) for n, line in reader]
    assert back == records
    assert (reader.records, reader.bytes, reader.sha256) == (writer.records, writer.bytes, writer.sha256)
    entry = writer.manifest_file("documents")
    assert entry.records == 1000 and len(entry.sha256) == 64


def test_given_more_data_than_a_part_when_written_then_multipart_upload_round_trips(s3):
    # incompressible-ish payload so that several 5 MiB parts are needed
    import random

    rnd = random.Random(7)
    records = [{"i": i, "blob": "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(2000))}
               for i in range(8000)]
    writer = _write(s3, data_key("demand", "r2", "documents"), records, part_bytes=5 * 1024 * 1024)
    assert writer.bytes > 10 * 1024 * 1024 and len(writer._parts) >= 2
    reader = iter_jsonl_gz(s3, BUCKET, writer.key)
    assert sum(1 for _ in reader) == 8000
    assert reader.sha256 == writer.sha256


def test_given_same_records_when_written_twice_then_bytes_are_identical(s3):
    records = [{"a": i} for i in range(100)]
    first = _write(s3, data_key("demand", "r3", "documents"), records)
    second = _write(s3, data_key("demand", "r4", "documents"), records)
    assert first.sha256 == second.sha256


def test_given_failure_while_writing_when_multipart_then_no_object_is_left(s3):
    key = data_key("demand", "r5", "documents")
    with pytest.raises(RuntimeError), JsonlGzS3Writer(s3, BUCKET, key, part_bytes=5 * 1024 * 1024) as writer:
        for i in range(3000):
            writer.write({"i": i, "x": "y" * 3000})
        raise RuntimeError("source failed")
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix=key).get("KeyCount", 0) == 0
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_given_truncated_gzip_when_read_then_snapshot_file_error_names_the_key(s3):
    body = gzip.compress(b"".join(json.dumps({"i": i}).encode() + b"\n" for i in range(5000)))
    s3.put_object(Bucket=BUCKET, Key="demand/run=x/documents.jsonl.gz", Body=body[: len(body) // 2])
    with pytest.raises(SnapshotFileError, match="documents.jsonl.gz: not a complete gzip"):
        list(iter_jsonl_gz(s3, BUCKET, "demand/run=x/documents.jsonl.gz"))


def test_given_line_that_is_not_json_when_parsed_then_error_names_line():
    with pytest.raises(SnapshotFileError, match="line 7 is not JSON"):
        parse_json_line("k", 7, b"{not json\n")


def _manifest(**overrides):
    body = {"source": "demand", "run_id": "2026-11-25T05-00-00Z", "extracted_at": "2026-11-25T05:00:00+00:00",
            "files": [{"table": "documents", "key": "demand/run=2026-11-25T05-00-00Z/documents.jsonl.gz",
                       "records": 2, "bytes": 10, "sha256": "a" * 64}]}
    body.update(overrides)
    return body


def test_manifest_round_trips_through_s3_with_sha_and_version(s3):
    """GIVEN a manifest WHEN round-tripped through S3 THEN it is equal, with its SHA-256 and version id."""
    manifest = Manifest.from_dict(_manifest())
    key = write_manifest(s3, BUCKET, manifest)
    assert key == "demand/run=2026-11-25T05-00-00Z/_manifest.json"
    loaded = read_manifest(s3, ObjectRef(BUCKET, key))
    assert loaded.manifest == manifest and len(loaded.sha256) == 64 and loaded.version_id


@pytest.mark.parametrize(("change", "message"), [
    ({"source": "crm"}, "source 'crm' is not one of"),
    ({"run_id": "../etc"}, "run id"),
    ({"extracted_at": "yesterday"}, "not an ISO 8601"),
    ({"files": [{"table": "documents"}]}, "missing 'key'"),
    ({"files": [dict(_manifest()["files"][0], records="2")]}, "'records' must be int"),
    ({"files": [dict(_manifest()["files"][0], key="verifyplus/run=x/requests.jsonl.gz")]}, "outside the snapshot"),
    ({"files": [dict(_manifest()["files"][0], sha256="xyz")]}, "sha256 is not 64"),
])
def test_given_malformed_manifest_when_parsed_then_error_names_the_problem(change, message):
    with pytest.raises(ManifestError, match=message):
        Manifest.from_dict(_manifest(**change))


def test_given_manifest_not_json_when_parsed_then_clear_error():
    with pytest.raises(ManifestError, match="not JSON"):
        Manifest.from_bytes(b"{oops")


def test_given_file_stats_when_verified_then_first_mismatch_is_named():
    expected = ManifestFile("documents", "demand/run=r/documents.jsonl.gz", records=2, bytes=10, sha256="a" * 64)
    verify_file(expected, records=2, bytes_=10, sha256="a" * 64)
    with pytest.raises(ManifestMismatchError, match="manifest says 10 bytes, the file has 9"):
        verify_file(expected, records=2, bytes_=9, sha256="b" * 64)
    with pytest.raises(ManifestMismatchError, match="sha256 differs"):
        verify_file(expected, records=2, bytes_=10, sha256="b" * 64)
    with pytest.raises(ManifestMismatchError, match="manifest says 2 records, the file has 3"):
        verify_file(expected, records=3, bytes_=10, sha256="a" * 64)


def test_given_each_event_shape_when_parsed_then_object_refs_come_out():
    s3_event = {"Records": [{"s3": {"bucket": {"name": "b"}, "object": {"key": "demand/run%3D1/_manifest.json",
                                                                       "versionId": "v1"}}}]}
    eventbridge = {"detail-type": "Object Created",
                   "detail": {"bucket": {"name": "b"}, "object": {"key": "demand/run=1/_manifest.json",
                                                                  "version-id": "v1"}}}
    sqs = {"Records": [{"body": json.dumps(eventbridge)}]}
    direct = {"bucket": "b", "key": "demand/run=1/_manifest.json", "version_id": "v1"}
    expected = [ObjectRef("b", "demand/run=1/_manifest.json", "v1")]
    for event in (s3_event, eventbridge, sqs, direct):
        assert parse_object_event(event) == expected
    with pytest.raises(ValueError, match="names no S3 object"):
        parse_object_event({"mode": "load"})
