"""The load engine end to end (real PostgreSQL, moto S3): what one load records, replays, concurrent
loads of one source, and the errors a failed load raises."""

from __future__ import annotations

import threading
from typing import Any

import psycopg2
import pytest
from common_testkit import AUDIT, SPECS, TEMPLATES, audits, build_template, land, rows, table_digest, templates

from itc_common_utilities.errors import TerminalError, TransientError
from itc_common_utilities.loader import LoadRefusedError, LoadResult, TableSpec, load_snapshot
from itc_common_utilities.s3 import ObjectRef


def test_load_records_raw_rows_lineage_and_load_run(db: Any, s3: Any) -> None:
    """GIVEN a snapshot WHEN loaded THEN the raw rows, their lineage and the load run are recorded."""
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


def test_replayed_manifest_is_skipped_and_contents_unchanged(
        db: Any, s3: Any) -> None:
    """GIVEN a loaded manifest WHEN it is delivered twice more THEN the replays are skipped and the table
    contents are identical."""
    ref = land(s3, "r1", {"templates": templates(20), "documents_audit": audits(10)})
    first = load_snapshot(db, s3, ref, SPECS, source="demand")
    before = [table_digest(db, "raw.templates", "template_id"), table_digest(db, "raw.audit", "audit_record_id")]

    replays = [load_snapshot(db, s3, ref, SPECS, source="demand") for _ in range(2)]

    assert [r.status for r in replays] == ["skipped", "skipped"]
    assert all(r.load_id == first.load_id for r in replays)
    assert [table_digest(db, "raw.templates", "template_id"),
            table_digest(db, "raw.audit", "audit_record_id")] == before
    assert rows(db, "SELECT count(*) FROM ops.load_runs") == [(1,)]


def test_concurrent_loads_queue_and_newest_snapshot_wins(
        db_dsn: str, s3: Any) -> None:
    """GIVEN two snapshots of one source (r1 extracted after r0) loaded at the same time WHEN both run THEN
    they queue on the source's lock: r0 first loads and r1 replaces it, or r1 first loads and r0 is
    refused by the ordering guard; either way the warehouse holds r1."""
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
    assert all(isinstance(e, LoadRefusedError) and "refusing to load snapshot r0" in str(e) for e in errors)
    assert sorted(r.run_id for r in results) == (["r1"] if errors else ["r0", "r1"])
    conn = psycopg2.connect(db_dsn)
    assert rows(conn, "SELECT count(*) FROM raw.templates") == [(51,)]  # r1's templates
    assert rows(conn, "SELECT run_id FROM ops.latest_loads") == [("r1",)]
    conn.close()


def test_killed_connection_is_transient_and_rerun_succeeds(
        db_dsn: str, s3: Any) -> None:
    """GIVEN a connection killed mid-load WHEN loading THEN it raises a transient error, the tables are
    unchanged, and a rerun succeeds."""
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


def test_refused_builder_value_is_hidden_from_the_error(
        db: Any, s3: Any) -> None:
    """GIVEN a (buggy) builder putting claimant text in an integer column WHEN loaded THEN the load fails as
    terminal, and neither the raised error nor ops.load_runs.error contains the value."""

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
