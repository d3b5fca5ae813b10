"""The four demand tables staged at once (``workers`` > 1, loader/parallel.py, docs/adr/0015): the same raw
rows, rejects, quarantined fields and run records as the table-after-table load in one process; a table
that cannot be staged applies nothing, the error and the run record name it, and a retry loads.

Real PostgreSQL (two fresh migrated databases), moto S3, the real demand load and builders.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from typing import Any

import orjson
import psycopg2
import pytest

from demand_pipeline.load import load
from itc_common_utilities.manifest import Manifest, data_key
from itc_common_utilities.s3 import JsonlGzS3Writer, ObjectRef, SnapshotFileError, write_manifest
from itc_common_utilities.timestamps import TimeWindow
from scripts.stack.testdb import create_database, drop_database
from scripts.synthetic.exchange import ExchangeConfig, iter_records

BUCKET = "itc-test-at-once"
WINDOW = TimeWindow.default()
RAW = {"documents": ("raw.cases", "document_id, version"), "documents_metadata": ("raw.metadata", "document_id"),
       "templates": ("raw.templates", "template_id, version"), "documents_audit": ("raw.audit", "audit_record_id")}
# the columns of ops.load_runs a user reads (ids and clock times aside)
RUN_COLUMNS = ("source, run_id, manifest_key, manifest_sha256, status, records, loaded, rejected, deleted, "
               "table_counts, error")


@pytest.fixture
def s3(moto_s3: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The landing bucket in moto; the snapshots reject, and the later one deletes, far past a normal day's
    share on purpose (the guards are tested in test_load_guards.py)."""
    monkeypatch.setenv("ITC_MAX_REJECT_SHARE", "0.5")
    monkeypatch.setenv("ITC_MAX_DELETE_SHARE", "1.0")
    return moto_s3(BUCKET)


def snapshot_lines(demands: int, seed: int) -> dict[str, list[bytes]]:
    """A generated snapshot in every form (typed, JSON text, malformed, mixed time units), with one documents
    record repeated at the end (a duplicate natural key: the direct COPY's fallback to staging) and templates
    with long non-ASCII names (multi-byte characters across the COPY's read blocks)."""
    config = ExchangeConfig(demands=demands, seed=seed, dynamo_share=0.3, json_string_share=0.3,
                            malformed_share=0.05, big_string_chars=60_000, time_unit="mixed")
    tables: dict[str, list[bytes]] = {t: [] for t in RAW}
    for table, record in iter_records(config):
        tables[table].append(orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS))
    tables["documents"].append(tables["documents"][0])
    tables["templates"] += [orjson.dumps({"templateId": f"modèle-{seed}-{i}", "version": 1,
                                          "templateName": f"Modèle n° {i} — " + "é€😀" * 1500}) for i in range(300)]
    return tables


def land(s3: Any, run_id: str, tables: dict[str, list[bytes]], extracted_at: str) -> ObjectRef:
    files = []
    for table, lines in tables.items():
        with JsonlGzS3Writer(s3, BUCKET, data_key("demand", run_id, table)) as writer:
            for line in lines:
                writer.write_line(line + b"\n")
        files.append(writer.manifest_file(table))
    return ObjectRef(BUCKET, write_manifest(s3, BUCKET, Manifest("demand", run_id, extracted_at, tuple(files))))


def warehouse(dsn: str) -> dict[str, Any]:
    """Every raw row (load id and load time aside), reject, quarantined field and run record, as a user reads them."""
    conn = psycopg2.connect(dsn)
    out: dict[str, Any] = {}
    with conn.cursor() as cur:
        for table, order in RAW.values():
            cur.execute(f"SELECT to_jsonb(t) - '_load_id' - '_loaded_at' FROM {table} t ORDER BY {order}")
            out[table] = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT r.run_id, table_name, line_number, reason_code, field_name, detail, offending_value, "
                    "record_key FROM ops.rejected_records JOIN ops.load_runs r USING (load_id) "
                    "ORDER BY 1, 2, 3, 4")
        out["rejects"] = cur.fetchall()
        cur.execute("SELECT r.run_id, table_name, line_number, reason_code, field_name, detail, offending_value, "
                    "record_key, unit_at_risk FROM ops.quarantined_fields JOIN ops.load_runs r USING (load_id) "
                    "ORDER BY 1, 2, 3, 5")
        out["quarantined"] = cur.fetchall()
        cur.execute(f"SELECT {RUN_COLUMNS} FROM ops.load_runs ORDER BY load_id")
        out["runs"] = [_without_timings(row) for row in cur.fetchall()]
    conn.close()
    return out


