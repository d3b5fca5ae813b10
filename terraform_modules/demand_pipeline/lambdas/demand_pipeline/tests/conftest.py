"""Fixtures of the demand pipeline's tests: the Exchange tables and the landing bucket on moto."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from demand_pipeline.tests.shapes import dynamo_item

BUCKET = "itc-local-landing"  # the bucket the sample events name
KEYS = {
    "documents": [("documentId", "S"), ("version", "N")],
    "documents-metadata": [("documentId", "S")],
    "templates": [("templateId", "S"), ("version", "N")],
    "documents-audit": [("auditRecordId", "S")],
}


@pytest.fixture
def aws(moto: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """On the in-process moto (the repository's conftest.py ``moto``): the four (empty) ``exchange-test-*``
    tables and the versioned landing bucket; the handler's environment."""
    for var, value in {"ITC_LANDING_BUCKET": BUCKET, "ITC_EXCHANGE_ENV": "test", "ITC_SCAN_SEGMENTS": "3",
                       "ITC_SCAN_PAGE_LIMIT": "2"}.items():
        monkeypatch.setenv(var, value)
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
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})  # as in AWS
    return {"ddb": ddb, "s3": s3}


@pytest.fixture
def fill(aws: dict[str, Any]) -> Callable[..., None]:
    """``fill(n_docs=5)``: put ``n_docs`` demands (two versions each), one template and their audit records."""

    def put(table: str, rec: dict[str, Any]) -> None:
        aws["ddb"].put_item(TableName=f"exchange-test-{table}", Item=dynamo_item(rec))

    def fill_tables(n_docs: int = 5) -> None:
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

    return fill_tables
