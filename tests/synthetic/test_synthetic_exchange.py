"""The synthetic Exchange generator: deterministic, in the real shapes, with the promised edge cases."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from demand_pipeline.load import DEMAND_SPECS
from itc_common_utilities.loader import RecordRejected
from scripts.synthetic.exchange import (
    BUSINESS_TZ,
    ExchangeConfig,
    client_template_ids,
    expected_counts,
    expected_record_counts,
    fill_dynamodb,
    iter_demands,
    iter_records,
    template_rows,
    write_snapshot,
)
from scripts.synthetic.exchange import main as exchange_main

CONFIG = ExchangeConfig(demands=600, seed=11, firms=8, months=3, malformed_share=0.05, big_string_chars=150_000)
SPECS = {s.snapshot_table: s for s in DEMAND_SPECS}


def test_given_one_config_when_written_twice_then_the_snapshots_are_byte_identical(tmp_path: Path) -> None:
    first = write_snapshot(CONFIG, run_id="r1", directory=tmp_path / "a")
    second = write_snapshot(CONFIG, run_id="r1", directory=tmp_path / "b")
    assert first == second
    assert (tmp_path / "a" / first.key).read_bytes() == (tmp_path / "b" / second.key).read_bytes()
    assert {f.table: f.records for f in first.files} == expected_record_counts(CONFIG)


def test_given_another_seed_when_generated_then_the_data_differs() -> None:
    other = ExchangeConfig(demands=600, seed=12, firms=8, months=3, malformed_share=0.05)
    assert [d.uploaded_ms for d in iter_demands(CONFIG)] != [d.uploaded_ms for d in iter_demands(other)]


def test_given_the_generated_data_then_every_promised_case_is_present() -> None:
    demands = list(iter_demands(CONFIG))
    templates = {t["templateId"] for t in template_rows(CONFIG)}
    assert any(len(d.versions) > 1 and len(set(d.versions)) > 1 for d in demands)  # firm changed across versions
    assert client_template_ids(CONFIG) and any(d.template_id in client_template_ids(CONFIG) for d in demands)
    assert any(d.template_id is not None and d.template_id not in templates for d in demands)
    assert any(d.template_id is None for d in demands)
    assert any(len(d.archived_ms) == 2 and d.archived_ms[0] > d.archived_ms[1] for d in demands)
    assert any(d.received_ms for d in demands)
    assert {d.defect for d in demands if d.malformed} >= {"missing_key", "bad_type", "bad_timestamp", "nul_byte"}
    local = [datetime.fromtimestamp(d.uploaded_ms / 1000, UTC).astimezone(BUSINESS_TZ) for d in demands]
    assert any(t.hour == 23 and t.astimezone(UTC).month != t.month for t in local)  # next month in UTC
    assert any(t.day == 1 and t.hour == 0 for t in local)
    shapes = Counter()
    for _, rec in iter_records(CONFIG):
        doc_id = rec.get("documentId") or rec.get("templateId")
        shapes["dynamo" if isinstance(doc_id, dict) else "plain"] += 1
        if any(isinstance(v, str) and v.startswith(("{", "[")) for v in rec.values()):
            shapes["json_string"] += 1
    assert min(shapes.values()) > 10
    assert any("DROP TABLE" in str(rec) for _, rec in iter_records(CONFIG))


def test_given_the_records_when_built_then_exactly_the_malformed_ones_are_rejected() -> None:
    """GIVEN generated records WHEN the pipeline builders run THEN only the malformed demands' records fail."""
    malformed = {d.document_id for d in iter_demands(CONFIG) if d.malformed}
    reasons: Counter[str] = Counter()
    bad_docs = set()
    for table, rec in iter_records(CONFIG):
        try:
            SPECS[table].build(rec)
        except RecordRejected as exc:
            reasons[exc.reason_code] += 1
            if table in ("documents", "documents_metadata"):
                bad_docs.add(next((d for d in malformed if d in str(rec)[:20000]), "?"))
    assert reasons.keys() >= {"missing_key", "bad_type", "bad_timestamp", "nul_byte"}
    assert bad_docs - {"?"} <= malformed


def test_given_a_demand_at_2330_new_york_on_october_31_then_it_is_an_october_demand() -> None:
    boundary = [d for d in iter_demands(ExchangeConfig(demands=3000, seed=3, months=6, malformed_share=0))
                if datetime.fromtimestamp(d.uploaded_ms / 1000, BUSINESS_TZ).strftime("%d %H") == "31 23"]
    assert boundary
    d = boundary[0]
    ny = datetime.fromtimestamp(d.uploaded_ms / 1000, BUSINESS_TZ)
    assert datetime.fromtimestamp(d.uploaded_ms / 1000, UTC).month != ny.month
    config = ExchangeConfig(demands=3000, seed=3, months=6, malformed_share=0)
    months = {m for (m, _), c in expected_counts(config).items() if c.uploaded}
    assert ny.strftime("%Y-%m") in months


