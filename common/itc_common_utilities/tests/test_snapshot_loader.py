"""Tests of the generic snapshot load engine on a real PostgreSQL and moto S3.

The specs here are small stand-ins over ``raw.templates`` / ``raw.audit`` so the engine is tested
on its own; the demand and Verify+ pipelines test their own builders through it.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import psycopg2
import pytest
from moto import mock_aws

from itc_common_utilities.db import TransientError
from itc_common_utilities.manifest import Manifest, ManifestError, ManifestMismatchError, data_key
from itc_common_utilities.phi import REDACTED
from itc_common_utilities.s3 import JsonlGzS3Writer, ObjectRef, SnapshotFileError, dumps_line, write_manifest
from itc_common_utilities.snapshot_loader import LoadResult, RecordRejected, TableSpec, load_snapshot

BUCKET = "landing"


def build_template(rec: dict[str, Any]) -> tuple[Any, ...]:
    if not isinstance(rec, dict) or "templateId" not in rec:
        raise RecordRejected("missing_key", "templateId", None, "templateId is missing")
    version = rec.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise RecordRejected("bad_type", "version", version, "version must be an integer")
    return (rec["templateId"], version, rec.get("templateName"), rec.get("config"))


def build_audit(rec: dict[str, Any]) -> tuple[Any, ...]:
    payload = rec.get("payload") or {}
    return (rec.get("auditRecordId"), rec.get("documentId"), None, rec.get("actionType"),
            payload.get("archiveReason"), payload.get("archiveComments"))


TEMPLATES = TableSpec("templates", "raw.templates", ("template_id", "version", "template_name",
                                                   "default_demand_config"),
                      ("template_id", "version"), build_template, record_key=lambda r: r.get("templateId"))
AUDIT = TableSpec("documents_audit", "raw.audit", ("audit_record_id", "document_id", "created_at", "action_type",
                                                   "archive_reason", "archive_comments"),
                  ("audit_record_id",), build_audit, record_key=lambda r: r.get("auditRecordId"))
SPECS = (TEMPLATES, AUDIT)


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield client


def land(s3: Any, run_id: str, tables: dict[str, list[Any]], *, source: str = "demand") -> ObjectRef:
    files = []
    for table, records in tables.items():
        with JsonlGzS3Writer(s3, BUCKET, data_key(source, run_id, table)) as writer:
            for rec in records:
                writer.write(rec)
        files.append(writer.manifest_file(table))
    manifest = Manifest(source=source, run_id=run_id, extracted_at=datetime(2026, 11, 1, tzinfo=UTC).isoformat(),
                        files=tuple(files))
    return ObjectRef(BUCKET, write_manifest(s3, BUCKET, manifest))


def templates(n: int, name: str = "Standard") -> list[dict[str, Any]]:
    return [{"templateId": f"t{i}", "version": 1, "templateName": f"{name} {i}", "config": {"a": i}}
            for i in range(n)]


def audits(n: int) -> list[dict[str, Any]]:
    return [{"auditRecordId": f"a{i}", "documentId": f"d{i}", "actionType": "DemandArchived",
             "payload": {"archiveReason": "Settled", "archiveComments": f"claimant Jane Doe {i}"}} for i in range(n)]


def table_digest(conn: Any, table: str, order: str) -> tuple[int, str]:
    with conn.cursor() as cur:
        cur.execute(f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY {order}), '')) FROM {table} t")
        count, digest = cur.fetchone()
    conn.rollback()
    return count, digest


def rows(conn: Any, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with conn.cursor() as cur:
        cur.execute(query, params)
        out = cur.fetchall()
    conn.rollback()
    return out


def test_given_a_snapshot_when_loaded_then_raw_rows_lineage_and_load_run_are_recorded(db: Any, s3: Any) -> None:
    ref = land(s3, "r1", {"templates": templates(5), "documents_audit": audits(3)})

    result = load_snapshot(db, s3, ref, SPECS, source="demand")

    assert isinstance(result, LoadResult)
    assert result.status == "loaded"
    assert (result.records, result.loaded, result.rejected, result.deleted) == (8, 8, 0, 0)
    assert rows(db, "SELECT template_id, template_name, default_demand_config, _load_id, _source_key "
                    "FROM raw.templates ORDER BY template_id LIMIT 1") == [
        ("t0", "Standard 0", {"a": 0}, result.load_id, "demand/run=r1/templates.jsonl.gz")]
    assert rows(db, "SELECT archive_reason, archive_comments FROM raw.audit WHERE audit_record_id = 'a2'") == [
        ("Settled", "claimant Jane Doe 2")]
    run = rows(db, "SELECT status, records, loaded, rejected, manifest_key, manifest_version_id IS NOT NULL, "
                   "table_counts->'templates'->>'loaded' FROM ops.load_runs")
    assert run == [("succeeded", 8, 8, 0, "demand/run=r1/_manifest.json", True, "5")]
    assert result.to_dict()["tables"]["templates"]["records"] == 5


def test_given_a_loaded_manifest_when_delivered_three_times_then_contents_are_identical_and_replays_skip(
        db: Any, s3: Any) -> None:
    ref = land(s3, "r1", {"templates": templates(20), "documents_audit": audits(10)})
    first = load_snapshot(db, s3, ref, SPECS, source="demand")
    before = [table_digest(db, "raw.templates", "template_id"), table_digest(db, "raw.audit", "audit_record_id")]

    replays = [load_snapshot(db, s3, ref, SPECS, source="demand") for _ in range(2)]

    assert [r.status for r in replays] == ["skipped", "skipped"]
    assert all(r.load_id == first.load_id for r in replays)
    assert [table_digest(db, "raw.templates", "template_id"),
            table_digest(db, "raw.audit", "audit_record_id")] == before
    assert rows(db, "SELECT count(*) FROM ops.load_runs") == [(1,)]


def test_given_a_newer_snapshot_when_loaded_then_changed_rows_update_missing_keys_go_and_unchanged_rows_keep_lineage(
        db: Any, s3: Any) -> None:
    first = load_snapshot(db, s3, land(s3, "r1", {"templates": templates(4), "documents_audit": audits(2)}),
                          SPECS, source="demand")
    newer = templates(3)  # t3 disappears
    newer[1]["templateName"] = "Renamed"
    second = load_snapshot(db, s3, land(s3, "r2", {"templates": newer, "documents_audit": audits(2)}),
                           SPECS, source="demand")

    assert rows(db, "SELECT template_id, template_name, _load_id FROM raw.templates ORDER BY 1") == [
        ("t0", "Standard 0", first.load_id), ("t1", "Renamed", second.load_id), ("t2", "Standard 2", first.load_id)]
    counts = second.tables["templates"]
    assert (counts.written, counts.unchanged, counts.deleted) == (1, 2, 1)


def test_given_bad_records_when_loaded_then_they_are_quarantined_with_reasons_and_the_rest_loads(
        db: Any, s3: Any) -> None:
    recs: list[Any] = templates(3)
    recs.append({"templateName": "no id"})                                   # line 4: missing key
    recs.append({"templateId": "t9", "version": "seven"})                    # line 5: bad type
    recs.append({"templateId": "t1", "version": 1, "templateName": "dup"})   # line 6: duplicate of line 2
    recs.append({"templateId": "t8", "version": 1, "templateName": "nul\x00byte"})  # line 7
    recs.append(["not", "an", "object"])                                     # line 8: builder rejects
    bad_audit = [*audits(2), {"auditRecordId": "a9", "documentId": "d9", "actionType": "DemandArchived",
                              "payload": {"archiveReason": "x", "archiveComments": "Jane\x00Doe"}}]
    ref = land(s3, "r1", {"templates": recs, "documents_audit": bad_audit})

    result = load_snapshot(db, s3, ref, SPECS, source="demand")

    assert (result.tables["templates"].loaded, result.tables["templates"].rejected) == (3, 5)
    assert rows(db, "SELECT template_name FROM raw.templates WHERE template_id = 't1'") == [("Standard 1",)]
    got = rows(db, "SELECT table_name, line_number, reason_code, field_name, offending_value, record_key, "
                   "source_version_id IS NOT NULL FROM ops.rejected_records ORDER BY table_name, line_number")
    assert got == [
        ("documents_audit", 3, "nul_byte", "archive_comments", REDACTED, "a9", True),
        ("templates", 4, "missing_key", "templateId", None, None, True),
        ("templates", 5, "bad_type", "version", "seven", "t9", True),
        ("templates", 6, "duplicate_key", "template_id,version", "t1/1", "t1/1", True),
        ("templates", 7, "nul_byte", "template_name", "nul\\0byte", "t8", True),
        ("templates", 8, "missing_key", "templateId", None, None, True),
    ]
    assert rows(db, "SELECT rejected FROM ops.load_runs") == [(6,)]


def _corrupt(s3: Any, key: str, how: str) -> None:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    if how == "truncated":
        data = body[: len(body) // 2]
    elif how == "not_json":
        data = gzip.compress(gzip.decompress(body).replace(b'"templateId"', b"templateId", 1), mtime=0)
    else:  # valid gzip, one record edited after the manifest was written
        data = gzip.compress(gzip.decompress(body).replace(b"New 0", b"Old 0"), mtime=0)
    s3.put_object(Bucket=BUCKET, Key=key, Body=data)


@pytest.mark.parametrize(("how", "error", "words"), [
    ("truncated", SnapshotFileError, "not a complete gzip file"),
    ("not_json", SnapshotFileError, "line 1 is not JSON"),
    ("changed", ManifestMismatchError, "(sha256 differs|bytes)"),
])
def test_given_a_corrupt_file_when_loaded_then_the_load_fails_naming_it_and_nothing_changes(
        db: Any, s3: Any, how: str, error: type[Exception], words: str) -> None:
    first = load_snapshot(db, s3, land(s3, "r1", {"templates": templates(3), "documents_audit": audits(2)}),
                          SPECS, source="demand")
    before = table_digest(db, "raw.templates", "template_id")
    ref = land(s3, "r2", {"templates": templates(5, "New"), "documents_audit": audits(4)})
    _corrupt(s3, "demand/run=r2/templates.jsonl.gz", how)

    with pytest.raises(error, match=words) as info:
        load_snapshot(db, s3, ref, SPECS, source="demand")

    assert "demand/run=r2/templates.jsonl.gz" in str(info.value)
    assert table_digest(db, "raw.templates", "template_id") == before
    assert rows(db, "SELECT count(*) FROM raw.audit") == [(2,)]
    runs = rows(db, "SELECT load_id, status, error FROM ops.load_runs ORDER BY load_id")
    assert [r[:2] for r in runs] == [(first.load_id, "succeeded"), (runs[1][0], "failed")]
    assert re.search(words, runs[1][2])
    assert rows(db, "SELECT count(*) FROM ops.rejected_records") == [(0,)]


def test_given_a_manifest_with_a_wrong_count_when_loaded_then_it_fails_and_changes_nothing(db: Any, s3: Any) -> None:
    ref = land(s3, "r1", {"templates": templates(3), "documents_audit": audits(2)})
    manifest = Manifest.from_bytes(s3.get_object(Bucket=BUCKET, Key=ref.key)["Body"].read())
    files = tuple(f if f.table != "templates" else f.__class__(f.table, f.key, 4, f.bytes, f.sha256)
                  for f in manifest.files)
    write_manifest(s3, BUCKET, Manifest(manifest.source, manifest.run_id, manifest.extracted_at, files))

    with pytest.raises(ManifestMismatchError, match="manifest says 4 records, the file has 3"):
        load_snapshot(db, s3, ref, SPECS, source="demand")

    assert rows(db, "SELECT count(*) FROM raw.templates") == [(0,)]


def test_given_a_manifest_of_another_source_or_with_a_missing_table_when_loaded_then_it_is_refused(
        db: Any, s3: Any) -> None:
    ref = land(s3, "r1", {"templates": templates(1)}, source="verifyplus")
    with pytest.raises(ManifestError, match="not 'demand'"):
        load_snapshot(db, s3, ref, SPECS, source="demand")
    ref = land(s3, "r2", {"templates": templates(1)})
    with pytest.raises(ManifestError, match="no file for table"):
        load_snapshot(db, s3, ref, SPECS, source="demand")


def test_given_an_empty_file_when_loaded_then_the_table_is_emptied(db: Any, s3: Any) -> None:
    load_snapshot(db, s3, land(s3, "r1", {"templates": templates(3), "documents_audit": audits(1)}),
                  SPECS, source="demand")
    result = load_snapshot(db, s3, land(s3, "r2", {"templates": [], "documents_audit": audits(1)}),
                           SPECS, source="demand")
    assert result.tables["templates"].deleted == 3
    assert rows(db, "SELECT count(*) FROM raw.templates") == [(0,)]


def test_given_two_loads_of_one_source_at_once_when_run_then_both_finish_and_the_last_snapshot_wins(
        db_dsn: str, s3: Any) -> None:
    refs = [land(s3, f"r{i}", {"templates": templates(50 + i), "documents_audit": audits(5)}) for i in range(2)]
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(ref: ObjectRef) -> None:
        conn = psycopg2.connect(db_dsn)
        try:
            results.append(load_snapshot(conn, s3, ref, SPECS, source="demand"))
        except BaseException as exc:
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=run, args=(ref,)) for ref in refs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert sorted(r.status for r in results) == ["loaded", "loaded"]
    conn = psycopg2.connect(db_dsn)
    last = max(results, key=lambda r: r.load_id)
    assert rows(conn, "SELECT count(*) FROM raw.templates") == [(last.tables["templates"].records,)]
    conn.close()


def test_given_a_killed_connection_when_loading_then_it_raises_transient_and_a_rerun_succeeds(
        db_dsn: str, s3: Any) -> None:
    conn = psycopg2.connect(db_dsn)
    load_snapshot(conn, s3, land(s3, "r1", {"templates": templates(3), "documents_audit": audits(1)}),
                  SPECS, source="demand")
    before = table_digest(conn, "raw.templates", "template_id")
    ref = land(s3, "r2", {"templates": templates(10, "New"), "documents_audit": audits(1)})
    with conn.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    conn.rollback()

    def killing_build(rec: dict[str, Any]) -> tuple[Any, ...]:
        if rec.get("templateId") == "t5":
            killer = psycopg2.connect(db_dsn)
            killer.autocommit = True
            with killer.cursor() as cur:
                cur.execute("SELECT pg_terminate_backend(%s)", (pid,))
            killer.close()
        return build_template(rec)

    killing = TableSpec("templates", "raw.templates", TEMPLATES.columns, TEMPLATES.key_columns, killing_build)
    with pytest.raises(TransientError):
        load_snapshot(conn, s3, ref, (killing, AUDIT), source="demand")
    assert conn.closed

    conn = psycopg2.connect(db_dsn)
    assert table_digest(conn, "raw.templates", "template_id") == before
    result = load_snapshot(conn, s3, ref, SPECS, source="demand")
    assert result.status == "loaded"
    assert rows(conn, "SELECT count(*) FROM raw.templates WHERE template_name LIKE 'New%%'") == [(10,)]
    conn.close()


def test_given_the_same_bytes_the_manifest_sha_is_the_identity(s3: Any) -> None:
    """GIVEN a landed manifest WHEN hashed THEN it matches what the loader records (sanity of the helper)."""
    ref = land(s3, "r1", {"templates": templates(1)})
    body = s3.get_object(Bucket=BUCKET, Key=ref.key)["Body"].read()
    assert len(hashlib.sha256(body).hexdigest()) == 64
    assert dumps_line({"a": 1}) == b'{"a":1}\n'


def test_given_a_duplicate_key_in_a_later_snapshot_when_upserted_then_the_first_line_wins_and_the_second_is_rejected(
        db: Any, s3: Any) -> None:
    load_snapshot(db, s3, land(s3, "r1", {"templates": templates(2), "documents_audit": audits(1)}),
                  SPECS, source="demand")
    recs = [*templates(2), {"templateId": "t0", "version": 1, "templateName": "second t0"}]
    recs[0]["templateName"] = "first t0"

    result = load_snapshot(db, s3, land(s3, "r2", {"templates": recs, "documents_audit": audits(1)}),
                           SPECS, source="demand")

    assert rows(db, "SELECT template_name FROM raw.templates WHERE template_id = 't0'") == [("first t0",)]
    assert (result.tables["templates"].loaded, result.tables["templates"].rejected) == (2, 1)
    assert rows(db, "SELECT line_number, reason_code FROM ops.rejected_records") == [(3, "duplicate_key")]


def test_given_a_builder_that_emits_a_value_postgresql_refuses_when_loaded_then_the_error_hides_the_value(
        db: Any, s3: Any) -> None:
    """GIVEN a (buggy) builder putting claimant text in an integer column WHEN loaded THEN the load fails as
    terminal, and neither the raised error nor ops.load_runs.error contains the value."""
    from itc_common_utilities.db import TerminalError

    def leaky(rec: dict[str, Any]) -> tuple[Any, ...]:
        return (rec["templateId"], "Jane Doe SSN 123", None, None)

    spec = TableSpec("templates", "raw.templates", TEMPLATES.columns, TEMPLATES.key_columns, leaky)
    ref = land(s3, "r1", {"templates": templates(2), "documents_audit": audits(1)})

    with pytest.raises(TerminalError, match="SQLSTATE 22P02") as info:
        load_snapshot(db, s3, ref, (spec, AUDIT), source="demand")

    assert "Jane" not in str(info.value)
    assert info.value.__cause__ is None
    [(error,)] = rows(db, "SELECT error FROM ops.load_runs WHERE status = 'failed'")
    assert "22P02" in error and "Jane" not in error


@pytest.mark.timeout(120)
def test_given_two_build_processes_when_loaded_then_rows_and_rejects_equal_the_in_process_load(
        db_dsn: str, s3: Any) -> None:
    recs: list[Any] = templates(2500)
    for rec in recs:
        rec["config"] = {"pad": "x" * 3000}  # batches of MBs: bigger than any pipe buffer
    recs[10] = {"templateName": "no id"}
    recs[1700] = {"templateId": "t5", "version": 1}           # duplicate of line 6
    recs[2200] = {"templateId": "tx", "version": "seven"}
    ref = land(s3, "r1", {"templates": recs, "documents_audit": audits(3)})
    digests = []
    for workers in (1, 2):
        conn = psycopg2.connect(db_dsn)
        with conn.cursor() as cur:
            cur.execute("TRUNCATE raw.templates, raw.audit, ops.rejected_records, ops.load_runs")
        conn.commit()
        result = load_snapshot(conn, s3, ref, SPECS, source="demand", workers=workers)
        digests.append((result.tables["templates"].to_dict() | {"read_ms": 0, "apply_ms": 0},
                        table_digest(conn, "raw.templates", "template_id"),
                        rows(conn, "SELECT line_number, reason_code, field_name, offending_value "
                                   "FROM ops.rejected_records ORDER BY line_number")))
        conn.close()
    assert digests[0][2] == [(11, "missing_key", "templateId", None), (1701, "duplicate_key", "template_id,version",
                                                                       "t5/1"), (2201, "bad_type", "version", "seven")]
    assert digests[0][1][0] == 2497
    assert digests[0][0] == digests[1][0]
    assert [d[2] for d in digests] == [digests[0][2]] * 2
