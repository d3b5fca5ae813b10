"""Demand path across modules: synthetic Exchange in moto DynamoDB → extract → S3 snapshot → load → raw.

Real PostgreSQL (the per-test migrated database), moto for DynamoDB and S3, the real handler.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import psycopg2
import pytest

from demand_pipeline import main
from demand_pipeline.load import load
from itc_common_utilities.loader import TableSpec, load_snapshot
from itc_common_utilities.phi import may_store_value
from itc_common_utilities.s3 import ObjectRef
from scripts.synthetic.exchange import (
    ExchangeConfig,
    expected_counts,
    expected_record_counts,
    fill_dynamodb,
    iter_demands,
    write_snapshot,
)
from tests.warehouse.kit import NY, refresh_all

BUCKET = "itc-test-landing"
RAW = {"documents": "raw.cases", "documents_metadata": "raw.metadata", "templates": "raw.templates",
       "documents_audit": "raw.audit"}
ORDER = {"raw.cases": "document_id, version", "raw.metadata": "document_id", "raw.templates": "template_id, version",
         "raw.audit": "audit_record_id"}


@pytest.fixture
def aws(moto: None, monkeypatch: pytest.MonkeyPatch, db_dsn: str) -> dict[str, Any]:
    for var, value in {"ITC_LANDING_BUCKET": BUCKET, "ITC_EXCHANGE_ENV": "rt", "ITC_DATABASE_URL": db_dsn,
                       "ITC_SCAN_SEGMENTS": "3", "ITC_SCAN_PAGE_LIMIT": "100"}.items():
        monkeypatch.setenv(var, value)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return {"s3": s3, "ddb": boto3.client("dynamodb")}


def query(dsn: str, sql: str) -> list[tuple[Any, ...]]:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def table_hashes(dsn: str) -> dict[str, tuple[int, str]]:
    out = {}
    for table, order in ORDER.items():
        count, digest = query(dsn, f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY {order}), '')) "
                                   f"FROM {table} t")[0]
        out[table] = (count, digest)
    return out


def test_round_trip_counts_equal_source_counts(
        aws: dict[str, Any], db_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN Exchange tables
    WHEN extracted and loaded
    THEN warehouse counts equal source counts."""
    monkeypatch.setenv("ITC_MAX_REJECT_SHARE", "1")  # malformed records on purpose: the quarantine, not the guard
    config = ExchangeConfig(demands=300, seed=21, malformed_share=0.04, big_string_chars=150_000)
    fill_dynamodb(config, aws["ddb"], env="rt")
    source = expected_record_counts(config, dynamo=True)
    archived_audits = sum(len(d.archived_ms) for d in iter_demands(config))

    extracted = main.handler({"mode": "extract", "run_id": "rt-1"})
    [loaded] = main.handler({"mode": "load", "bucket": BUCKET, "key": extracted["manifest_key"]})["loads"]

    assert {t: v["records"] for t, v in extracted["tables"].items()} == {**source, "documents_audit": archived_audits}
    assert loaded["status"] == "loaded"
    for table, counts in loaded["tables"].items():
        assert counts["records"] == counts["loaded"] + counts["rejected"]
        assert query(db_dsn, f"SELECT count(*) FROM {RAW[table]}")[0][0] == counts["loaded"]
    # only a defect in a field that decides the bill rejects the record; any other is quarantined
    rejected = [d for d in iter_demands(config) if d.rejected]
    kept = [d for d in iter_demands(config) if d.malformed and not d.rejected]
    bad_doc_records = sum(len(d.versions) for d in rejected if d.malformed == "documents")
    bad_meta = sum(1 for d in rejected if d.malformed == "metadata")
    assert loaded["tables"]["documents"]["rejected"] == bad_doc_records
    assert loaded["tables"]["documents_metadata"]["rejected"] == bad_meta
    assert kept and loaded["quarantined"] == sum(len(d.versions) if d.malformed == "documents" else 1 for d in kept)
    assert query(db_dsn, "SELECT count(*) FROM raw.audit WHERE action_type <> 'DemandArchived'") == [(0,)]
    assert query(db_dsn, "SELECT count(*) FROM raw.audit WHERE archive_reason IS NOT NULL")[0][0] > 0


