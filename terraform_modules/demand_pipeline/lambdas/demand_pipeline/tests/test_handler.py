"""Handler, extract and load of the demand pipeline on moto (DynamoDB, S3, STS) and real PostgreSQL."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import orjson
import psycopg2
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from demand_pipeline import main
from demand_pipeline.extract import scan_table
from demand_pipeline.settings import DemandSettings
from demand_pipeline.tests.shapes import dynamo_item
from itc_common_utilities.errors import TransientError
from itc_common_utilities.manifest import Manifest

EVENTS = Path(__file__).parent / "events"
BUCKET = "itc-local-landing"
RUN_ID = "2026-11-25T05:00:00Z"
KEYS = {
    "documents": [("documentId", "S"), ("version", "N")],
    "documents-metadata": [("documentId", "S")],
    "templates": [("templateId", "S"), ("version", "N")],
    "documents-audit": [("auditRecordId", "S")],
}


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for var, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "ITC_LANDING_BUCKET": BUCKET,
                       "ITC_EXCHANGE_ENV": "test", "ITC_SCAN_SEGMENTS": "3", "ITC_SCAN_PAGE_LIMIT": "2"}.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        ddb = boto3.client("dynamodb")
        for table, keys in KEYS.items():
            ddb.create_table(
                TableName=f"exchange-test-{table}",
                KeySchema=[{"AttributeName": k, "KeyType": "HASH" if i == 0 else "RANGE"} for i, (k, _) in
                           enumerate(keys)],
                AttributeDefinitions=[{"AttributeName": k, "AttributeType": t} for k, t in keys],
                BillingMode="PAY_PER_REQUEST")
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        yield {"ddb": ddb, "s3": s3}


def fill(ddb: Any, n_docs: int = 5) -> None:
    def put(table: str, rec: dict[str, Any]) -> None:
        ddb.put_item(TableName=f"exchange-test-{table}", Item=dynamo_item(rec))

    put("templates", {"templateId": "t1", "version": 1, "templateName": "Standard", "defaultDemandConfig": {}})
    for i in range(n_docs):
        for version in (1, 2):
            put("documents", {"documentId": f"d{i}", "version": version, "createdTs": 1761967800000,
                              "sendingFirm": {"firmName": f"Firm {i % 2}"}})
        put("documents-metadata", {"documentId": f"d{i}", "createdTs": 1761967800000, "demandTemplateId": "t1",
                                   "documentStatusHistory": [{"documentStatus": "DocumentArchived",
                                                              "timestamp": 1762000000000}]})
        put("documents-audit", {"auditRecordId": f"a{i}", "documentId": f"d{i}", "actionType": "DemandArchived",
                                "payload": {"archiveReason": "Settled", "archiveComments": "x"}})
        put("documents-audit", {"auditRecordId": f"v{i}", "documentId": f"d{i}", "actionType": "DemandViewed"})


def count(dsn: str, table: str) -> int:
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table}")
        n = cur.fetchone()[0]
    conn.close()
    return n


def test_given_exchange_tables_when_extract_runs_then_four_files_and_a_manifest_land(aws: dict[str, Any]) -> None:
    fill(aws["ddb"])

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


@pytest.mark.parametrize("event_file", ["s3_object_created.json", "eventbridge_object_created.json",
                                        "step_functions_load.json", "direct_load.json"])
def test_given_a_landed_snapshot_when_any_load_event_arrives_then_raw_tables_hold_the_source_rows(
        aws: dict[str, Any], db_dsn: str, monkeypatch: pytest.MonkeyPatch, event_file: str) -> None:
    fill(aws["ddb"])
    main.handler({"mode": "extract", "run_id": RUN_ID})
    monkeypatch.setenv("ITC_DATABASE_URL", db_dsn)

    result = main.handler(event(event_file))

    assert result["status"] == "loaded"
    assert (result["records"], result["loaded"], result["rejected"]) == (21, 21, 0)
    assert [count(db_dsn, t) for t in ("raw.cases", "raw.metadata", "raw.templates", "raw.audit")] == [10, 5, 1, 5]
    again = main.handler(event(event_file))
    assert again["status"] == "skipped"


def test_given_an_event_for_a_data_file_when_handled_then_it_is_ignored(
        aws: dict[str, Any], db_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ITC_DATABASE_URL", db_dsn)
    result = main.handler({"bucket": BUCKET, "key": f"demand/run={RUN_ID}/documents.jsonl.gz"})
    assert result["status"] == "ignored"


@pytest.mark.parametrize(("bad", "words"), [
    ({"mode": "extract"}, "needs a string run_id"),
    ({"mode": "extract", "run_id": "../etc"}, "run id"),
    ({"mode": "rebuild"}, "unknown mode 'rebuild'"),
    ({"mode": "load", "something": 1}, "mode load needs an S3/EventBridge event"),
])
def test_given_a_bad_event_when_handled_then_the_error_names_the_problem(
        aws: dict[str, Any], bad: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        main.handler(bad)


def test_given_no_landing_bucket_when_handled_then_the_settings_error_names_the_variable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ITC_LANDING_BUCKET", raising=False)
    with pytest.raises(ValueError, match="ITC_LANDING_BUCKET"):
        main.handler({"mode": "extract", "run_id": "r1"})


def test_given_a_role_arn_when_extracting_then_the_exchange_client_uses_assumed_credentials(
        aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ITC_EXCHANGE_ROLE_ARN", "arn:aws:iam::123456789012:role/exchange-read")
    monkeypatch.setenv("ITC_EXCHANGE_EXTERNAL_ID", "ext-1")
    settings = DemandSettings(landing_bucket=BUCKET, exchange_role_arn="arn:aws:iam::123456789012:role/exchange-read",
                              exchange_external_id="ext-1")
    client = main.exchange_client(settings)
    creds = client._request_signer._credentials
    assert creds.access_key != "testing" and creds.token


class ThrottlingDynamo:
    """A DynamoDB client stand-in that throttles the first calls of each segment, then defers to moto."""

    def __init__(self, real: Any, throttles: int) -> None:
        self.real, self.throttles, self.calls = real, throttles, 0

    def scan(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        if self.throttles > 0:
            self.throttles -= 1
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                              "Scan")
        return self.real.scan(**kwargs)


def test_given_throttling_when_scanning_then_it_backs_off_and_reads_every_item(aws: dict[str, Any]) -> None:
    fill(aws["ddb"], n_docs=7)
    client = ThrottlingDynamo(aws["ddb"], throttles=5)
    sleeps: list[float] = []

    items = list(scan_table(client, "exchange-test-documents", segments=2, page_limit=3, sleep=sleeps.append))

    assert len(items) == 14
    assert len(sleeps) == 5 and all(s >= 0 for s in sleeps)


def test_given_endless_throttling_when_scanning_then_a_transient_error_says_so(aws: dict[str, Any]) -> None:
    client = ThrottlingDynamo(aws["ddb"], throttles=10**6)
    with pytest.raises(TransientError, match="still throttled"):
        list(scan_table(client, "exchange-test-documents", segments=2, page_limit=3, sleep=lambda _s: None))


def test_given_dynamodb_items_of_every_type_when_written_then_lines_are_plain_json() -> None:
    from demand_pipeline.extract import item_line

    item = {"id": {"S": "x"}, "n": {"N": "12"}, "f": {"N": "1.5"}, "b": {"BOOL": False}, "z": {"NULL": True},
            "m": {"M": {"k": {"L": [{"S": "a"}, {"N": "2"}]}}}, "ss": {"SS": ["q"]}, "bin": {"B": b"hi"},
            "j": {"S": '{"firmName": "Acme"}'}}
    assert orjson.loads(item_line(item)) == {"id": "x", "n": 12, "f": 1.5, "b": False, "z": None,
                                             "m": {"k": ["a", 2]}, "ss": ["q"], "bin": "aGk=",
                                             "j": '{"firmName": "Acme"}'}
