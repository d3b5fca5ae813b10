"""Verify+ end to end across modules: the Quickbase simulator over real HTTP → extract → moto S3 →
load through the shared snapshot loader → real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg2
import pytest

from itc_common_utilities.errors import TerminalError, TransientError
from itc_common_utilities.s3 import ObjectRef
from itc_common_utilities.settings import load_settings
from scripts.stack.quickbase_simulator import DEFAULT_TOKEN, QuickbaseSimulator
from scripts.synthetic.verifyplus import SyntheticConfig, VerifyPlusDataset
from verifyplus_pipeline.extract import extract_report
from verifyplus_pipeline.load import load_verifyplus
from verifyplus_pipeline.quickbase import QuickbaseReport, build_quickbase_session, resolve_token
from verifyplus_pipeline.settings import ExtractSettings

BUCKET = "itc-landing-test"


@pytest.fixture
def s3(moto_s3: Callable[[str], Any]) -> Any:
    return moto_s3(BUCKET)


def _settings(sim: QuickbaseSimulator, **overrides: Any) -> ExtractSettings:
    values = {"landing_bucket": BUCKET, "qb_realm": sim.realm, "qb_table_id": sim.table_id,
              "qb_report_id": sim.report_id, "qb_base_url": sim.base_url, "qb_token": DEFAULT_TOKEN,
              "qb_backoff_s": 0.01, "qb_max_wait_s": 0.05, "qb_timeout_s": 5.0, "env": "test"}
    values.update(overrides)
    return load_settings(ExtractSettings, values, environ={})


def extract(sim: QuickbaseSimulator, s3: Any, run_id: str, **overrides: Any) -> dict[str, Any]:
    settings = _settings(sim, **overrides)
    session = build_quickbase_session(settings, resolve_token(settings))
    report = QuickbaseReport.from_settings(settings, session)
    return extract_report(report, s3, BUCKET, run_id)


def load(db_dsn: str, s3: Any, run_id: str) -> dict[str, Any]:
    conn = psycopg2.connect(db_dsn)
    try:
        return load_verifyplus(conn, s3, ObjectRef(BUCKET, f"verifyplus/run={run_id}/_manifest.json"))
    finally:
        conn.close()


def query(db_dsn: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg2.connect(db_dsn) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    conn.close()
    return rows


def landed_keys(s3: Any, run_id: str) -> list[str]:
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"verifyplus/run={run_id}/")
    return sorted(o["Key"] for o in listing.get("Contents", []))


BILLABLE_SQL = """
SELECT to_char(request_created_datetime AT TIME ZONE 'America/New_York', 'YYYY-MM'), firm_name, count(*)
  FROM raw.verifyplus
 WHERE NOT coalesce(duplicate_request, false) AND NOT coalesce(exclude_from_reporting, false)
 GROUP BY 1, 2
"""


def test_10007_paged_records_are_all_loaded_or_rejected(
        s3, db_dsn):
    """GIVEN a 10,007-record report served in pages of at most 1,000 (the client asks for 5,000)
    WHEN the pipeline extracts and loads it
    THEN all 11 pages are read, every good record is in raw.verifyplus, every malformed one is in
    ops.rejected_records with the generator's reason, and the billable counts per New York month and
    firm equal the generator's answer key."""
    # 0.8% malformed: a day at scale that stays under the reject guard (ITC_MAX_REJECT_SHARE=0.01)
    dataset = VerifyPlusDataset(SyntheticConfig(records=10_007, seed=21, malformed_share=0.008))
    with QuickbaseSimulator(dataset, page_cap=1000) as sim:
        summary = extract(sim, s3, "paging", qb_page_size=5000)
    assert summary["records"] == summary["total_records"] == 10_007 and summary["pages"] == 11
    assert summary["unknown_fields"] == [] and summary["missing_fields"] == []
    result = load(db_dsn, s3, "paging")
    assert result["status"] == "loaded"
    assert result["records"] == 10_007
    assert result["loaded"] == dataset.expected_loaded()
    assert result["loaded"] + result["rejected"] == 10_007
    assert query(db_dsn, "SELECT count(*) FROM raw.verifyplus")[0][0] == dataset.expected_loaded()
    reasons = dict(query(db_dsn, "SELECT reason_code, count(*) FROM ops.rejected_records GROUP BY 1"))
    assert reasons == dataset.expected_rejections()
    billable = {(m, f): n for m, f, n in query(db_dsn, BILLABLE_SQL)}
    assert billable == dataset.expected_billable()
    # rejected PHI values are shown as type and length only; allow-listed (timestamp) values are kept
    shown = dict(query(db_dsn, "SELECT DISTINCT ON (field_name) field_name, offending_value "
                               "FROM ops.rejected_records WHERE field_name IN "
                               "('Client Names', 'Request Created Datetime', 'Verify Start Datetime')"))
    assert shown.get("Client Names", "string").startswith("string")
    assert any(v is not None and not v.startswith("string,") for k, v in shown.items() if k != "Client Names")


