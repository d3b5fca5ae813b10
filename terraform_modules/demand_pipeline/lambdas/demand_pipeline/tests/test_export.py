"""The export extract (demand_pipeline.export, export_merge, extract_run) on moto DynamoDB/S3 and real PostgreSQL.

moto implements ExportTableToPointInTime / DescribeExport for full exports only: it writes one data file
``<prefix>/AWSDynamoDB/<uuid>/data/<uuid>.gz`` of ``{"Item": ...}`` lines and no manifest files, and it ignores
IncrementalExportSpecification (moto/dynamodb/models/table_export.py). The incremental tests therefore write the
export's files as AWS documents them ("DynamoDB table export output format": manifest-summary.json,
manifest-files.json, data/*.json.gz of ``{"Metadata", "Keys", "OldImage", "NewImage"}`` lines;
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html) and hand the converter
the DescribeExport answer a real export would give.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import psycopg2
import pytest

from demand_pipeline import export as ddb_export
from demand_pipeline import extract_run, main
from demand_pipeline.settings import load as load_demand_settings
from demand_pipeline.tests.conftest import BUCKET
from itc_common_utilities.handler import BadEventError
from itc_common_utilities.manifest import Manifest
from itc_common_utilities.s3 import JsonlGzS3Writer
from itc_common_utilities.settings import SettingsError

EXPORTED = ("documents", "documents_metadata", "documents_audit")
LINEAGE = ("_load_id", "_source_key", "_loaded_at")


@pytest.fixture
def pitr(aws: dict[str, Any]) -> dict[str, Any]:
    """Point-in-time recovery on every Exchange table (an export needs it) and three tables in export mode."""
    for table in ("documents", "documents-metadata", "templates", "documents-audit"):
        aws["ddb"].update_continuous_backups(TableName=f"exchange-test-{table}",
                                             PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    return aws


def export_modes(monkeypatch: pytest.MonkeyPatch, tables: tuple[str, ...] = EXPORTED) -> None:
    monkeypatch.setenv("ITC_EXTRACT_MODE", json.dumps(dict.fromkeys(tables, "export")))


def snapshot_records(s3: Any, manifest_key: str) -> dict[str, list[Any]]:
    manifest = Manifest.from_bytes(s3.get_object(Bucket=BUCKET, Key=manifest_key)["Body"].read())
    out = {}
    for f in manifest.files:
        lines = gzip.decompress(s3.get_object(Bucket=BUCKET, Key=f.key)["Body"].read()).splitlines()
        out[f.table] = sorted((orjson.loads(line) for line in lines),
                              key=lambda r: orjson.dumps(r, option=orjson.OPT_SORT_KEYS))
        assert len(lines) == f.records
    return out


def raw_rows(dsn: str) -> dict[str, list[Any]]:
    conn = psycopg2.connect(dsn)
    out = {}
    with conn.cursor() as cur:
        for table in ("raw.cases", "raw.metadata", "raw.templates", "raw.audit"):
            cur.execute(f"SELECT to_jsonb(t) - %s - %s - %s FROM {table} t", LINEAGE)
            out[table] = sorted((r[0] for r in cur.fetchall()), key=lambda r: json.dumps(r, sort_keys=True))
    conn.close()
    return out


def export_state(s3: Any, table: str) -> dict[str, Any]:
    return json.loads(s3.get_object(Bucket=BUCKET, Key=ddb_export.state_key(table))["Body"].read())


def load(dsn: str, manifest_key: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("ITC_DATABASE_URL", dsn)
    result = main.handler({"mode": "load", "bucket": BUCKET, "key": manifest_key})["loads"][0]
    assert result["status"] == "loaded", result
    return result


def test_export_mode_loads_the_same_rows_as_a_scan(
        pitr: dict[str, Any], fill, db_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN the Exchange tables with PITR, three of them in export mode (a run mixes modes)
    WHEN one extract scans all four (run r1) and another exports three and scans templates (run r2)
    THEN both snapshots hold the same records (the audit filter applied to the export too), and r2, loaded by the
    real demand load after r1, leaves exactly r1's rows in raw: the same rows, nothing deleted or rejected."""
    fill()
    scanned = main.handler({"mode": "extract", "run_id": "r1"})
    export_modes(monkeypatch)

    exported = main.handler({"mode": "extract", "run_id": "r2"})

    assert [e["export_type"] for e in exported["exports"]] == ["FULL_EXPORT"] * 3
    assert (snapshot_records(pitr["s3"], exported["manifest_key"])
            == snapshot_records(pitr["s3"], scanned["manifest_key"]))
    assert {t: v["records"] for t, v in exported["tables"].items()} == {
        "documents": 10, "documents_metadata": 5, "templates": 1, "documents_audit": 5}
    load(db_dsn, scanned["manifest_key"], monkeypatch)
    rows_after_scan = raw_rows(db_dsn)
    second = load(db_dsn, exported["manifest_key"], monkeypatch)
    assert (second["records"], second["loaded"], second["rejected"], second["deleted"]) == (21, 21, 0, 0)
    assert raw_rows(db_dsn) == rows_after_scan
    state = export_state(pitr["s3"], "documents")
    assert state["snapshot_key"] == "demand/run=r2/documents.jsonl.gz" and state["export_type"] == "FULL_EXPORT"


