"""verifyplus_pipeline.main.handler end to end: settings from the environment, token from Secrets Manager
(moto), the Quickbase simulator over HTTP, the landing bucket (moto S3), the warehouse (real PostgreSQL);
the bad-event error and overrides."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import psycopg2
import pytest

from itc_common_utilities.errors import TerminalError
from itc_common_utilities.handler import BadEventError
from itc_common_utilities.settings import SettingsError
from scripts.stack.quickbase_simulator import QuickbaseSimulator
from scripts.synthetic.verifyplus import VerifyPlusDataset
from verifyplus_pipeline.main import handler

EVENTS = Path(__file__).parent / "events"
BUCKET = "itc-landing-test"  # the bucket the sample events name
TOKEN = "sm-held-token-7f3a"  # a test token held in the moto secret


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture
def stack(moto: None, monkeypatch: pytest.MonkeyPatch, db_dsn: str) -> Iterator[dict[str, Any]]:
    """moto S3 + Secrets Manager, the simulator, and the handler's environment as in AWS (token by ARN)."""
    for name in ("ITC_QB_TOKEN", "ITC_DB_HOST"):
        monkeypatch.delenv(name, raising=False)
    with QuickbaseSimulator(VerifyPlusDataset(records=1_200, seed=17), token=TOKEN) as sim:
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        arn = boto3.client("secretsmanager").create_secret(
            Name="itc/quickbase", SecretString=json.dumps({"token": TOKEN}))["ARN"]
        env = {"ITC_ENV": "beta", "ITC_LANDING_BUCKET": BUCKET, "ITC_QB_BASE_URL": sim.base_url,
               "ITC_QB_REALM": sim.realm, "ITC_QB_TABLE_ID": sim.table_id, "ITC_QB_REPORT_ID": sim.report_id,
               "ITC_QB_TOKEN_SECRET_ARN": arn, "ITC_QB_PAGE_SIZE": "500", "ITC_QB_BACKOFF_S": "0.01",
               "ITC_DATABASE_URL": db_dsn}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield {"s3": s3, "sim": sim, "db_dsn": db_dsn, "arn": arn}


def _count(dsn: str, sql: str) -> Any:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql)
        value = cur.fetchone()[0]
    conn.close()
    return value


