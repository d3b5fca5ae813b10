"""demand_pipeline.main.handler: extract and load through the events the state machines and S3 send,
the bad-event error and overrides, on moto (DynamoDB, S3, STS) and real PostgreSQL."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import orjson
import psycopg2
import pytest

from demand_pipeline import main
from demand_pipeline.settings import DemandSettings
from demand_pipeline.tests.conftest import BUCKET
from itc_common_utilities.errors import TerminalError
from itc_common_utilities.handler import BadEventError
from itc_common_utilities.manifest import Manifest
from itc_common_utilities.settings import SettingsError

EVENTS = Path(__file__).parent / "events"
RUN_ID = "2026-11-25T05:00:00Z"  # the run the sample events name


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def count(dsn: str, table: str) -> int:
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table}")
        n = cur.fetchone()[0]
    conn.close()
    return n


def test_given_exchange_tables_when_extract_runs_then_four_files_and_a_manifest_land(aws: dict[str, Any], fill) -> None:
    fill()

    summary = main.handler(event("step_functions_extract.json"))

    assert summary["manifest_key"] == f"demand/run={RUN_ID}/_manifest.json"
    assert {t: v["records"] for t, v in summary["tables"].items()} == {
        "documents": 10, "documents_metadata": 5, "templates": 1, "documents_audit": 5}
    manifest = Manifest.from_bytes(aws["s3"].get_object(Bucket=BUCKET, Key=summary["manifest_key"])["Body"].read())
    audit_key = manifest.file_for("documents_audit").key
    lines = gzip.decompress(aws["s3"].get_object(Bucket=BUCKET, Key=audit_key)["Body"].read()).splitlines()
    records = [orjson.loads(line) for line in lines]
    assert {r["actionType"] for r in records} == {"DemandArchived"}
    assert records[0]["payload"]["archiveReason"] == "Settled"


def test_rerun_of_landed_run_id_is_refused(aws: dict[str, Any], fill) -> None:
    """GIVEN a snapshot landed under a run id WHEN an extract into the same run id runs (a replayed
    state machine input) THEN it is refused before anything is written: snapshots are immutable."""
    fill()
    main.handler(event("step_functions_extract.json"))
    before = {o["Key"]: o["ETag"] for o in aws["s3"].list_objects_v2(Bucket=BUCKET)["Contents"]}
    fill(n_docs=7)

    with pytest.raises(TerminalError, match=r"demand/run=.*/_manifest.json already exists: snapshots are immutable"):
        main.handler(event("step_functions_extract.json"))

    after = {o["Key"]: o["ETag"] for o in aws["s3"].list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert after == before


@pytest.mark.parametrize("event_file", ["s3_object_created.json", "eventbridge_object_created.json",
                                        "step_functions_load.json", "direct_load.json"])
def test_any_load_event_fills_raw_tables(
        aws: dict[str, Any], fill, db_dsn: str, monkeypatch: pytest.MonkeyPatch, event_file: str) -> None:
    """GIVEN a landed snapshot
    WHEN any load event arrives
    THEN raw tables hold the source rows."""
    fill()
    main.handler({"mode": "extract", "run_id": RUN_ID})
    monkeypatch.setenv("ITC_DATABASE_URL", db_dsn)

    result = main.handler(event(event_file))

    assert result["mode"] == "load" and len(result["loads"]) == 1
    loaded = result["loads"][0]
    assert loaded["status"] == "loaded"
    assert (loaded["records"], loaded["loaded"], loaded["rejected"]) == (21, 21, 0)
    assert [count(db_dsn, t) for t in ("raw.cases", "raw.metadata", "raw.templates", "raw.audit")] == [10, 5, 1, 5]
    again = main.handler(event(event_file))
    assert [r["status"] for r in again["loads"]] == ["skipped"]


def test_given_an_event_for_a_data_file_when_handled_then_it_is_ignored(
        aws: dict[str, Any], db_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ITC_DATABASE_URL", db_dsn)
    key = f"demand/run={RUN_ID}/documents.jsonl.gz"
    result = main.handler({"bucket": BUCKET, "key": key})
    assert result == {"mode": "load", "loads": [{"status": "ignored", "manifest_key": key}]}


@pytest.mark.parametrize(("bad", "message"), [
    ({"mode": "extract", "run_id": 7}, "'run_id' must be a string (got int)"),
    ({"mode": "extract", "run_id": "../etc"}, "'run_id': run id '../etc' must be"),
    ({"mode": "rebuild"}, "'mode' must be one of extract, load (got 'rebuild')"),
    ({"run_id": "r1"}, "no 'mode' (expected one of extract, load)"),
    ({"mode": "load", "something": 1}, "mode 'load' needs an S3 notification, an EventBridge 'Object Created' event"),
    ({"mode": "load", "Records": [{"sns": {}}]}, "mode 'load' needs an S3 notification"),
    ("load", "the event must be a JSON object (got str)"),
    ({"mode": "extract", "overrides": {"bucket": "x"}}, "'overrides' names unknown setting(s) bucket (known: "),
    ({"mode": "extract", "overrides": {"scan_segments": "many"}}, "'overrides.scan_segments'='many' is not valid"),
])
def test_bad_event_error_names_the_problem(aws: dict[str, Any], bad: Any, message: str) -> None:
    """GIVEN an event the handler cannot read WHEN handled
    THEN BadEventError (a TerminalError: never retried) says ``demand_pipeline: bad event: <what was wrong>``."""
    with pytest.raises(BadEventError) as error:
        main.handler(bad)
    assert str(error.value).startswith(f"demand_pipeline: bad event: {message}")
    assert isinstance(error.value, TerminalError)


def test_event_tuning_overrides_win_and_nothing_else(
        aws: dict[str, Any], fill, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN ITC_SCAN_SEGMENTS=1 in the environment
    WHEN the extract event carries the tuning overrides {"scan_segments": "2", "scan_page_limit": "5"}
    THEN they win (a 1-segment limit would not refuse them) and the tables are scanned into the configured bucket;
    AND an event that also overrides the Exchange tables or the bucket is refused, naming them."""
    fill()
    monkeypatch.setenv("ITC_SCAN_SEGMENTS", "1")

    summary = main.handler(event("extract_with_overrides.json"))

    assert summary["tables"]["documents"]["records"] == 10
    assert aws["s3"].head_object(Bucket=BUCKET, Key=summary["manifest_key"])
    with pytest.raises(BadEventError, match="refusing exchange_env, landing_bucket: "):
        main.handler({"mode": "extract", "run_id": "r9", "overrides": {"exchange_env": "test", "scan_segments": "2",
                                                                      "landing_bucket": BUCKET}})


def test_missing_landing_bucket_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN no landing bucket
    WHEN handled
    THEN the settings error names the variable."""
    monkeypatch.delenv("ITC_LANDING_BUCKET", raising=False)
    with pytest.raises(SettingsError, match="ITC_LANDING_BUCKET"):
        main.handler({"mode": "extract", "run_id": "r1"})


def test_role_arn_gives_assumed_credentials(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN a role ARN
    WHEN extracting
    THEN the Exchange client uses assumed credentials."""
    monkeypatch.setenv("ITC_EXCHANGE_ROLE_ARN", "arn:aws:iam::123456789012:role/exchange-read")
    monkeypatch.setenv("ITC_EXCHANGE_EXTERNAL_ID", "ext-1")
    settings = DemandSettings(landing_bucket=BUCKET, exchange_role_arn="arn:aws:iam::123456789012:role/exchange-read",
                              exchange_external_id="ext-1")
    client = main.exchange_client(settings)
    creds = client._request_signer._credentials
    assert creds.access_key != "testing" and creds.token