def write_incremental_export(s3: Any, prefix: str, changes: list[dict[str, Any]]) -> dict[str, Any]:
    """The files of an incremental export as AWS writes them, and its DescribeExport answer."""
    base = f"{prefix}/AWSDynamoDB/01700000000000-abcdef12"
    data = f"{base}/data/part-0.json.gz"
    s3.put_object(Bucket=BUCKET, Key=data, Body=gzip.compress(b"".join(orjson.dumps(c) + b"\n" for c in changes)))
    files = f"{base}/manifest-files.json"
    s3.put_object(Bucket=BUCKET, Key=files, Body=orjson.dumps(
        {"itemCount": len(changes), "md5Checksum": "x", "etag": "y", "dataFileS3Key": data}) + b"\n")
    summary = f"{base}/manifest-summary.json"
    s3.put_object(Bucket=BUCKET, Key=summary, Body=orjson.dumps(
        {"version": "2023-08-01", "exportType": "INCREMENTAL_EXPORT", "outputFormat": "DYNAMODB_JSON",
         "itemCount": len(changes), "manifestFilesS3Key": files}))
    return {"ExportStatus": "COMPLETED", "ExportManifest": summary, "S3Prefix": prefix,
            "ExportType": "INCREMENTAL_EXPORT", "IncrementalExportSpecification": {
                "ExportToTime": datetime(2026, 12, 2, 5, 0, tzinfo=UTC)}}