def test_triple_delivery_is_idempotent(aws: dict[str, Any], db_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN the same manifest
    WHEN it is delivered three times
    THEN the table contents are identical."""
    monkeypatch.setenv("ITC_MAX_REJECT_SHARE", "1")  # malformed records on purpose: the quarantine, not the guard
    config = ExchangeConfig(demands=200, seed=4, malformed_share=0.03)
    manifest = write_snapshot(config, run_id="dup-1", s3_client=aws["s3"], bucket=BUCKET)
    event = {"Records": [{"s3": {"bucket": {"name": BUCKET}, "object": {"key": manifest.key}}}]}

    results = [main.handler(event)["loads"][0] for _ in range(3)]
    hashes_after = [table_hashes(db_dsn)]
    results.append(main.handler(event)["loads"][0])
    hashes_after.append(table_hashes(db_dsn))

    assert [r["status"] for r in results] == ["loaded", "skipped", "skipped", "skipped"]
    assert hashes_after[0] == hashes_after[1]
    assert query(db_dsn, "SELECT status, count(*) FROM ops.load_runs GROUP BY 1") == [("succeeded", 1)]
    rejected = query(db_dsn, "SELECT count(*) FROM ops.rejected_records")[0][0]
    assert rejected == results[0]["rejected"] > 0


def test_malformed_records_quarantined_without_phi(
        aws: dict[str, Any], db_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN malformed records
    WHEN loaded
    THEN each is quarantined with a reason and no PHI."""
    monkeypatch.setenv("ITC_MAX_REJECT_SHARE", "1")  # malformed records on purpose: the quarantine, not the guard
    config = ExchangeConfig(demands=400, seed=9, malformed_share=0.08, big_string_chars=300_000)
    manifest = write_snapshot(config, run_id="bad-1", s3_client=aws["s3"], bucket=BUCKET)

    [result] = main.handler({"bucket": BUCKET, "key": manifest.key})["loads"]

    good = [d for d in iter_demands(config) if not d.rejected]
    assert query(db_dsn, "SELECT count(*) FROM raw.metadata")[0][0] == sum(
        1 for d in iter_demands(config) if not (d.rejected and d.malformed == "metadata"))
    assert query(db_dsn, "SELECT count(DISTINCT document_id) FROM raw.cases")[0][0] == sum(
        1 for d in iter_demands(config) if not (d.rejected and d.malformed == "documents"))
    assert len(good) < config.demands
    reasons = dict(query(db_dsn, "SELECT reason_code, count(*) FROM ops.rejected_records GROUP BY 1"))
    assert set(reasons) >= {"missing_key", "bad_type", "bad_timestamp", "nul_byte"}
    assert sum(reasons.values()) == result["rejected"]
    rows = query(db_dsn, "SELECT source_key, line_number, field_name, offending_value FROM ops.rejected_records")
    assert all(r[0].startswith("demand/run=bad-1/") and r[1] >= 1 for r in rows)
    assert max(len(r[3] or "") for r in rows) < 1000  # megabyte strings are truncated, never stored whole
    unlisted = [r for r in rows if r[3] is not None and not may_store_value("raw.cases", r[2])]
    assert unlisted and all(re.fullmatch(r"[a-z]+(, \d+ [a-z]+)?", r[3]) for r in unlisted)  # type, length: no PHI


def _snapshot(aws: dict[str, Any], run_id: str, seed: int, demands: int = 150, hour: int | None = None) -> ObjectRef:
    """A clean snapshot (no malformed record), extracted ``hour`` (default ``seed``) hours into 25 November 2026."""
    extracted_at = (datetime(2026, 11, 25, tzinfo=UTC) + timedelta(hours=seed if hour is None else hour)).isoformat()
    manifest = write_snapshot(ExchangeConfig(demands=demands, seed=seed, malformed_share=0), run_id=run_id,
                              s3_client=aws["s3"], bucket=BUCKET, extracted_at=extracted_at)
    return ObjectRef(BUCKET, manifest.key)


def test_concurrent_loads_both_land(aws: dict[str, Any], db_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN two demand snapshots (c-2 extracted after c-1) and a Verify+-shaped load WHEN all three run at
    once THEN all finish: the Verify+ one loads beside them, the demand ones queue on their source's lock
    (c-1 then c-2 both load, or c-2 first and c-1 is refused by the ordering guard); raw holds c-2."""
    # this test is about locks: the two seeds' snapshots differ by a quarter of their rows, which the
    # delete guard would refuse when c-2 follows c-1 (tests/load/test_load_guards.py covers the guards)
    monkeypatch.setenv("ITC_MAX_DELETE_SHARE", "1")
    refs = [_snapshot(aws, "c-1", 1), _snapshot(aws, "c-2", 2)]
    vp_spec = TableSpec("requests", "raw.verifyplus", ("request_id", "firm_name"), ("request_id",),
                        lambda rec: (rec["id"], rec["firm"]))
    from itc_common_utilities.manifest import Manifest, data_key
    from itc_common_utilities.s3 import JsonlGzS3Writer, write_manifest

    with JsonlGzS3Writer(aws["s3"], BUCKET, data_key("verifyplus", "c-3", "requests")) as writer:
        for i in range(500):
            writer.write({"id": i, "firm": f"Firm {i % 7}"})
    vp_ref = ObjectRef(BUCKET, write_manifest(aws["s3"], BUCKET, Manifest(
        "verifyplus", "c-3", "2026-11-25T05:00:00+00:00", (writer.manifest_file("requests"),))))
    errors: list[BaseException] = []
    results: list[Any] = []

    def run(ref: ObjectRef, vp: bool) -> None:
        conn = psycopg2.connect(db_dsn)
        try:
            if vp:
                results.append(load_snapshot(conn, aws["s3"], ref, [vp_spec], source="verifyplus"))
            else:
                results.append(load(conn, aws["s3"], ref))
        except BaseException as exc:
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=run, args=(r, False)) for r in refs]
    threads.append(threading.Thread(target=run, args=(vp_ref, True)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)

    assert not any(t.is_alive() for t in threads)
    assert all(type(e).__name__ == "LoadRefusedError" and "refusing to load snapshot c-1" in str(e) for e in errors)
    assert sorted(r.run_id for r in results) == (["c-2", "c-3"] if errors else ["c-1", "c-2", "c-3"])
    assert query(db_dsn, "SELECT count(*) FROM raw.verifyplus") == [(500,)]
    c2 = next(r for r in results if r.run_id == "c-2")
    assert query(db_dsn, "SELECT count(*) FROM raw.cases")[0][0] == c2.tables["documents"].loaded
    assert query(db_dsn, "SELECT DISTINCT _load_id FROM raw.verifyplus") == [(
        next(r.load_id for r in results if r.source == "verifyplus"),)]


class _StallingS3:
    """An S3 client stand-in whose documents body stalls mid-file until released (so a test can act mid-COPY)."""

    def __init__(self, real: Any, stall_key_part: str, release: threading.Event, reached: threading.Event) -> None:
        self.real, self.part, self.release, self.reached = real, stall_key_part, release, reached

    def get_object(self, **kwargs: Any) -> dict[str, Any]:
        response = self.real.get_object(**kwargs)
        if self.part in kwargs["Key"]:
            response["Body"] = _StallingBody(response["Body"], self.release, self.reached)
        return response


class _StallingBody:
    def __init__(self, body: Any, release: threading.Event, reached: threading.Event) -> None:
        self.body, self.release, self.reached, self.calls = body, release, reached, 0

    def read(self, size: int = -1) -> bytes:
        self.calls += 1
        if self.calls == 3:
            self.reached.set()
            self.release.wait(60)
        return self.body.read(min(size, 1 << 15) if size > 0 else 1 << 15)  # small reads: the 3rd is mid-file


def test_killed_load_keeps_data_and_rerun_succeeds(aws: dict[str, Any], db_dsn: str) -> None:
    """GIVEN a load whose connection is killed mid copy
    WHEN the load fails and is rerun
    THEN the previous data stays and the rerun succeeds."""
    first = _snapshot(aws, "k-1", 31)
    conn = psycopg2.connect(db_dsn)
    load(conn, aws["s3"], first)
    conn.close()
    before = table_hashes(db_dsn)
    second = _snapshot(aws, "k-2", 31, demands=2500, hour=32)  # the same Exchange, grown (no delete)
    release, reached = threading.Event(), threading.Event()
    stalling = _StallingS3(aws["s3"], "documents.jsonl.gz", release, reached)
    conn = psycopg2.connect(db_dsn, application_name="itc-kill-me")
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            load(conn, stalling, second)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    assert reached.wait(60)
    killed = query(db_dsn, "SELECT pg_terminate_backend(pid), query FROM pg_stat_activity "
                           "WHERE application_name = 'itc-kill-me'")
    release.set()
    thread.join(60)

    assert killed and killed[0][0] is True and killed[0][1].startswith("COPY")
    assert outcome and type(outcome[0]).__name__ == "TransientError"
    assert table_hashes(db_dsn) == before
    conn = psycopg2.connect(db_dsn)
    rerun = load(conn, aws["s3"], second)
    conn.close()
    assert rerun.status == "loaded"
    assert query(db_dsn, "SELECT count(*) FROM raw.metadata")[0][0] == rerun.tables["documents_metadata"].loaded


# ------------------------------------------------------------------------------------ the time contract

def _summary(dsn: str) -> dict[tuple[str, str], tuple[int, int]]:
    conn = psycopg2.connect(dsn)
    try:
        refresh_all(conn)
    finally:
        conn.close()
    return {(month, firm): (uploaded, archived) for month, firm, uploaded, archived in query(
        dsn, "SELECT billing_month, sending_firm_name, uploaded_count, archived_count FROM analytics.demands_summary")}


@pytest.mark.parametrize("unit", ["s", "ms", "mixed"])
def test_demands_summary_matches_the_answer_key(aws: dict[str, Any], db_dsn: str, unit: str) -> None:
    """GIVEN synthetic Exchange data whose times are epoch seconds (the original's form), milliseconds or a
    per-value mix WHEN landed, loaded and refreshed THEN analytics.demands_summary is exactly the generator's
    answer key: every demand in its New York month, none in 1970."""
    config = ExchangeConfig(demands=300, seed=17, malformed_share=0, time_unit=unit)
    manifest = write_snapshot(config, run_id=f"unit-{unit}", s3_client=aws["s3"], bucket=BUCKET)

    [result] = main.handler({"bucket": BUCKET, "key": manifest.key})["loads"]

    assert (result["status"], result["rejected"]) == ("loaded", 0)
    expected = {key: (c.uploaded, c.archived) for key, c in expected_counts(config).items()}
    assert _summary(db_dsn) == expected
    assert min(month for month, _ in expected) == "2026-07"


LATE_OCT = datetime(2026, 10, 31, tzinfo=NY)  # New York midnight starting the month's last day


def _at(hour: int, minute: int, second: int = 0) -> datetime:
    return LATE_OCT.replace(hour=hour, minute=minute, second=second)


def _land(aws: dict[str, Any], run_id: str, tables: dict[str, list[dict[str, Any]]]) -> str:
    from itc_common_utilities.manifest import Manifest, data_key
    from itc_common_utilities.s3 import JsonlGzS3Writer, write_manifest

    files = []
    for table in ("documents", "documents_metadata", "templates", "documents_audit"):
        with JsonlGzS3Writer(aws["s3"], BUCKET, data_key("demand", run_id, table)) as writer:
            for record in tables.get(table, []):
                writer.write(record)
        files.append(writer.manifest_file(table))
    return write_manifest(aws["s3"], BUCKET, Manifest("demand", run_id, "2026-11-25T05:00:00+00:00", tuple(files)))


def test_late_october_31_uploads_bill_in_october(
        aws: dict[str, Any], db_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN demands uploaded 22:00-23:59 New York on 2026-10-31 (= 02:00-03:59 UTC on 1 November) in epoch
    seconds and in epoch milliseconds, one at 00:00 on 1 November, and three with implausible times (1730412 s
    = 1970, a negative one, one two days ahead) WHEN loaded and refreshed THEN the late ones are billed in
    October, the midnight one in November, and the implausible ones are rejected as implausible_timestamp with
    a message naming the field, the reading and the window - never billed. The same times on a document
    version (whose creation time decides no bill) are stored as NULL and noted, the version kept."""
    monkeypatch.setenv("ITC_MAX_REJECT_SHARE", "1")  # this snapshot is mostly edge cases on purpose
    created = {
        "s-2200": int(_at(22, 0).timestamp()),
        "s-2359": int(_at(23, 59, 59).timestamp()),
        "ms-2330": int(_at(23, 30).timestamp()) * 1000 + 123,
        "ms-2359": int(_at(23, 59, 59).timestamp()) * 1000 + 999,
        "s-nov": int(_at(0, 0).timestamp()) + 86_400,
        "bad-1970": 1730412,
        "bad-negative": -1730412000,
        "bad-future": int((datetime.now(UTC) + timedelta(days=2)).timestamp()),
    }
    archived = {"s-2200": int(_at(23, 45).timestamp()) * 1000, "ms-2330": int(_at(23, 50).timestamp())}
    documents = [{"documentId": doc, "version": 1, "createdTs": ts, "sendingFirm": {"firmName": "Boundary Law "}}
                 for doc, ts in created.items()]
    metadata = [{"documentId": doc, "documentType": "DEMAND", "createdTs": ts, "demandTemplateId": "",
                 "documentStatusHistory": [{"documentStatus": "DocumentArchived", "timestamp": archived[doc]}]
                 if doc in archived else []} for doc, ts in created.items()]
    audits = [{"auditRecordId": f"aud-{doc}", "documentId": doc, "createdTs": ts, "actionType": "DemandArchived"}
              for doc, ts in archived.items()]
    key = _land(aws, "edge-1", {"documents": documents, "documents_metadata": metadata, "documents_audit": audits,
                                "templates": [{"templateId": "tpl-1", "version": 1, "templateName": "Standard"}]})

    [result] = main.handler({"bucket": BUCKET, "key": key})["loads"]

    assert result["status"] == "loaded"
    assert _summary(db_dsn) == {("2026-10", "Boundary Law"): (4, 2), ("2026-11", "Boundary Law"): (1, 0)}
    rejected = query(db_dsn, "SELECT table_name, record_key, reason_code, field_name, offending_value, detail "
                             "FROM ops.rejected_records ORDER BY table_name, line_number")
    assert [(r[0], r[2], r[3]) for r in rejected] == [("documents_metadata", "implausible_timestamp", "createdTs")] * 3
    noted = query(db_dsn, "SELECT table_name, record_key, reason_code, field_name FROM ops.quarantined_fields "
                          "ORDER BY line_number")
    assert noted == [("documents", f"{doc}/1", "implausible_timestamp", "createdTs")
                     for doc in ("bad-1970", "bad-negative", "bad-future")]
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    window = f"is outside the plausible window 2015-01-01T00:00:00Z .. {tomorrow:%Y-%m-%d}T"
    details = {r[4]: r[5] for r in rejected}
    assert details["1730412"].startswith(f"createdTs read as epoch seconds = 1970-01-21T00:40:12Z {window}")
    assert details["-1730412000"].startswith(f"createdTs read as epoch seconds = 1915-03-03T02:00:00Z {window}")
    assert details[str(created["bad-future"])].startswith("createdTs read as epoch seconds = ")
    assert query(db_dsn, "SELECT count(*) FROM raw.metadata WHERE uploaded_at < '2015-01-01'") == [(0,)]
    assert query(db_dsn, "SELECT audit_record_id, created_at FROM raw.audit ORDER BY 1") == [
        ("aud-ms-2330", _at(23, 50)), ("aud-s-2200", _at(23, 45))]