def _without_timings(run: tuple[Any, ...]) -> tuple[Any, ...]:
    counts = {t: {k: v for k, v in c.items() if not k.endswith("_ms")} for t, c in (run[9] or {}).items()}
    return (*run[:9], counts, run[10])


@pytest.mark.timeout(600)
def test_two_workers_load_the_four_tables_like_one_process(
        s3: Any, db_dsn: str, pg_server_dsn: str, template_db: str) -> None:
    """GIVEN a first snapshot of the four tables (rejects, quarantined values, a duplicate key) and a later one
    WHEN each is loaded with 1 worker into one database and with 2 workers into another
    THEN raw rows, rejects, quarantined fields and run records are identical (first load and upsert)."""
    first = land(s3, "first", snapshot_lines(600, 21), "2026-11-29T05:00:00+00:00")
    later_lines = snapshot_lines(700, 22)  # different records: updates, inserts and deletes against the first
    later = land(s3, "later", later_lines, "2026-11-30T05:00:00+00:00")
    name, other_dsn = create_database(pg_server_dsn, template_db)
    try:
        results: dict[int, list[dict[str, Any]]] = {}
        for dsn, workers in ((db_dsn, 1), (other_dsn, 2)):
            results[workers] = []
            for ref in (first, later):
                conn = psycopg2.connect(dsn)
                results[workers].append(load(conn, s3, ref, window=WINDOW, workers=workers).to_dict())
                conn.close()
            results[workers].append(warehouse(dsn))
    finally:
        drop_database(pg_server_dsn, name)
    one, two = results[1], results[2]
    assert [r["status"] for r in one[:2]] == [r["status"] for r in two[:2]] == ["loaded", "loaded"]
    assert one[2] == two[2]
    state = one[2]
    assert len(state["raw.cases"]) > 500 and state["raw.metadata"] and state["raw.audit"] and state["raw.templates"]
    assert {r[3] for r in state["rejects"]} >= {"duplicate_key"}
    assert state["quarantined"], "the snapshots hold values the load stores as NULL and notes"
    assert [r[4] for r in state["runs"]] == ["succeeded", "succeeded"]
    assert state["runs"][1][8] > 0, "the later snapshot deletes keys the first had (the upsert + delete path)"


@pytest.mark.timeout(300)
def test_corrupt_table_staged_at_once_applies_nothing_then_retry_loads(s3: Any, db: Any, db_dsn: str) -> None:
    """GIVEN a loaded snapshot and a later one whose documents_audit file is a truncated gzip
    WHEN the later one is loaded with 2 workers, then loaded again once the file is whole
    THEN the first attempt fails naming the file and why, changes no raw row, reject or quarantined field and is
    recorded failed; the retry loads it."""
    first = land(s3, "good", snapshot_lines(200, 31), "2026-11-29T05:00:00+00:00")
    assert load(db, s3, first, window=WINDOW, workers=2).status == "loaded"
    before = warehouse(db_dsn)
    ref = land(s3, "bad", snapshot_lines(260, 32), "2026-11-30T05:00:00+00:00")
    key = data_key("demand", "bad", "documents_audit")
    whole = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert gzip.decompress(whole)  # a whole file, cut below
    s3.put_object(Bucket=BUCKET, Key=key, Body=whole[: len(whole) // 2])

    with pytest.raises(SnapshotFileError, match="not a complete gzip file") as info:
        load(db, s3, ref, window=WINDOW, workers=2)

    assert "demand/run=bad/documents_audit.jsonl.gz" in str(info.value)
    after = warehouse(db_dsn)
    assert {k: v for k, v in after.items() if k != "runs"} == {k: v for k, v in before.items() if k != "runs"}
    assert after["runs"][:1] == before["runs"]
    failed = after["runs"][1]
    assert failed[1] == "bad" and failed[4] == "failed"
    assert "documents_audit.jsonl.gz" in failed[10] and "not a complete gzip file" in failed[10]

    s3.put_object(Bucket=BUCKET, Key=key, Body=whole)
    retried = load(db, s3, ref, window=WINDOW, workers=2)

    assert retried.status == "loaded" and retried.records == sum(
        len(lines) for lines in snapshot_lines(260, 32).values())
    assert [(r[1], r[4]) for r in warehouse(db_dsn)["runs"]] == [("good", "succeeded"), ("bad", "failed"),
                                                                   ("bad", "succeeded")]
