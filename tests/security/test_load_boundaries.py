"""The deployed load's trust boundaries: force needs a signed approval, a snapshot cannot be dated in the
future, each source has its own manifest key, and a load reads the S3 versions its manifest locked.

The demand Lambda's handler as AWS runs it, moto's S3 (a versioned landing bucket) and KMS (the HMAC keys
of ``ensure_local_keys``), a real migrated PostgreSQL. Whoever may invoke the load function writes the
event: it may ask for a force, but who forced and why come from an approval that only ``itc approve-force``
(the break-glass key in AWS) can sign.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import psycopg2
import pytest

from demand_pipeline import main
from itc_common_utilities.handler import BadEventError
from itc_common_utilities.loader.approval import ForceApprovalError, issue_approval
from itc_common_utilities.loader.guards import FutureSnapshotError
from itc_common_utilities.manifest import Manifest, sha256_hex
from itc_common_utilities.s3 import write_manifest
from itc_common_utilities.signature import (
    LOCAL_APPROVAL_KEY_ALIAS,
    LOCAL_MAC_KEY_ALIASES,
    ManifestMac,
    ManifestSignatureError,
)
from scripts.synthetic.exchange import ExchangeConfig, write_snapshot
from tests.load.test_demand_snapshot_failures import snapshot_state

BUCKET = "itc-boundary-landing"
LATER = "2026-11-26T05:00:00+00:00"  # a day after the first snapshot: past the ordering guard
REASON = "restore the last good snapshot after the purge"


@pytest.fixture
def s3(moto_s3: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch, db_dsn: str) -> Any:
    """The versioned landing bucket with one good (signed) demand snapshot ``good`` loaded."""
    monkeypatch.setenv("ITC_LANDING_BUCKET", BUCKET)
    monkeypatch.setenv("ITC_DATABASE_URL", db_dsn)
    client = moto_s3(BUCKET)
    client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    good = write_snapshot(ExchangeConfig(demands=60, seed=1, malformed_share=0), run_id="good", s3_client=client,
                          bucket=BUCKET)
    assert [r["status"] for r in main.handler({"bucket": BUCKET, "key": good.key})["loads"]] == ["loaded"]
    return client


def approval_for(s3: Any, key: str, *, approver: str = "arn:aws:sts::123456789012:assumed-role/break-glass/jane",
                 ttl: timedelta = timedelta(minutes=60), now: datetime | None = None,
                 key_id: str = LOCAL_APPROVAL_KEY_ALIAS) -> dict[str, Any]:
    """An approval of ``s3://BUCKET/key`` as ``itc approve-force`` makes it (GenerateMac, the approval key)."""
    sha256 = sha256_hex(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    return issue_approval(boto3.client("kms"), key_id, bucket=BUCKET, manifest_key=key, manifest_sha256=sha256,
                          reason=REASON, approver=approver, ttl=ttl, now=now)


def last_run(dsn: str) -> tuple[Any, ...]:
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT run_id, status, forced_by, force_reason, error FROM ops.load_runs "
                    "ORDER BY load_id DESC LIMIT 1")
        row = cur.fetchone()
    conn.close()
    return row


def good_key() -> str:
    return "demand/run=good/_manifest.json"


def test_forced_load_without_an_approval_is_refused(s3: Any, db_dsn: str) -> None:
    """GIVEN the loaded snapshot ``good`` WHEN a load event forces it with a name and a reason of its own, or
    with no approval THEN the event is refused, naming the approval, and raw is unchanged."""
    before = snapshot_state(db_dsn)
    for force in ({"reason": "restore", "by": "mallory@example.com"}, {}, {"approval": "yes"}):
        with pytest.raises(BadEventError, match="approval"):
            main.handler({"bucket": BUCKET, "key": good_key(), "force": force})
    assert snapshot_state(db_dsn) == before


@pytest.mark.parametrize("case", ["expired", "other manifest", "altered", "signed with the manifest key",
                                  "issued in the future", "too long-lived"])
