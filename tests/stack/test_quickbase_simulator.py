"""The Quickbase simulator and the synthetic Verify+ data it serves, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from scripts.stack.quickbase_simulator import DEFAULT_TOKEN, QuickbaseSimulator
from scripts.synthetic.verifyplus import SyntheticConfig, VerifyPlusDataset
from verifyplus_pipeline.fields import REPORT_FIELDS


@pytest.fixture
def sim() -> Iterator[QuickbaseSimulator]:
    with QuickbaseSimulator(VerifyPlusDataset(records=2_345, seed=3, malformed_share=0.0), page_cap=1000) as s:
        yield s


def _headers(sim: QuickbaseSimulator, token: str = DEFAULT_TOKEN) -> dict[str, str]:
    return {"QB-Realm-Hostname": sim.realm, "Authorization": f"QB-USER-TOKEN {token}", "User-Agent": "itc-tests"}


def _run(sim: QuickbaseSimulator, skip: int, top: int, **headers: str) -> requests.Response:
    return requests.post(f"{sim.base_url}/v1/reports/{sim.report_id}/run",
                         params={"tableId": sim.table_id, "skip": skip, "top": top},
                         headers={**_headers(sim), **headers}, timeout=10)


def test_fields_have_realm_specific_ids(sim):
    """GIVEN the table
    WHEN fields are listed
    THEN all 46 report labels have realm-specific ids."""
    resp = requests.get(f"{sim.base_url}/v1/fields", params={"tableId": sim.table_id}, headers=_headers(sim),
                        timeout=10)
    assert resp.status_code == 200
    by_label = {f["label"]: f for f in resp.json()}
    assert {f.label for f in REPORT_FIELDS} <= set(by_label)
    assert by_label["Claim Set Up Assignee"]["fieldType"] == "user"
    ids = [by_label[f.label]["id"] for f in REPORT_FIELDS]
    assert len(set(ids)) == 46 and ids != list(range(6, 52))
    other = QuickbaseSimulator(VerifyPlusDataset(records=1), realm="other.quickbase.com")
    assert other.field_id_by_label != sim.field_id_by_label


def test_report_pages_are_capped_at_1000(sim):
    """GIVEN a top above the cap
    WHEN the report runs
    THEN pages hold at most 1000 and cover every record."""
    seen = []
    skip = 0
    while True:
        body = _run(sim, skip, 5000).json()
        meta = body["metadata"]
        assert meta["totalRecords"] == 2_345 and meta["numRecords"] == len(body["data"]) <= 1000
        seen.extend(row[str(sim.field_id_by_label["Request ID"])]["value"] for row in body["data"])
        skip += meta["numRecords"]
        if skip >= meta["totalRecords"]:
            break
    assert len(seen) == len(set(seen)) == 2_345


def test_given_a_wrong_token_when_calling_then_401_with_a_quickbase_style_message(sim):
    resp = _run(sim, 0, 10, Authorization="QB-USER-TOKEN wrong")
    assert resp.status_code == 401
    assert resp.json() == {"message": "Unauthorized", "description": "Invalid user token"}
    assert _run(sim, 0, 10, **{"QB-Realm-Hostname": "nope.quickbase.com"}).status_code == 401
    assert _run(sim, 0, 10, **{"User-Agent": ""}).status_code == 400


def test_given_injected_faults_when_calling_then_each_fires_once_in_order(sim):
    sim.inject(kind="rate_limit", seconds=2)
    sim.inject(kind="status", status=502)
    sim.inject(kind="truncate")
    sim.inject(kind="short_page")
    first = _run(sim, 0, 10)
    assert first.status_code == 429 and first.headers["Retry-After"] == "2"
    assert _run(sim, 0, 10).status_code == 502
    truncated = _run(sim, 0, 10)
    assert truncated.status_code == 200
    with pytest.raises(ValueError):
        truncated.json()
    short = _run(sim, 0, 10).json()
    assert short["metadata"]["numRecords"] == 10 and len(short["data"]) == 9
    assert _run(sim, 0, 10).status_code == 200


def test_given_a_shift_fault_when_paging_then_total_records_changes_between_pages(sim):
    sim.inject(kind="shift_count", after=1, delta=3)
    assert _run(sim, 0, 1000).json()["metadata"]["totalRecords"] == 2_345
    assert _run(sim, 1000, 1000).json()["metadata"]["totalRecords"] == 2_348


def test_given_the_admin_api_when_a_fault_is_posted_then_the_next_call_gets_it(sim):
    assert requests.post(f"{sim.base_url}/_admin/faults", json={"kind": "status", "status": 500}, timeout=5).ok
    assert _run(sim, 0, 1).status_code == 500
    assert requests.post(f"{sim.base_url}/_admin/faults", json={"kind": "nope"}, timeout=5).status_code == 400
    stats = requests.get(f"{sim.base_url}/_admin/stats", timeout=5).json()
    assert stats["faults_fired"] == 1 and stats["totalRecords"] == 2_345


def test_given_a_rate_limit_when_calls_burst_then_some_get_429_with_retry_after():
    with QuickbaseSimulator(VerifyPlusDataset(records=5), rate_limit_per_s=1, rate_limit_retry_after=0.5) as sim:
        statuses = [_run(sim, 0, 1).status_code for _ in range(10)]
        assert 429 in statuses and statuses[0] == 200
        limited = next(r for r in (_run(sim, 0, 1) for _ in range(10)) if r.status_code == 429)
        assert limited.headers["Retry-After"] == "0.5"


def test_same_seed_generates_the_same_data():
    """GIVEN a seed
    WHEN generating twice
    THEN the data and the answer key are identical."""
    a = VerifyPlusDataset(records=500, seed=11)
    b = VerifyPlusDataset(records=500, seed=11)
    assert list(a.records()) == list(b.records())
    assert a.expected_billable() == b.expected_billable()
    assert list(VerifyPlusDataset(records=500, seed=12).records()) != list(a.records())


def test_given_the_generator_then_it_has_every_documented_shape():
    ds = VerifyPlusDataset(SyntheticConfig(records=3_000, seed=5, malformed_share=0.05, hostile_share=0.05))
    records, truths = list(ds.records()), list(ds.truths())
    assert {len(r) for r in records} == {46}
    limits = [r["BI Per Person Limit"] for r in records]
    assert any(isinstance(v, str) and v.startswith("$") and "," in v for v in limits)
    assert any(isinstance(v, int | float) and not isinstance(v, bool) for v in limits)
    assert "" in limits and None in limits
    assert any(isinstance(r["Claim Set Up Assignee"], dict) for r in records)
    assert any(t.duplicate for t in truths) and any(t.excluded for t in truths)
    assert any(t.hostile_labels for t in truths)
    # a bad key, created time, firm or flag costs the request; a bad descriptive value only its field
    assert set(ds.expected_rejections()) >= {"bad_request_id", "missing_key"}
    assert set(ds.expected_quarantined()) >= {"bad_currency", "bad_date", "bad_number"}
    # month boundaries in New York: some requests are on the 1st in UTC but the previous month in New York
    assert any(t.created_utc.day == 1 and t.month != t.created_utc.strftime("%Y-%m") for t in truths)
    billable = ds.expected_billable()
    assert sum(billable.values()) == sum(1 for t in truths if t.billable)
    assert {m for m, _ in billable} == {"2026-08", "2026-09", "2026-10"}