def test_given_expected_counts_then_they_follow_the_business_rules() -> None:
    expected = expected_counts(CONFIG)
    excluded = client_template_ids(CONFIG)
    known = {t["templateId"] for t in template_rows(CONFIG)}
    eligible = [d for d in iter_demands(CONFIG) if not d.rejected
                and (d.template_id is None or (d.template_id in known and d.template_id not in excluded))]
    assert any(d.malformed and not d.rejected for d in iter_demands(CONFIG)), "a descriptive defect is billed"
    assert sum(c.uploaded for c in expected.values()) == len(eligible)
    assert sum(c.archived for c in expected.values()) == sum(1 for d in eligible if d.archived_ms)
    assert all(firm == firm.rstrip() for _, firm in expected)


@pytest.fixture
def dynamodb(moto: None) -> Any:
    return boto3.client("dynamodb")


def test_given_a_dynamodb_when_filled_then_each_table_holds_the_generated_items(dynamodb: Any) -> None:
    config = ExchangeConfig(demands=80, seed=5, malformed_share=0.1)
    written = fill_dynamodb(config, dynamodb, env="gen")
    assert written == expected_record_counts(config, dynamo=True)
    for table, name in (("documents", "exchange-gen-documents"), ("documents_audit", "exchange-gen-documents-audit")):
        assert dynamodb.scan(TableName=name, Select="COUNT")["Count"] == written[table]


def _number(value: Any) -> int | None:
    """An epoch number as a record carries it (plain or DynamoDB ``{"N": ...}``), else None."""
    if isinstance(value, dict) and "N" in value:
        return int(value["N"])
    return value if type(value) is int and value > 0 else None


def _epoch_times(config: ExchangeConfig) -> list[int]:
    """Every epoch-number time the records carry (createdTs, status-history timestamps)."""
    out: list[int] = []
    for _, record in iter_records(config):
        plain = {k: json.loads(v) if isinstance(v, str) and v.startswith(("[", "{")) else v for k, v in record.items()}
        history = plain.get("documentStatusHistory") or []
        history = history.get("L", []) if isinstance(history, dict) else history
        entries = [h.get("M", h) for h in history]
        values = [plain.get("createdTs")] + [h.get("timestamp") for h in entries]
        out += [n for n in map(_number, values) if n is not None]
    return out


UNITS = [("s", True, False), ("ms", False, True), ("mixed", True, True)]


@pytest.mark.parametrize(("unit", "seconds", "millis"), UNITS)
def test_time_unit_changes_times_not_the_answer_key(unit: str, seconds: bool, millis: bool) -> None:
    """GIVEN time_unit s (the default), ms or mixed WHEN records are generated THEN their epoch times are
    seconds (< 1e11), milliseconds, or both within one snapshot, and expected_counts does not change."""
    config = ExchangeConfig(demands=200, seed=3, malformed_share=0, time_unit=unit)
    times = _epoch_times(config)
    assert times
    assert any(t < 10**11 for t in times) is seconds
    assert any(t >= 10**11 for t in times) is millis
    assert expected_counts(config) == expected_counts(ExchangeConfig(demands=200, seed=3, malformed_share=0))


def test_given_the_defaults_then_the_unit_is_seconds_and_a_bad_unit_is_refused() -> None:
    assert ExchangeConfig().time_unit == "s"
    with pytest.raises(ValueError, match="time_unit must be one of s, ms, mixed"):
        ExchangeConfig(time_unit="us")


def test_cli_time_unit_flag_sets_the_unit(tmp_path: Path) -> None:
    """GIVEN the CLI time unit flag
    WHEN a snapshot is written
    THEN its times use that unit."""
    import gzip

    assert exchange_main(["snapshot", "--demands", "20", "--malformed-share", "0", "--time-unit", "ms",
                          "--out", str(tmp_path), "--run-id", "cli-ms"]) == 0
    lines = gzip.decompress((tmp_path / "demand/run=cli-ms/documents.jsonl.gz").read_bytes()).splitlines()
    created = [json.loads(line)["createdTs"] for line in lines]
    assert all(c >= 10**11 for c in created if isinstance(c, int))
