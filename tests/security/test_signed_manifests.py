"""Authentic snapshots (docs/design.md §6): a manifest the extract did not sign changes nothing.

The demand Lambda's handler as AWS runs it, moto's S3 and KMS (GenerateMac/VerifyMac with an HMAC_256
key), a real migrated PostgreSQL. A forger who can write the landing bucket drops a snapshot whose
manifest is valid JSON with correct counts and hashes; it is refused before any file is read, forced or
not, recorded ``refused`` with the reason, and alerted (the error the state machine turns into the SNS
alert, and the ``ManifestsRefused`` metric the monitoring alarms on).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import boto3
import psycopg2
import pytest

from demand_pipeline import main
from itc_common_utilities.loader.approval import issue_approval
from itc_common_utilities.manifest import Manifest, sha256_hex
from itc_common_utilities.s3 import write_manifest
from itc_common_utilities.signature import (
    LOCAL_APPROVAL_KEY_ALIAS,
    LOCAL_MAC_KEY_ALIASES,
    ManifestMac,
    ManifestSignatureError,
    ensure_mac_key,
    signed_message,
)
from scripts.synthetic.exchange import ExchangeConfig, write_snapshot
from tests.load.test_demand_snapshot_failures import snapshot_state

BUCKET = "itc-signed-landing"
LATER = "2026-11-26T05:00:00+00:00"  # a day after the good snapshot: past the ordering guard


@pytest.fixture
def s3(moto_s3: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch, db_dsn: str) -> Any:
    """The landing bucket with one good (signed) demand snapshot loaded into the warehouse."""
    monkeypatch.setenv("ITC_LANDING_BUCKET", BUCKET)
    monkeypatch.setenv("ITC_DATABASE_URL", db_dsn)
    client = moto_s3(BUCKET)
    good = write_snapshot(ExchangeConfig(demands=60, seed=1, malformed_share=0), run_id="good", s3_client=client,
                          bucket=BUCKET)
    assert [r["status"] for r in main.handler({"bucket": BUCKET, "key": good.key})["loads"]] == ["loaded"]
    return client


def forged_snapshot(s3: Any, run_id: str, *, demands: int = 90, seed: int = 7) -> Manifest:
    """A later snapshot (other demands by default), files and counts all correct, as a forger with write access
    lands it (the synthetic generator signs its manifest with the real key; the tests rewrite the manifest)."""
    return write_snapshot(ExchangeConfig(demands=demands, seed=seed, malformed_share=0), run_id=run_id,
                          s3_client=s3, bucket=BUCKET, extracted_at=LATER)


def approval_of(s3: Any, manifest: Manifest) -> dict[str, Any]:
    """A valid approval (the break-glass key) to force ``manifest`` as it now is in the bucket."""
    body = s3.get_object(Bucket=BUCKET, Key=manifest.key)["Body"].read()
    return issue_approval(boto3.client("kms"), LOCAL_APPROVAL_KEY_ALIAS, bucket=BUCKET, manifest_key=manifest.key,
                          manifest_sha256=sha256_hex(body), reason="restore", approver="ops@example.com")


def load_run(dsn: str, run_id: str) -> tuple[str, str]:
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT status, error FROM ops.load_runs WHERE run_id = %s ORDER BY load_id DESC", (run_id,))
        row = cur.fetchone()
    conn.close()
    return row


def refused(s3: Any, db_dsn: str, manifest: Manifest, words: str, capsys: pytest.CaptureFixture[str],
            *, force: bool = False) -> None:
    """Loading ``manifest`` is refused with ``words``, changes nothing, is recorded and alerted."""
    before = snapshot_state(db_dsn)
    capsys.readouterr()
    event = {"bucket": BUCKET, "key": manifest.key, **({"force": {"approval": approval_of(s3, manifest)}} if force
                                                         else {})}
    with pytest.raises(ManifestSignatureError, match=words) as info:
        main.handler(event)
    assert f"s3://{BUCKET}/{manifest.key}" in str(info.value)
    assert "Nothing was loaded; forcing does not override this." in str(info.value)
    assert snapshot_state(db_dsn) == before
    status, error = load_run(db_dsn, manifest.run_id)
    assert status == "refused" and re.search(words, error)
    metric = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"ManifestsRefused"' in line]
    assert metric and metric[0]["ManifestsRefused"] == [1.0] and metric[0]["Source"] == "demand"


def test_unsigned_manifest_is_refused(s3: Any, db_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN a forged snapshot whose manifest is valid JSON with correct counts, sizes and hashes but no
    signature WHEN the load event arrives THEN it is refused as unsigned, raw is unchanged, the run is
    recorded refused, and the refusal is alerted."""
    manifest = forged_snapshot(s3, "forged")
    s3.put_object(Bucket=BUCKET, Key=manifest.key, Body=manifest.to_bytes())  # the forger cannot sign

    refused(s3, db_dsn, manifest, "refusing an unsigned manifest", capsys)


