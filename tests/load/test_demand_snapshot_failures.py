"""A corrupt demand snapshot changes nothing, and the error names the problem (real PostgreSQL, moto S3)."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import psycopg2
import pytest

from demand_pipeline import main
from itc_common_utilities.manifest import Manifest
from itc_common_utilities.s3 import write_manifest
from scripts.synthetic.exchange import ExchangeConfig, write_snapshot

BUCKET = "itc-fail-landing"
TABLES = ("raw.cases", "raw.metadata", "raw.templates", "raw.audit")


@pytest.fixture
def s3(moto_s3: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch, db_dsn: str) -> Any:
    monkeypatch.setenv("ITC_LANDING_BUCKET", BUCKET)
    monkeypatch.setenv("ITC_DATABASE_URL", db_dsn)
    return moto_s3(BUCKET)


def snapshot_state(dsn: str) -> dict[str, Any]:
    conn = psycopg2.connect(dsn)
    out: dict[str, Any] = {}
    with conn.cursor() as cur:
        for table in TABLES:
            cur.execute(f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t")
            out[table] = cur.fetchone()
        cur.execute("SELECT count(*) FROM ops.rejected_records")
        out["rejected"] = cur.fetchone()
    conn.close()
    return out


def rewrite(s3: Any, key: str, transform: Any) -> None:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    s3.put_object(Bucket=BUCKET, Key=key, Body=transform(body))


def _not_json(body: bytes) -> bytes:
    lines = gzip.decompress(body).split(b"\n")
    lines[3] = b'{"documentId": "doc-x", oops'
    return gzip.compress(b"\n".join(lines), mtime=0)


def _edited(body: bytes) -> bytes:
    return gzip.compress(gzip.decompress(body).replace(b"doc-00000001", b"doc-99999999", 1), mtime=0)


CORRUPTIONS = {
    "truncated gzip": (lambda b: b[: len(b) * 2 // 3], "not a complete gzip file"),
    "not JSON": (_not_json, "line 4 is not JSON"),
    "edited after the manifest": (_edited, "sha256 differs|bytes"),
}


@pytest.mark.parametrize("how", list(CORRUPTIONS))
def test_corrupt_file_changes_nothing_and_is_named(
        s3: Any, db_dsn: str, how: str) -> None:
    """GIVEN a loaded snapshot and a later one with a corrupt documents file WHEN loaded THEN nothing changes
    and the error names the file."""
    good = write_snapshot(ExchangeConfig(demands=120, seed=1, malformed_share=0), run_id="good", s3_client=s3,
                          bucket=BUCKET)
    assert [r["status"] for r in main.handler({"bucket": BUCKET, "key": good.key})["loads"]] == ["loaded"]
    before = snapshot_state(db_dsn)
    bad = write_snapshot(ExchangeConfig(demands=160, seed=2), run_id="bad", s3_client=s3, bucket=BUCKET,
                         extracted_at="2026-11-26T05:00:00+00:00")  # a day later: past the ordering guard
    transform, words = CORRUPTIONS[how]
    rewrite(s3, bad.file_for("documents").key, transform)

    with pytest.raises(ValueError, match=words) as info:
        main.handler({"bucket": BUCKET, "key": bad.key})

    assert "demand/run=bad/documents.jsonl.gz" in str(info.value)
    assert snapshot_state(db_dsn) == before
    conn = psycopg2.connect(db_dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT status, error FROM ops.load_runs WHERE run_id = 'bad'")
        status, error = cur.fetchone()
    conn.close()
    assert status == "failed" and "documents.jsonl.gz" in error


def test_given_a_manifest_whose_count_is_wrong_when_loaded_then_nothing_changes(s3: Any, db_dsn: str) -> None:
    manifest = write_snapshot(ExchangeConfig(demands=50, seed=3), run_id="count", s3_client=s3, bucket=BUCKET)
    files = tuple(replace(f, records=f.records + 1) if f.table == "documents_metadata" else f for f in manifest.files)
    write_manifest(s3, BUCKET, Manifest(manifest.source, manifest.run_id, manifest.extracted_at, files))

    with pytest.raises(ValueError, match="manifest says 51 records, the file has 50"):
        main.handler({"bucket": BUCKET, "key": manifest.key})

    assert all(count == 0 for count, _ in (v for k, v in snapshot_state(db_dsn).items() if k != "rejected"))


def test_given_a_manifest_that_is_not_json_when_loaded_then_the_error_says_so(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="demand/run=x/_manifest.json", Body=b"{not json")
    with pytest.raises(ValueError, match="manifest is not JSON"):
        main.handler({"bucket": BUCKET, "key": "demand/run=x/_manifest.json"})