def test_forced_load_with_an_invalid_approval_is_refused(s3: Any, db_dsn: str, case: str) -> None:
    """GIVEN a later snapshot the ordering guard accepts and an approval that is expired, names another
    manifest, was altered after signing (approver changed), is signed with another key, is issued in the
    future or lives longer than a day WHEN a load event forces the loaded ``good`` snapshot with it
    THEN it is refused (ForceApprovalError), recorded refused with no forced_by, and raw is unchanged."""
    write_snapshot(ExchangeConfig(demands=30, seed=3, malformed_share=0), run_id="other", s3_client=s3,
                   bucket=BUCKET, extracted_at=LATER)
    now = datetime.now(UTC)
    approval = {
        "expired": lambda: approval_for(s3, good_key(), now=now - timedelta(minutes=61)),
        "other manifest": lambda: approval_for(s3, "demand/run=other/_manifest.json"),
        "altered": lambda: approval_for(s3, good_key()) | {"approver": "mallory@example.com"},
        "signed with the manifest key": lambda: approval_for(s3, good_key(), key_id=LOCAL_MAC_KEY_ALIASES["demand"]),
        "issued in the future": lambda: approval_for(s3, good_key(), now=now + timedelta(hours=1)),
        "too long-lived": lambda: _long_lived(approval_for(s3, good_key())),
    }[case]()
    before = snapshot_state(db_dsn)
    with pytest.raises(ForceApprovalError, match="refusing the forced load") as info:
        main.handler({"bucket": BUCKET, "key": good_key(), "force": {"approval": approval}})
    assert f"s3://{BUCKET}/{good_key()}" in str(info.value)
    assert snapshot_state(db_dsn) == before
    run_id, status, forced_by, reason, _ = last_run(db_dsn)
    assert (run_id, status, forced_by, reason) == ("good", "refused", None, None)


def _long_lived(approval: dict[str, Any]) -> dict[str, Any]:
    """An approval re-signed (with the real approval key) for 25 hours: past MAX_TTL."""
    from itc_common_utilities.loader.approval import approval_message

    body = {k: v for k, v in approval.items() if k != "signature"}
    body["expires_at"] = (datetime.fromisoformat(body["issued_at"]) + timedelta(hours=25)).isoformat()
    answer = boto3.client("kms").generate_mac(Message=approval_message(body), KeyId=LOCAL_APPROVAL_KEY_ALIAS,
                                              MacAlgorithm="HMAC_SHA_256")
    import base64

    return body | {"signature": {"algorithm": "HMAC_SHA_256", "key_id": answer["KeyId"],
                                 "mac": base64.b64encode(answer["Mac"]).decode()}}


def test_forced_load_with_an_approval_records_the_approver_from_it(s3: Any, db_dsn: str) -> None:
    """GIVEN a later snapshot loaded over ``good`` and a valid approval of ``good`` by the break-glass role
    WHEN a load event forces ``good`` with it THEN ``good`` is restored (raw as after its first load), and
    ops.load_runs records the approver and reason of the approval; an event adding its own name is refused."""
    after_good = snapshot_state(db_dsn)
    later = write_snapshot(ExchangeConfig(demands=62, seed=1, malformed_share=0), run_id="later", s3_client=s3,
                           bucket=BUCKET, extracted_at=LATER)
    assert main.handler({"bucket": BUCKET, "key": later.key})["loads"][0]["status"] == "loaded"
    assert snapshot_state(db_dsn) != after_good
    approval = approval_for(s3, good_key())
    with pytest.raises(BadEventError, match="refusing key"):
        main.handler({"bucket": BUCKET, "key": good_key(), "force": {"approval": approval, "by": "mallory"}})

    result = main.handler({"bucket": BUCKET, "key": good_key(), "force": {"approval": approval}})

    assert result["loads"][0]["status"] == "loaded"
    assert snapshot_state(db_dsn)["raw.cases"] == after_good["raw.cases"]
    assert last_run(db_dsn)[:4] == ("good", "succeeded", "arn:aws:sts::123456789012:assumed-role/break-glass/jane",
                                    REASON)


