"""`make bench`'s peers and extra figures, on a small snapshot and the real PostgreSQL: the lines ITC rejected
(what the dlt subset leaves out), the view refresh after a load, the dlt peer's outcome summary (never a
record value), the NOT MEASURED path when dlt's environment cannot be made, and, where that environment
exists (``.local/bench/dlt-venv``, made by the first ``make bench``), dlt itself on both runs.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from demand_pipeline.load import load
from itc_common_utilities.manifest import Manifest, manifest_key
from itc_common_utilities.s3 import ObjectRef
from itc_common_utilities.signature import ManifestMac
from scripts.bench import dlt_child, dlt_peer
from scripts.bench.load import FileS3, guarded
from scripts.bench.views import refresh_all_views
from scripts.stack.testdb import drop_database
from scripts.synthetic.exchange import ExchangeConfig, write_snapshot

RUN = "bench-test"


@pytest.fixture
def loaded(moto: None, db_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Any]]:
    """A 300-demand snapshot with malformed records in tmp_path, loaded by ITC into the test database."""
    monkeypatch.setenv("ITC_MAX_REJECT_SHARE", "0.2")
    manifest = write_snapshot(ExchangeConfig(demands=300, seed=3, malformed_share=0.05, big_string_chars=2_000),
                              run_id=RUN, directory=tmp_path)
    path = tmp_path / manifest_key("demand", RUN)
    path.write_bytes(ManifestMac.from_environment().sign(Manifest.from_bytes(path.read_bytes())))
    conn = psycopg2.connect(db_dsn)
    try:
        load(conn, FileS3(tmp_path), ObjectRef("bench", manifest_key("demand", RUN)))
    finally:
        conn.close()
    yield tmp_path, manifest


def _rejects(dsn: str) -> dict[str, list[int]]:
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT table_name, array_agg(DISTINCT line_number ORDER BY line_number) FROM ops.rejected_records "
                    "GROUP BY table_name")
        rows = dict(cur.fetchall())
    conn.close()
    return rows


def test_dlt_subset_leaves_out_itc_rejects(
    db_dsn: str, loaded: tuple[Path, Any]
) -> None:
    """GIVEN an ITC load of the snapshot
    WHEN the dlt subset is built
    THEN it leaves out exactly the lines ITC rejected."""
    _, manifest = loaded

    skip = dlt_peer.rejected_lines(db_dsn, {f.table: f.key for f in manifest.files})

    expected = _rejects(db_dsn)
    assert expected, "the snapshot should hold malformed records"
    assert {t: lines for t, lines in skip.items() if lines} == expected
    assert set(skip) == {"templates", "documents", "documents_metadata", "documents_audit"}


def test_refresh_populates_and_times_every_view(
    db_dsn: str, loaded: tuple[Path, Any]
) -> None:
    """GIVEN a loaded database
    WHEN refreshed
    THEN every view is populated and timed."""
    refresh = refresh_all_views(db_dsn)

    by_view = {v["view"]: v for v in refresh["views"]}
    assert refresh["seconds"] > 0
    assert "curated.demands_uploaded" in by_view and by_view["curated.demands_uploaded"]["rows"] > 0
    conn = psycopg2.connect(db_dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_matviews WHERE schemaname IN ('curated', 'analytics') AND NOT ispopulated")
        assert cur.fetchone()[0] == 0
    conn.close()


def test_dlt_error_outcome_hides_the_value(
    empty_db_dsn: str,
) -> None:
    """GIVEN a database error in the dlt peer
    WHEN its outcome is reported
    THEN it names the class, SQLSTATE and column but no value."""
    conn = psycopg2.connect(empty_db_dsn)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE templates (template_id text NOT NULL, name text)")
        try:
            try:
                cur.execute("INSERT INTO templates VALUES (NULL, 'Secret Claimant Name')")
            except psycopg2.Error as exc:
                raise RuntimeError("load step failed") from exc
        except RuntimeError as exc:
            summary = dlt_child.error_summary(exc)
    conn.close()

    line = dlt_peer.outcome({"ok": False, "error": summary, "landed": 0})
    assert summary["sqlstate"] == "23502"
    assert line == ("FAILED: RuntimeError ← NotNullViolation, SQLSTATE 23502 (column template_id of templates); "
                    "0 rows in the database after it")
    assert "Secret" not in json.dumps(summary)


def test_given_dynamodb_typed_records_then_the_dlt_child_reads_them_as_plain_json() -> None:
    typed = {"documentId": {"S": "doc-1"}, "version": {"N": "2"}, "score": {"N": "1.5"}, "ok": {"BOOL": True},
             "gone": {"NULL": True}, "firm": {"M": {"firmName": {"S": "Law"}}}, "tags": {"L": [{"S": "a"}]}}

    assert dlt_child.unwrap(typed) == {"documentId": "doc-1", "version": 2, "score": 1.5, "ok": True, "gone": None,
                                       "firm": {"firmName": "Law"}, "tags": ["a"]}
    assert dlt_child.unwrap({"documentId": "doc-1", "payload": {"S": "x"}}) == {"documentId": "doc-1",
                                                                               "payload": {"S": "x"}}
    assert dlt_child.snake("auditRecordId") == "audit_record_id"


def test_bench_goes_on_without_dlt(
    tmp_path: Path,
) -> None:
    """GIVEN no way to make the dlt environment
    WHEN the bench runs
    THEN the peer is not measured and the bench goes on."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")

    reason = guarded("dlt peer", dlt_peer.ensure_venv, blocker / "dlt-venv")

    assert isinstance(reason, str)
    assert " venv exit 1: " in reason
    assert not (blocker / "dlt-venv").exists()


@pytest.mark.slow
@pytest.mark.skipif(not dlt_peer.venv_ready(), reason="no dlt environment here (the first `make bench` makes it)")
def test_dlt_loads_subset_and_fails_on_malformed(
    pg_server_dsn: str, db_dsn: str, loaded: tuple[Path, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN the snapshot
    WHEN dlt loads it
    THEN it loads the subset and fails the whole full load on a malformed record."""
    root, manifest = loaded
    suffix = f"_t{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("ITC_BENCH_DB_SUFFIX", suffix)
    try:
        result = dlt_peer.measure(pg_server_dsn, db_dsn, root, manifest)
    finally:
        for name in ("itc_bench_dlt_subset", "itc_bench_dlt_full"):
            drop_database(pg_server_dsn, name + suffix)

    rejected = sum(len(v) for v in _rejects(db_dsn).values())
    assert result["subset"]["ok"] is True
    assert result["subset"]["records"] == sum(f.records for f in manifest.files) - rejected
    assert result["subset"]["psutil_peak_mb"] > 0
    assert result["skipped"] == rejected
    assert result["full"]["ok"] is False
    assert dlt_peer.outcome(result["full"]).startswith("FAILED at load: PipelineStepFailed ← NotNullViolation")
