"""A demand snapshot whose tables were scanned in parts (docs/adr/0013-segmented-scan-extract.md) loads as one
snapshot: the same rows as the same tables extracted in one file each, and a changed part is refused with
nothing changed. Synthetic Exchange in moto DynamoDB, the real handler, real PostgreSQL (throw-away databases)."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import psycopg2
import pytest
from psycopg2 import sql

from demand_pipeline import main
from itc_common_utilities.manifest import Manifest
from scripts.stack.testdb import create_database, drop_database
from scripts.synthetic.exchange import ExchangeConfig, fill_dynamodb

BUCKET = "itc-parts-landing"
RAW = ("raw.cases", "raw.metadata", "raw.templates", "raw.audit")
CONFIG = ExchangeConfig(demands=160, seed=13, malformed_share=0.03)


@pytest.fixture
def exchange(moto_s3: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch, db_dsn: str) -> Any:
    """moto S3 (an unversioned landing bucket, as in local runs) and the synthetic Exchange tables."""
    for var, value in {"ITC_LANDING_BUCKET": BUCKET, "ITC_EXCHANGE_ENV": "pt", "ITC_DATABASE_URL": db_dsn,
                       "ITC_SCAN_SEGMENTS": "2", "ITC_SCAN_PAGE_LIMIT": "50", "ITC_MAX_REJECT_SHARE": "1"}.items():
        monkeypatch.setenv(var, value)
    s3 = moto_s3(BUCKET)
    fill_dynamodb(CONFIG, boto3.client("dynamodb"), env="pt")
    return s3


@pytest.fixture
def second_db_dsn(pg_server_dsn: str, template_db: str) -> Iterator[str]:
    """A second fresh migrated database of this test's own."""
    name, dsn = create_database(pg_server_dsn, template_db)
    yield dsn
    drop_database(pg_server_dsn, name)


def rows(dsn: str) -> dict[str, list[str]]:
    """Every raw row as JSON text without the load's own columns (``_load_id``, ``_source_key``, ...), sorted."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            out = {}
            for table in RAW:
                cur.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' "
                            "AND table_name = %s AND column_name LIKE '\\_%%'", (table.split(".")[1],))
                own = [r[0] for r in cur.fetchall()]
                cur.execute(sql.SQL("SELECT (to_jsonb(t) - %s::text[])::text FROM {} t ORDER BY 1").format(
                    sql.Identifier(*table.split("."))), (own,))
                out[table] = [r[0] for r in cur.fetchall()]
            return out
    finally:
        conn.close()


def counts(loaded: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Each table's counts of a load's result (its times left out)."""
    return {t: {k: v for k, v in c.items() if not k.endswith("_ms")} for t, c in loaded["tables"].items()}


def test_load_over_parts_equals_load_over_one_file(
        exchange: Any, db_dsn: str, second_db_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN the same Exchange tables extracted once in one file per table and once in parts (30 items a part)
    WHEN each snapshot is loaded into its own fresh warehouse THEN both load the same counts and the same raw
    rows, and the parts' manifest lists several parts per large table."""
    one = main.handler({"mode": "extract", "run_id": "one"})
    parts = main.handler({"mode": "extract", "run_id": "parts", "overrides": {"scan_part_items": 30}})
    manifest = Manifest.from_bytes(exchange.get_object(Bucket=BUCKET, Key=parts["manifest_key"])["Body"].read())

    [loaded_one] = main.handler({"mode": "load", "bucket": BUCKET, "key": one["manifest_key"]})["loads"]
    monkeypatch.setenv("ITC_DATABASE_URL", second_db_dsn)
    [loaded_parts] = main.handler({"mode": "load", "bucket": BUCKET, "key": parts["manifest_key"]})["loads"]

    assert len(manifest.file_for("documents").parts) > 2 and len(manifest.file_for("documents_audit").parts) > 2
    assert loaded_one["status"] == loaded_parts["status"] == "loaded"
    assert counts(loaded_parts) == counts(loaded_one)
    assert loaded_one["rejected"] > 0  # the malformed records are rejected the same way from parts
    assert rows(second_db_dsn) == rows(db_dsn)
    assert sum(len(v) for v in rows(db_dsn).values()) > 300


def test_a_part_changed_after_signing_is_refused_and_nothing_changes(exchange: Any, db_dsn: str) -> None:
    """GIVEN a snapshot in parts WHEN one part of documents is rewritten after the manifest was signed and the
    snapshot is loaded THEN the load fails naming that part and the warehouse's raw tables stay empty."""
    parts = main.handler({"mode": "extract", "run_id": "tampered", "overrides": {"scan_part_items": 30}})
    manifest = Manifest.from_bytes(exchange.get_object(Bucket=BUCKET, Key=parts["manifest_key"])["Body"].read())
    part = manifest.file_for("documents").parts[1]
    body = gzip.decompress(exchange.get_object(Bucket=BUCKET, Key=part.key)["Body"].read())
    _first, rest = body.split(b"\n", 1)
    exchange.put_object(Bucket=BUCKET, Key=part.key, Body=gzip.compress(rest, mtime=0))  # one line dropped

    with pytest.raises(ValueError, match=rf"{part.key} \(part 2 of \d+ of documents\): manifest says \d+ bytes"):
        main.handler({"mode": "load", "bucket": BUCKET, "key": parts["manifest_key"]})

    assert all(not v for v in rows(db_dsn).values())