def test_429_storm_honours_retry_after(s3, db_dsn):
    """GIVEN the report run answers 429 with Retry-After five times in a row, then recovers
    WHEN the pipeline extracts THEN it waits and retries, and lands every record."""
    with QuickbaseSimulator(VerifyPlusDataset(records=1_500, seed=2, malformed_share=0)) as sim:
        sim.inject(kind="rate_limit", seconds=0.01, times=5)
        summary = extract(sim, s3, "storm", qb_max_attempts=8)
        assert sim.stats.by_status.get("429") == 5
    assert summary["records"] == 1_500 and summary["retries"] >= 5
    assert load(db_dsn, s3, "storm")["loaded"] == 1_500


def test_5xx_timeouts_and_truncated_bodies_are_retried(s3, db_dsn):
    """GIVEN 503 on the field list, 502 then a truncated JSON body then a response slower than the
    client timeout on report pages WHEN extracting THEN every call is retried and all records land."""
    with QuickbaseSimulator(VerifyPlusDataset(records=2_100, seed=4, malformed_share=0)) as sim:
        sim.inject(kind="status", status=503, endpoint="fields")
        sim.inject(kind="status", status=502, after=1)
        sim.inject(kind="truncate")
        sim.inject(kind="slow", seconds=4.0)
        # small pages keep a normal answer far below the 2 s timeout even on a busy machine
        summary = extract(sim, s3, "flaky", qb_timeout_s=2.0, qb_page_size=100)
        assert sim.stats.faults_fired == 4
    assert summary["records"] == 2_100 and summary["pages"] == 21 and summary["retries"] >= 4
    assert load(db_dsn, s3, "flaky")["loaded"] == 2_100


def test_persistent_failure_leaves_the_warehouse_unchanged(s3, db_dsn):
    """GIVEN a warehouse holding yesterday's snapshot and a Quickbase that answers 503 every time
    WHEN today's extract runs THEN it fails with a TransientError naming HTTP 503 and the attempts,
    lands nothing (no data file, no manifest), and the warehouse keeps yesterday's rows."""
    with QuickbaseSimulator(VerifyPlusDataset(records=1_500, seed=5, malformed_share=0)) as sim:
        extract(sim, s3, "yesterday")
        load(db_dsn, s3, "yesterday")
        before = query(db_dsn, "SELECT count(*), max(_load_id) FROM raw.verifyplus")
        sim.inject(kind="status", status=503, times=1000, after=1)
        with pytest.raises(TransientError) as info:
            extract(sim, s3, "today", qb_max_attempts=3)
    message = str(info.value)
    assert "HTTP 503" in message and "3 attempts" in message and "skip=" in message
    assert landed_keys(s3, "today") == []
    assert query(db_dsn, "SELECT count(*), max(_load_id) FROM raw.verifyplus") == before
    assert query(db_dsn, "SELECT count(*) FROM ops.load_runs") == [(1,)]


def test_wrong_token_error_never_shows_its_value(s3, capsys):
    """GIVEN a token Quickbase does not accept WHEN extracting THEN a TerminalError says HTTP 401 and to
    check the token, the token's value appears in neither the error nor the logs, and nothing lands."""
    with QuickbaseSimulator(VerifyPlusDataset(records=10)) as sim:
        with pytest.raises(TerminalError) as info:
            extract(sim, s3, "badtoken", qb_token="wrong-token-s3cr3t")
    message = str(info.value)
    assert "401" in message and "Invalid user token" in message and "ITC_QB_TOKEN_SECRET_ARN" in message
    captured = capsys.readouterr()
    assert "wrong-token-s3cr3t" not in message + captured.out + captured.err
    assert landed_keys(s3, "badtoken") == []


def test_added_report_field_is_kept_and_named(s3, db_dsn):
    """GIVEN the report gained a field "Verify Priority" that the warehouse has no column for
    WHEN extracted and loaded THEN the extract and the load summaries name it, and each row keeps
    its value in raw.verifyplus.extra_fields (documented behaviour: carried, reported, not dropped)."""
    dataset = VerifyPlusDataset(SyntheticConfig(records=200, seed=8, malformed_share=0,
                                                extra_fields=(("Verify Priority", "text"),)))
    with QuickbaseSimulator(dataset) as sim:
        summary = extract(sim, s3, "newfield")
    assert summary["unknown_fields"] == ["Verify Priority"]
    result = load(db_dsn, s3, "newfield")
    assert result["unknown_fields"] == {"Verify Priority": 200}
    stored = dict(query(db_dsn, "SELECT request_id, extra_fields->'Verify Priority' FROM raw.verifyplus"))
    for i in range(len(dataset)):
        value = dataset.record(i)["Verify Priority"]
        assert stored[dataset.request_id(i)] == value