def test_force_does_not_bypass_the_signature(s3: Any, db_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN the forged unsigned manifest WHEN a replay forces it with a valid approval THEN it is refused all
    the same: force overrides the load guards, never authenticity."""
    manifest = forged_snapshot(s3, "forced")
    s3.put_object(Bucket=BUCKET, Key=manifest.key, Body=manifest.to_bytes())

    refused(s3, db_dsn, manifest, "refusing an unsigned manifest", capsys, force=True)


def test_changed_count_breaks_the_signature(s3: Any, db_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN a correctly signed manifest in which one count was changed afterwards (signature kept) WHEN
    loaded THEN it is refused as altered before any file is read (not as a count mismatch)."""
    manifest = forged_snapshot(s3, "altered")
    body = json.loads(s3.get_object(Bucket=BUCKET, Key=manifest.key)["Body"].read())
    body["files"][0]["records"] += 1
    s3.put_object(Bucket=BUCKET, Key=manifest.key, Body=json.dumps(body, indent=2).encode())

    refused(s3, db_dsn, manifest, "signature does not match its content", capsys)


@pytest.mark.parametrize("signature", [
    {"algorithm": "HMAC_SHA_256", "mac": base64.b64encode(b"\x00" * 32).decode()},  # a made-up MAC
    {"algorithm": "HMAC_SHA_256", "mac": "not base64!"},
    {"algorithm": "none"},
    "trust me",
], ids=["made-up mac", "not base64", "another algorithm", "not an object"])
def test_given_a_manifest_with_an_invalid_signature_when_loaded_then_it_is_refused(
        s3: Any, db_dsn: str, capsys: pytest.CaptureFixture[str], signature: Any) -> None:
    """GIVEN a forged manifest carrying a signature object of its own making WHEN loaded THEN refused."""
    manifest = forged_snapshot(s3, "made-up")
    body = json.loads(manifest.to_bytes()) | {"signature": signature}
    s3.put_object(Bucket=BUCKET, Key=manifest.key, Body=json.dumps(body).encode())

    refused(s3, db_dsn, manifest, "signature does not match|signature is malformed", capsys)


def test_manifest_signed_with_other_key_is_refused(s3: Any, db_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN a forger's own KMS HMAC key (naming itself in the signature) WHEN loaded THEN refused: the load
    verifies with its configured key, never with the key a manifest names."""
    manifest = forged_snapshot(s3, "other-key")
    kms = boto3.client("kms")
    forger = ManifestMac(kms, ensure_mac_key(kms, "alias/forger"))
    write_manifest(s3, BUCKET, manifest, mac=forger)
    assert "alias/forger" not in json.loads(s3.get_object(Bucket=BUCKET, Key=manifest.key)["Body"].read())

    refused(s3, db_dsn, manifest, "signature does not match its content", capsys)


def test_given_a_correctly_signed_snapshot_when_loaded_then_it_loads(s3: Any, db_dsn: str) -> None:
    """GIVEN the next day's snapshot, signed by the extract's key WHEN loaded
    THEN it loads, and its manifest carries the KMS signature over the canonical content."""
    manifest = forged_snapshot(s3, "signed", demands=60, seed=1)  # the next day's snapshot of the same Exchange
    data = json.loads(s3.get_object(Bucket=BUCKET, Key=manifest.key)["Body"].read())
    assert data["signature"]["algorithm"] == "HMAC_SHA_256"
    assert boto3.client("kms").verify_mac(Message=signed_message(data), KeyId=LOCAL_MAC_KEY_ALIASES["demand"],
                                          MacAlgorithm="HMAC_SHA_256",
                                          Mac=base64.b64decode(data["signature"]["mac"]))["MacValid"]

    result = main.handler({"bucket": BUCKET, "key": manifest.key})

    assert [r["status"] for r in result["loads"]] == ["loaded"]
    assert load_run(db_dsn, "signed")[0] == "succeeded"
    assert replace(manifest) == Manifest.from_bytes(json.dumps(data).encode())  # the signature is an extra field