def test_merged_incremental_equals_the_full_state(
        pitr: dict[str, Any], fill, db_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN a landed full export of documents-metadata (run r1, export state recorded)
    WHEN d0 is updated, d9 inserted and d1 deleted, and the next run (a day later) takes an incremental export
    THEN the run plans INCREMENTAL from the previous export's end, the merged file equals a scan of the table as it
    now is, and loading it leaves raw.metadata with d0 updated, d9 added and d1 gone."""
    export_modes(monkeypatch, ("documents_metadata",))
    monkeypatch.setenv("ITC_MAX_DELETE_SHARE", "0.5")
    fill()
    first = main.handler({"mode": "extract", "run_id": "r1"})
    load(db_dsn, first["manifest_key"], monkeypatch)
    ddb, table = pitr["ddb"], "exchange-test-documents-metadata"
    old_d0 = ddb.get_item(TableName=table, Key={"documentId": {"S": "d0"}})["Item"]
    old_d1 = ddb.get_item(TableName=table, Key={"documentId": {"S": "d1"}})["Item"]
    ddb.put_item(TableName=table, Item={**old_d0, "documentType": {"S": "demand-v2"}})
    ddb.put_item(TableName=table, Item={**old_d0, "documentId": {"S": "d9"}})
    ddb.delete_item(TableName=table, Key={"documentId": {"S": "d1"}})
    new = {d: ddb.get_item(TableName=table, Key={"documentId": {"S": d}})["Item"] for d in ("d0", "d9")}
    micros = {"WriteTimestampMicros": {"N": "1764651600000000"}}
    changes = [{"Metadata": micros, "Keys": {"documentId": {"S": "d0"}}, "OldImage": old_d0, "NewImage": new["d0"]},
               {"Metadata": micros, "Keys": {"documentId": {"S": "d9"}}, "NewImage": new["d9"]},
               {"Metadata": micros, "Keys": {"documentId": {"S": "d1"}}, "OldImage": old_d1}]
    settings = load_demand_settings()
    ctx = extract_run.ExtractContext(ddb, pitr["s3"], settings, "r2", main.logger, bucket_owner="123456789012")
    state = export_state(pitr["s3"], "documents_metadata")
    a_day_later = datetime.fromisoformat(state["export_to"]) + timedelta(hours=23, minutes=30)

    started = extract_run.start(ctx, now=a_day_later)
    export = started["exports"][0]
    description = write_incremental_export(pitr["s3"], ddb_export.export_prefix("documents_metadata", "r2"), changes)
    converted = ddb_export.convert_export(ddb, pitr["s3"], bucket=BUCKET, run_id="r2", export=export,
                                          description=description)
    second = extract_run.finish(ctx, started, [{"table": "documents_metadata", **converted}])

    assert (export["export_type"], export["export_from"]) == ("INCREMENTAL_EXPORT", state["export_to"])
    assert export["base_key"] == "demand/run=r1/documents_metadata.jsonl.gz"
    monkeypatch.delenv("ITC_EXTRACT_MODE")
    rescan = main.handler({"mode": "extract", "run_id": "r3"})
    merged = snapshot_records(pitr["s3"], second["manifest_key"])
    assert merged["documents_metadata"] == snapshot_records(pitr["s3"], rescan["manifest_key"])["documents_metadata"]
    result = load(db_dsn, second["manifest_key"], monkeypatch)
    assert result["deleted"] == 1
    rows = {r["document_id"]: r for r in raw_rows(db_dsn)["raw.metadata"]}
    assert sorted(rows) == ["d0", "d2", "d3", "d4", "d9"]
    assert rows["d0"]["document_type"] == "demand-v2"
    state = export_state(pitr["s3"], "documents_metadata")
    assert (state["export_type"], state["snapshot_key"]) == ("INCREMENTAL_EXPORT",
                                                             "demand/run=r2/documents_metadata.jsonl.gz")


def test_failed_export_fails_the_run_with_its_reason(
        pitr: dict[str, Any], fill, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN an export DynamoDB reports FAILED (moto: the bucket does not exist)
    WHEN the state machine's poll step runs THEN ExportFailedError (terminal) names the table and DynamoDB's
    failure, and no manifest is written."""
    fill()
    arn = pitr["ddb"].describe_table(TableName="exchange-test-documents")["Table"]["TableArn"]
    started = pitr["ddb"].export_table_to_point_in_time(TableArn=arn, S3Bucket="no-such-landing",
                                                        S3Prefix="exports/documents/r1", ExportFormat="DYNAMODB_JSON")
    export = {"table": "documents", "dynamodb_table": "exchange-test-documents", "export_type": "FULL_EXPORT",
              "export_arn": started["ExportDescription"]["ExportArn"]}
    export_modes(monkeypatch)

    with pytest.raises(ddb_export.ExportFailedError) as error:
        for _ in range(50):  # moto exports in a thread
            main.handler({"mode": "extract", "run_id": "r1", "step": "poll", "export": export})

    assert str(error.value) == ("the DynamoDB export of documents (exchange-test-documents, FULL_EXPORT) FAILED: "
                                "S3NoSuchBucket: The specified bucket does not exist")
    assert pitr["s3"].list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_given_a_table_without_pitr_when_its_export_starts_then_the_error_says_why(
        aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    export_modes(monkeypatch, ("templates",))
    with pytest.raises(ddb_export.ExportFailedError, match="cannot export exchange-test-templates: "
                                                           "PointInTimeRecoveryUnavailableException"):
        main.handler({"mode": "extract", "run_id": "r1"})
    assert aws["s3"].list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


@pytest.mark.parametrize(("since", "expected"), [
    (None, "FULL_EXPORT"), (timedelta(minutes=10), "FULL_EXPORT"), (timedelta(hours=23), "INCREMENTAL_EXPORT"),
    (timedelta(hours=24, minutes=30), "INCREMENTAL_EXPORT"), (timedelta(hours=26), "FULL_EXPORT"),
])
def test_window_rules_pick_full_or_incremental(since: timedelta | None, expected: str) -> None:
    """GIVEN the previous export
    WHEN planning
    THEN the window rules pick full or incremental."""
    now = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
    previous = None if since is None else {"export_to": (now - since).isoformat(), "snapshot_key": "k", "sha256": "s"}
    plan = ddb_export.plan_export(previous, now)
    assert plan["export_type"] == expected
    if expected == "INCREMENTAL_EXPORT":
        window = datetime.fromisoformat(plan["export_to"]) - datetime.fromisoformat(plan["export_from"])
        assert timedelta(minutes=15) <= window <= timedelta(hours=24)


def converted_peak(aws: dict[str, Any], items: int) -> tuple[int, int]:
    """(peak traced bytes of converting a full export of ``items`` ~530-byte items, its DynamoDB JSON bytes)."""
    prefix = ddb_export.export_prefix("documents", f"big{items}")
    data = f"{prefix}/AWSDynamoDB/01700000000000-big/data/part-0.json.gz"
    padding = {"S": "x" * 400}
    size = 0
    with JsonlGzS3Writer(aws["s3"], BUCKET, data) as writer:
        for i in range(items):
            line = orjson.dumps({"Item": {"documentId": {"S": f"d{i}"}, "version": {"N": "1"}, "note": padding,
                                          "sendingFirm": {"M": {"firmName": {"S": f"Firm {i % 7}"}}}}}) + b"\n"
            size += len(line)
            writer.write_line(line)
    description = {"ExportStatus": "COMPLETED", "S3Prefix": prefix, "ItemCount": items}
    export = {"table": "documents", "dynamodb_table": "exchange-test-documents", "export_arn": "arn",
              "export_type": "FULL_EXPORT", "started_at": "2026-12-02T05:00:00+00:00"}
    tracemalloc.start()
    converted = ddb_export.convert_export(aws["ddb"], aws["s3"], bucket=BUCKET, run_id=f"big{items}", export=export,
                                          description=description)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert converted["file"]["records"] == items
    return peak, size


def test_large_export_converts_in_flat_memory(aws: dict[str, Any]) -> None:
    """GIVEN full exports of 20,000 and 80,000 items (11 MB and 43 MB of DynamoDB JSON) WHEN converted
    THEN the conversion's peak Python memory does not grow with the export: items are streamed, never held
    (the peak is the reader's and writer's fixed buffers)."""
    small, _ = converted_peak(aws, 20_000)
    large, size = converted_peak(aws, 80_000)
    assert large < 1.5 * small + (2 << 20), f"peak {small / 1e6:.1f} MB (20,000 items), {large / 1e6:.1f} MB (80,000)"
    assert large < size / 2, f"peak {large / 1e6:.1f} MB for a {size / 1e6:.1f} MB export"
    # measured: 18.5 MB / 19.6 MB for a 41.8 MB export (with the line-batch reader of s3.JsonlGzReader)


@pytest.mark.parametrize(("value", "message"), [
    ("sideways", "ITC_EXTRACT_MODE='sideways' is not valid: expected scan or export"),
    ('{"documentz": "export"}', "unknown table(s) documentz"),
    ('{"documents": "fast"}', "the mode of documents must be scan or export"),
])
def test_bad_extract_mode_names_the_variable(monkeypatch: pytest.MonkeyPatch, value: str, message: str) -> None:
    """GIVEN a bad extract mode
    WHEN settings load
    THEN the error names the variable."""
    monkeypatch.setenv("ITC_LANDING_BUCKET", BUCKET)
    monkeypatch.setenv("ITC_EXTRACT_MODE", value)
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_demand_settings()


def test_given_extract_modes_when_settings_load_then_unnamed_tables_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ITC_LANDING_BUCKET", BUCKET)
    assert set(load_demand_settings().extract_modes.values()) == {"scan"}
    monkeypatch.setenv("ITC_EXTRACT_MODE", "export")
    assert set(load_demand_settings().extract_modes.values()) == {"export"}
    monkeypatch.setenv("ITC_EXTRACT_MODE", '{"documents": "export"}')
    modes = load_demand_settings({"extract_modes": {"templates": "export"}}).extract_modes
    assert modes == {"documents": "scan", "documents_metadata": "scan", "templates": "export",
                     "documents_audit": "scan"}


@pytest.mark.parametrize(("bad", "message"), [
    ({"mode": "extract", "run_id": "r1", "step": "rewind"}, "'step' must be one of start, scan, poll, convert, finish"),
    ({"mode": "extract", "run_id": "r1", "step": "poll"}, "step 'poll' needs 'export': the start step's output"),
])
def test_given_a_bad_step_when_extracting_then_the_bad_event_error_says_so(
        aws: dict[str, Any], bad: dict[str, Any], message: str) -> None:
    with pytest.raises(BadEventError, match=message):
        main.handler(bad)


def test_finish_signs_the_files_it_reads_not_the_event(pitr: dict[str, Any], fill, db_dsn: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN an export run's start and convert outputs, tampered in the finish event as anyone who may invoke
    the function could (an extra file, a changed count and sha256, ``extracted_at`` 2099)
    WHEN the finish step runs THEN the signed manifest lists exactly the run's four files with the sizes,
    sha256s, line counts and S3 versions read back from S3, dated by the step's own clock (not 2099), and
    the real load accepts it (the file checks pass)."""
    export_modes(monkeypatch, ("documents_metadata",))
    fill()
    ctx = extract_run.ExtractContext(pitr["ddb"], pitr["s3"], load_demand_settings(), "r1", main.logger,
                                     bucket_owner="123456789012")
    started = extract_run.start(ctx)
    converted = [{"table": e["table"], **extract_run.convert(ctx, e)} for e in started["exports"]]
    evil_file = {"table": "documents_evil", "key": "demand/run=r1/documents_evil.jsonl.gz", "records": 1,
                 "bytes": 10, "sha256": "0" * 64}
    tampered = {**started, "extracted_at": "2099-01-01T00:00:00+00:00",
                "files": [*started["files"], evil_file]}
    tampered["files"][0] = {**tampered["files"][0], "records": 999, "sha256": "f" * 64}
    converted[0]["file"] = {**converted[0]["file"], "records": 0}
    before = datetime.now(UTC)

    summary = extract_run.finish(ctx, tampered, converted)

    manifest = Manifest.from_bytes(pitr["s3"].get_object(Bucket=BUCKET, Key=summary["manifest_key"])["Body"].read())
    assert [f.table for f in manifest.files] == ["documents", "documents_metadata", "templates", "documents_audit"]
    for f in manifest.files:
        obj = pitr["s3"].get_object(Bucket=BUCKET, Key=f.key)
        body = obj["Body"].read()
        assert (f.bytes, f.records) == (len(body), len(gzip.decompress(body).splitlines()))
        assert f.sha256 == hashlib.sha256(body).hexdigest() and f.version_id == obj.get("VersionId")
    assert before <= datetime.fromisoformat(manifest.extracted_at) <= datetime.now(UTC)
    assert {t: v["records"] for t, v in summary["tables"].items()} == {
        "documents": 10, "documents_metadata": 5, "templates": 1, "documents_audit": 5}
    assert load(db_dsn, summary["manifest_key"], monkeypatch)["loaded"] == 21