def test_given_hostile_strings_when_loaded_then_they_are_stored_verbatim(s3, db_dsn):
    """GIVEN requests carrying quotes, SQL, emoji, RTL marks, \\N, tabs/newlines and long text
    WHEN loaded THEN reading them back gives exactly the strings Quickbase sent."""
    dataset = VerifyPlusDataset(SyntheticConfig(records=400, seed=9, malformed_share=0, hostile_share=0.5))
    with QuickbaseSimulator(dataset) as sim:
        extract(sim, s3, "hostile")
    assert load(db_dsn, s3, "hostile")["rejected"] == 0
    columns = {"Client Names": "client_names", "Reporting Insured": "reporting_insured", "Coverage": "coverage",
               "Injury Adjuster Name": "injury_adjuster_name", "Verify Assignee": "verify_assignee",
               "Request Type": "request_type", "Firm Name": "firm_name"}
    rows = {r[0]: r for r in query(db_dsn, "SELECT request_id, " + ", ".join(columns.values()) +
                                   ", claim_set_up_assignee FROM raw.verifyplus")}
    checked = 0
    for truth in dataset.truths():
        record = dataset.record(truth.index)
        row = rows[truth.request_id]
        for n, label in enumerate(columns, start=1):
            assert row[n] == (record[label] if record[label] != "" else None), label
        if "Claim Set Up Assignee" in truth.hostile_labels:
            assert row[-1] == record["Claim Set Up Assignee"]
        checked += bool(truth.hostile_labels)
    assert checked > 150


def test_report_growing_while_paging_lands_nothing(s3):
    """GIVEN records are added to the report between page 1 and page 2 (totalRecords shifts)
    WHEN extracting THEN a TransientError says the report changed while it was read, and nothing lands."""
    with QuickbaseSimulator(VerifyPlusDataset(records=2_500, seed=10)) as sim:
        sim.inject(kind="shift_count", delta=3, after=1)
        with pytest.raises(TransientError) as info:
            extract(sim, s3, "shift")
    assert "changed while it was being read" in str(info.value)
    assert "2500" in str(info.value) and "2503" in str(info.value)
    assert landed_keys(s3, "shift") == []


def test_given_a_page_shorter_than_it_claims_when_extracting_then_it_fails_clearly(s3):
    """GIVEN a page whose numRecords says 1000 but holds 999 WHEN extracting THEN a clear error, nothing lands."""
    with QuickbaseSimulator(VerifyPlusDataset(records=2_500, seed=10)) as sim:
        sim.inject(kind="short_page", after=1)
        with pytest.raises(TransientError, match=r"numRecords=1000 but holds 999"):
            extract(sim, s3, "short")
    assert landed_keys(s3, "short") == []


def test_empty_report_is_not_landed(s3):
    """GIVEN the report suddenly returns 0 records (revoked permission, changed filter) WHEN extracting
    THEN a TerminalError explains that an empty full snapshot would delete every row, and nothing lands;
    with ITC_QB_ALLOW_EMPTY it lands."""
    with QuickbaseSimulator(VerifyPlusDataset(records=0)) as sim:
        with pytest.raises(TerminalError, match="returned no records"):
            extract(sim, s3, "empty")
        assert landed_keys(s3, "empty") == []
        settings = _settings(sim, allow_empty=True)
        report = QuickbaseReport.from_settings(settings, build_quickbase_session(settings, DEFAULT_TOKEN))
        assert extract_report(report, s3, BUCKET, "empty", allow_empty=True)["records"] == 0


def test_newer_snapshot_without_some_requests_is_mirrored(s3, db_dsn):
    """GIVEN yesterday's 1,000 requests loaded WHEN today's report holds only the first 960 THEN the
    load deletes the 40 that are gone (4%, under ITC_MAX_DELETE_SHARE), keeps the rest, and a replay of
    yesterday's manifest is a no-op."""
    with QuickbaseSimulator(VerifyPlusDataset(records=1_000, seed=30, malformed_share=0)) as sim:
        extract(sim, s3, "day1")
    with QuickbaseSimulator(VerifyPlusDataset(records=960, seed=30, malformed_share=0)) as sim:
        extract(sim, s3, "day2")
    assert load(db_dsn, s3, "day1")["loaded"] == 1_000
    second = load(db_dsn, s3, "day2")
    assert second["deleted"] == 40 and second["tables"]["requests"]["unchanged"] == 960
    assert query(db_dsn, "SELECT count(*), max(request_id) FROM raw.verifyplus") == [
        (960, VerifyPlusDataset(records=960, seed=30).request_id(959))]
    assert load(db_dsn, s3, "day1")["status"] == "skipped"