def test_manifest_dated_two_days_ahead_is_refused(s3: Any, db_dsn: str) -> None:
    """GIVEN a correctly signed snapshot whose manifest says it was extracted two days from now WHEN loaded,
    plain or forced with a valid approval THEN it is refused (FutureSnapshotError naming the skew), recorded
    refused, and raw is unchanged (a snapshot from the future would make every real one after it 'older')."""
    ahead = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    future = write_snapshot(ExchangeConfig(demands=30, seed=4, malformed_share=0), run_id="future", s3_client=s3,
                            bucket=BUCKET, extracted_at=ahead)
    before = snapshot_state(db_dsn)
    with pytest.raises(FutureSnapshotError, match="later than now .* clock skew of 0:05:00"):
        main.handler({"bucket": BUCKET, "key": future.key})
    with pytest.raises(FutureSnapshotError):
        main.handler({"bucket": BUCKET, "key": future.key, "force": {"approval": approval_for(s3, future.key)}})
    assert snapshot_state(db_dsn) == before
    assert last_run(db_dsn)[:2] == ("future", "refused")


def test_manifest_signed_with_the_verifyplus_key_is_refused_by_the_demand_load(s3: Any, db_dsn: str) -> None:
    """GIVEN a demand snapshot whose manifest is signed with the Verify+ source's key (what a compromised
    Verify+ extract could sign) WHEN the demand load reads it THEN the signature does not verify under the
    demand key: refused, raw unchanged."""
    manifest = write_snapshot(ExchangeConfig(demands=30, seed=5, malformed_share=0), run_id="cross", s3_client=s3,
                              bucket=BUCKET, extracted_at=LATER)
    write_manifest(s3, BUCKET, manifest, mac=ManifestMac(boto3.client("kms"), LOCAL_MAC_KEY_ALIASES["verifyplus"]))
    before = snapshot_state(db_dsn)
    with pytest.raises(ManifestSignatureError, match="signed with another key"):
        main.handler({"bucket": BUCKET, "key": manifest.key})
    assert snapshot_state(db_dsn) == before
    assert last_run(db_dsn)[:2] == ("cross", "refused")


def test_forced_replay_reads_the_locked_version_of_an_overwritten_file(s3: Any, db_dsn: str) -> None:
    """GIVEN ``good`` loaded, its manifest naming each file's S3 VersionId, then a later snapshot loaded and
    ``good``'s documents file overwritten (a new version with other content) WHEN ``good`` is replayed
    THEN unforced it is a no-op; forced with a valid approval it reads the locked versions and loads the
    original rows (raw as after its first load), not the overwrite."""
    after_good = snapshot_state(db_dsn)
    manifest = Manifest.from_bytes(s3.get_object(Bucket=BUCKET, Key=good_key())["Body"].read())
    assert all(f.version_id for f in manifest.files)
    later = write_snapshot(ExchangeConfig(demands=62, seed=1, malformed_share=0), run_id="later", s3_client=s3,
                           bucket=BUCKET, extracted_at=LATER)
    assert main.handler({"bucket": BUCKET, "key": later.key})["loads"][0]["status"] == "loaded"
    documents = manifest.file_for("documents")
    s3.put_object(Bucket=BUCKET, Key=documents.key, Body=gzip.compress(b'{"documentId": "overwritten"}\n'))
    assert s3.head_object(Bucket=BUCKET, Key=documents.key)["VersionId"] != documents.version_id
    after_later = snapshot_state(db_dsn)

    assert main.handler({"bucket": BUCKET, "key": good_key()})["loads"][0]["status"] == "skipped"
    assert snapshot_state(db_dsn) == after_later
    result = main.handler({"bucket": BUCKET, "key": good_key(), "force": {"approval": approval_for(s3, good_key())}})

    assert result["loads"][0]["status"] == "loaded"
    assert snapshot_state(db_dsn)["raw.cases"] == after_good["raw.cases"]