def test_step_functions_input_lands_snapshot(stack, monkeypatch, capsys):
    """GIVEN the ingest state machine's input and the token held in Secrets Manager (by ARN)
    WHEN the handler runs THEN the report is read in pages of 500, the data file and the manifest
    land, the token never shows in the logs, and a second run into the same run id is refused."""
    monkeypatch.setenv("ITC_ENV", "local")  # the simulator speaks plain http, refused outside local runs
    summary = handler(event("step_functions_extract.json"))
    assert summary["records"] == 1_200 and summary["pages"] == 3
    keys = [o["Key"] for o in stack["s3"].list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert sorted(keys) == ["verifyplus/run=20261125T050000Z/_manifest.json",
                            "verifyplus/run=20261125T050000Z/requests.jsonl.gz"]
    assert TOKEN not in capsys.readouterr().out
    with pytest.raises(TerminalError, match="snapshots are immutable"):
        handler(event("step_functions_extract.json"))


def test_given_plain_http_outside_local_runs_when_extracting_then_settings_refuse_it(stack):
    """GIVEN ITC_ENV=beta and an http:// Quickbase URL WHEN extracting THEN the settings refuse it."""
    with pytest.raises(SettingsError, match="https"):
        handler(event("step_functions_extract.json"))


@pytest.mark.parametrize("name", ["eventbridge_manifest_created.json", "s3_manifest_put.json",
                                  "step_functions_load.json", "direct_load.json"])
def test_given_a_landed_snapshot_when_its_event_arrives_twice_then_it_loads_once(stack, monkeypatch, name):
    """GIVEN a landed snapshot WHEN its manifest event (EventBridge, S3 notification or a direct call)
    is delivered twice THEN the first delivery loads it and the second is a no-op."""
    monkeypatch.setenv("ITC_ENV", "local")
    handler(event("step_functions_extract.json"))
    [first] = handler(event(name))["loads"]
    assert first["status"] == "loaded" and first["loaded"] + first["rejected"] == 1_200
    assert first["unknown_fields"] == {}
    [second] = handler(event(name))["loads"]
    assert second["status"] == "skipped" and second["load_id"] == first["load_id"]
    assert _count(stack["db_dsn"], "SELECT count(*) FROM raw.verifyplus") == first["loaded"]
    assert _count(stack["db_dsn"], "SELECT count(*) FROM ops.load_runs") == 1


def test_given_a_token_in_the_environment_outside_local_runs_then_settings_refuse_it(stack, monkeypatch):
    """GIVEN ITC_QB_TOKEN set in a beta environment WHEN extracting THEN refused, without echoing the token."""
    monkeypatch.delenv("ITC_QB_TOKEN_SECRET_ARN")
    monkeypatch.setenv("ITC_QB_TOKEN", TOKEN)
    with pytest.raises(SettingsError) as info:
        handler({"mode": "extract", "run_id": "x"})
    assert "local runs only" in str(info.value) and TOKEN not in str(info.value)


@pytest.mark.parametrize(("bad", "message"), [
    ({"mode": "refresh"}, "'mode' must be one of extract, load (got 'refresh')"),
    ({}, "no 'mode' (expected one of extract, load)"),
    (None, "the event must be a JSON object (got NoneType)"),
    ({"mode": "load"}, "mode 'load' needs an S3 notification, an EventBridge 'Object Created' event"),
    ({"mode": "extract", "run_id": "a b"}, "'run_id': run id 'a b' must be"),
    ({"mode": "extract", "overrides": {"qb_realm": "r", "token": "x"}}, "'overrides' names unknown setting(s) token"),
    ({"mode": "extract", "overrides": {"qb_page_size": "0"}}, "'overrides.qb_page_size'='0' is not valid"),
])
def test_bad_event_error_names_the_problem(stack, bad, message):
    """GIVEN an event the handler cannot read WHEN handled
    THEN BadEventError (a TerminalError: never retried) says ``verifyplus_pipeline: bad event: <what was wrong>``."""
    with pytest.raises(BadEventError) as error:
        handler(bad)
    assert str(error.value).startswith(f"verifyplus_pipeline: bad event: {message}")
    assert isinstance(error.value, TerminalError)


def test_event_tuning_overrides_win(stack, monkeypatch):
    """GIVEN ITC_QB_PAGE_SIZE=500 in the environment
    WHEN the extract event carries the tuning overrides {"qb_page_size": "300", "qb_timeout_s": "20"}
    THEN they win: the report is read in pages of 300; AND an event overriding ``env`` (which would allow the
    simulator's plain http in beta) is refused, naming it, before the simulator is asked anything."""
    with pytest.raises(BadEventError, match="refusing env: "):
        handler({"mode": "extract", "run_id": "20261125T050000Z", "overrides": {"env": "local"}})
    assert stack["sim"].stats.requests == 0
    monkeypatch.setenv("ITC_ENV", "local")  # the simulator speaks plain http, refused outside local runs
    summary = handler(event("extract_with_overrides.json"))
    assert summary["records"] == 1_200 and summary["pages"] == 4


def test_given_an_event_for_a_data_file_when_handled_then_it_is_ignored(stack):
    """GIVEN the S3 event of a data file (not a _manifest.json) WHEN handled THEN its load entry says ignored."""
    key = "verifyplus/run=20261125T050000Z/requests.jsonl.gz"
    result = handler({"bucket": BUCKET, "key": key})
    assert result == {"mode": "load", "loads": [{"status": "ignored", "manifest_key": key}]}
