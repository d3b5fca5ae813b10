"""The Verify+ fast path (verifyplus_pipeline/fast.py) against the builder it shortcuts: on hostile snapshots
both load the same raw rows, the same rejects and the same quarantined fields (reasons, fields, details,
values); line by line the fast path gives the builder's COPY row or steps aside.

Real PostgreSQL (two fresh migrated databases), moto S3, the real Verify+ load.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import orjson
import psycopg2
import pytest

from itc_common_utilities.db import encode_copy_row
from itc_common_utilities.loader import RecordRejected
from itc_common_utilities.loader.fastrow import FAST_ENV
from itc_common_utilities.loader.quarantine import collecting
from itc_common_utilities.manifest import Manifest, data_key
from itc_common_utilities.s3 import JsonlGzS3Writer, ObjectRef, write_manifest
from itc_common_utilities.timestamps import TimeWindow
from scripts.stack.testdb import create_database, drop_database
from scripts.synthetic.verifyplus import SyntheticConfig, VerifyPlusDataset
from verifyplus_pipeline.fields import REPORT_FIELDS
from verifyplus_pipeline.load import load_verifyplus, verifyplus_spec

BUCKET = "itc-test-landing"
WINDOW = TimeWindow.default()
SPEC = verifyplus_spec(WINDOW)
KINDS = {f.label: f.kind for f in REPORT_FIELDS}

# Values each kind of field may receive: the forms Quickbase documents and the builder accepts, beside
# implausible ones it must refuse or quarantine. A mutation draws one into a field of a generated record.
PLAUSIBLE_AND_NOT: dict[str, list[Any]] = {
    "text": ["", None, "Firm Nobody Knows LLC", " padded ", "tab\there", "line\nend", "back\\slash", "\\N",
             'quote "q"', "x" * 10_000, "🙂" * 10_000, "x" * 10_001, "A\x00B", 12, 1.5, True, ["a"], {"a": 1}],
    "currency": ["", None, 0, -0.0, 0.0, 25000, 25000.0, 25000.5, 0.005, 1.1, "$25,000.00", "25000", "-$1,200.50",
                 "($300.00)", " $ 15,000.00 ", "$-5.00", "$1.234", "N/A", "$25,0O0.00", 10**12, 1e11, 999999999999.99,
                 2**63, 2**64 + 1, True, [1], {"v": 1}],
    "int": ["", None, 0, 3, -2, 3.0, -0.0, 2.5, "7", " 7 ", "three", "1e3", 2**31, 2**31 - 1, -(2**31) - 1,
            2**63, 2**64 + 1, False, [3]],
    "numeric": ["", None, 0, 2, 2.0, -0.0, 3.25, 0.1, 1e-7, "4.5", "1e3", "NaN", "Infinity", 1e15, 10**15,
                "x", True, {"n": 1}],
    "date": ["", None, "2026-01-15", "1900-01-01", "1899-12-31", "2026-02-30", "10/31/2026", " 2026-01-15 ",
             "2026-1-5", "9999-12-31", "2026-01-15T00:00:00Z", 20260115, True],
    "datetime": ["", None, "2026-10-31T23:30:00Z", "2026-10-31T23:30:00.000Z", "2026-10-31T23:30:00.250Z",
                 "2026-10-31T23:30:00.5Z", "2026-10-31T23:30:00.123456Z", "2026-10-31T23:30:00.1234567Z",
                 "2026-10-31T19:30:00-04:00", "2026-10-31T19:30:00.999-04:00", "2026-10-31T23:30:00+00:00",
                 "2026-10-31T23:30:00-00:00", "2026-10-31T23:30:00+0530", "2026-10-31T23:30:00+24:00",
                 "2026-10-31T23:30Z", "2026-10-31T23:30:00", "2026-10-31 23:30:00Z", "2026-10-31t23:30:00z",
                 " 2026-10-31T23:30:00Z", "2026-10-31T23:30:00Z\n", "2026-02-30T10:00:00Z", "2026-10-31T24:00:00Z",
                 "2026-10-31T23:60:00Z", "2026-10-31T23:30:60Z", "2014-12-31T23:59:59Z", "2015-01-01T00:00:00Z",
                 "2099-01-01T00:00:00Z", "yesterday", 1793000000, True],
    "checkbox": ["", None, True, False, "true", "yes", 1, 0, [True]],
    "user": ["", None, {}, {"id": "1.ab", "email": "a@b.example", "name": "Zoë \"Z\" O'Hara 🙂", "userName": "z"},
             {"id": 58219447, "name": "numeric id"}, {"name": {"first": "nested"}}, "plain user text", ["a"], 5,
             {"name": "x" * 40_001}],
}
KEYS = [None, "", "VP-12", "123456", " 123456 ", 12.0, 12.5, True, -4, 0, 2**63 - 1, 2**63, 2**64 + 1]
EXTRAS = [("Record ID#", 48213), ("Date Modified", "2026-10-20T21:14:03.250Z"), ("Notes", "x" * 40_001),
          ("Nested", {"a": [1, {"b": None}]}), ("Big", 2**64 + 1), ("Nul", "a\x00b")]

# Hand-written lines the generator cannot write: each must load (or be refused) exactly as the builder says.
HOSTILE: list[bytes] = [
    b'{"Request ID":900001,"Request ID":900002,"Firm Name":"dup json key"}',        # the last one wins
    b'{"Request ID":900003,"Firm Name":"A","Firm Name":{"x":1}}',                    # the last one is bad
    b'{"Request ID":900004,"Firm Name":"\\u0041scii escape"}',                       # a \\u escape: the builder
    b'{"Request ID":900005,"Client Names":"\\u00e9t\\u00e9"}',
    b'{"Request ID":900006}',                                                      # only the key
    b'{}', b'[]', b'"a record as text"', b'12', b'null',
    b'{"Request ID":900007,"Claim Set Up Assignee":{"id":"1","id":"2","name":"dup"}}',
    b'{"Request ID":900008,"Firm Name":"Tab\\there\\\\ and\\nline\\r", "Request Created Datetime":'
    b'"2026-10-31T23:30:00Z"}',
    b'{"Request ID":900009,"PD Limit":1.0e3,"Number of Claimants":2E0,"Verify Time Open":-0.0}',
    b'{"Request ID":900010,"Record ID#":18446744073709551616,"Unknown \\"quoted\\" label":"v"}',
    b'{"Request ID":900006,"Firm Name":"a second record with the same id"}',        # duplicate_key
]


@pytest.fixture
def s3(moto_s3: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The landing bucket in moto; a hostile snapshot rejects far past a normal day's share."""
    monkeypatch.setenv("ITC_MAX_REJECT_SHARE", "0.9")
    return moto_s3(BUCKET)


def mutated(record: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """``record`` with one to three values drawn from :data:`PLAUSIBLE_AND_NOT` (or the key, or an extra
    label, or a field removed)."""
    record = dict(record)
    for _ in range(rng.randint(1, 3)):
        roll = rng.random()
        if roll < 0.08:
            record["Request ID"] = rng.choice(KEYS)
        elif roll < 0.16:
            label, value = rng.choice(EXTRAS)
            record[label] = value
        elif roll < 0.22:
            record.pop(rng.choice(list(KINDS)), None)
        else:
            label = rng.choice(list(KINDS)[1:])
            record[label] = rng.choice(PLAUSIBLE_AND_NOT[KINDS[label]])
    return record


def generated_lines(records: int, seed: int, *, mutate_share: float) -> list[bytes]:
    """A generated report (malformed, hostile, duplicate and extra-field records in large shares), a share of
    its records mutated, and the hand-written lines spread through it."""
    config = SyntheticConfig(records=records, seed=seed, malformed_share=0.05, hostile_share=0.2,
                             extra_fields=(("Record ID#", "int"), ("Date Modified", "datetime")))
    rng = random.Random(seed)
    lines = []
    for generated in VerifyPlusDataset(config).records():
        record = mutated(generated, rng) if rng.random() < mutate_share else generated
        try:
            lines.append(orjson.dumps(record))
        except orjson.JSONEncodeError:  # an integer beyond 64 bits: written as a JSON number all the same
            lines.append(json.dumps(record, ensure_ascii=False).encode())
    for line in HOSTILE:
        lines.insert(rng.randrange(len(lines) + 1), line)
    return lines


def builder_says(line: bytes) -> tuple[str, list[Any]]:
    """What the builder gives for one line: its COPY row (no line end) or the reject, and its field notes."""
    with collecting() as notes:
        try:
            return encode_copy_row(SPEC.build(orjson.loads(line)))[:-1], list(notes)
        except RecordRejected as rejected:
            return f"rejected: {rejected}", list(notes)


def land(s3: Any, lines: list[bytes]) -> ObjectRef:
    with JsonlGzS3Writer(s3, BUCKET, data_key("verifyplus", "hostile", "requests")) as writer:
        for line in lines:
            writer.write_line(line + b"\n")
    manifest = Manifest("verifyplus", "hostile", "2026-11-30T05:00:00+00:00", (writer.manifest_file("requests"),))
    return ObjectRef(BUCKET, write_manifest(s3, BUCKET, manifest))


def loaded(dsn: str) -> dict[str, Any]:
    """Every raw row (load id and time aside), every reject and every quarantined field, as a user queries them."""
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        cur.execute("SELECT to_jsonb(t) - '_load_id' - '_loaded_at' FROM raw.verifyplus t ORDER BY request_id")
        out: dict[str, Any] = {"raw": [r[0] for r in cur.fetchall()]}
        cur.execute("SELECT line_number, reason_code, field_name, detail, offending_value, record_key "
                    "FROM ops.rejected_records ORDER BY line_number, reason_code")
        out["rejects"] = cur.fetchall()
        cur.execute("SELECT line_number, reason_code, field_name, detail, offending_value, record_key, unit_at_risk "
                    "FROM ops.quarantined_fields ORDER BY line_number, field_name")
        out["quarantined"] = cur.fetchall()
    conn.close()
    return out


@pytest.mark.timeout(300)
def test_verifyplus_fast_path_loads_what_the_builder_loads(
        s3: Any, db_dsn: str, pg_server_dsn: str, template_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN a hostile Verify+ snapshot (malformed, mutated, duplicate-id and extra-field records)
    WHEN it is loaded by the fast path and by the builder alone, into two databases
    THEN the raw rows, the rejects and the quarantined fields are identical."""
    ref = land(s3, generated_lines(3000, 17, mutate_share=0.4))
    name, other_dsn = create_database(pg_server_dsn, template_db)
    try:
        results = {}
        for dsn, fast in ((db_dsn, "1"), (other_dsn, "0")):
            monkeypatch.setenv(FAST_ENV, fast)
            conn = psycopg2.connect(dsn)
            result = load_verifyplus(conn, s3, ref, window=WINDOW)
            conn.close()
            results[fast] = (result, loaded(dsn))
    finally:
        drop_database(pg_server_dsn, name)
    (fast_result, fast_rows), (slow_result, slow_rows) = results["1"], results["0"]
    assert fast_result["status"] == slow_result["status"] == "loaded"
    for key in ("records", "loaded", "rejected", "quarantined", "unknown_fields"):
        assert fast_result[key] == slow_result[key], key
    assert fast_rows == slow_rows
    reasons = {r[1] for r in fast_rows["rejects"]}
    assert {"missing_key", "bad_request_id", "bad_type", "bad_timestamp", "implausible_timestamp", "nul_byte",
            "duplicate_key"} <= reasons
    assert {r[1] for r in fast_rows["quarantined"]} >= {"bad_currency", "bad_date", "bad_number", "too_long"}
    rows = {row["request_id"]: row for row in fast_rows["raw"]}
    assert rows[900002]["firm_name"] == "dup json key" and 900001 not in rows  # the later JSON key wins
    assert [r[1] for r in fast_rows["rejects"] if r[5] == "900006"] == ["duplicate_key"] and 900006 in rows
    assert rows[900008]["firm_name"] == "Tab\there\\ and\nline\r"              # escapes survive COPY


def test_verifyplus_fast_row_equals_builder_row_or_steps_aside() -> None:
    """GIVEN every line of a hostile snapshot, half its records mutated with plausible and implausible values
    WHEN the fast path reads each line
    THEN it gives exactly the builder's COPY row, for a record the builder loads without a note, or None."""
    fast = SPEC.fast
    assert fast is not None
    lines = [*generated_lines(4000, 23, mutate_share=0.5), b'{"Request ID":1,"Firm Name":"\\ud800"}']
    taken = 0
    for line in lines:
        row = fast(line)
        if row is None:
            continue
        taken += 1
        built, notes = builder_says(line)
        assert row == built, line[:300]
        assert not notes, (line[:300], notes)  # a quarantined field is the builder's to write and note
    assert taken > len(lines) * 0.4, (taken, len(lines))


def test_generated_report_mostly_takes_the_fast_path() -> None:
    """GIVEN a normal day's generated report (hostile strings, empty values, currency as text and numbers)
    WHEN each line is read
    THEN at least 95 % take the fast path, each with the builder's row."""
    lines = [orjson.dumps(r) for r in VerifyPlusDataset(SyntheticConfig(records=2000, seed=3)).records()]
    rows = [(line, SPEC.fast(line)) for line in lines]  # type: ignore[misc]
    taken = [(line, row) for line, row in rows if row is not None]
    assert len(taken) >= 0.95 * len(lines)
    assert all(row == builder_says(line)[0] for line, row in taken)


# two requests in the documented Quickbase forms (ms timestamps, a user object, currency as numbers, the
# report's own built-in fields), keyed by label as the extract lands them
DOCUMENTED = [
    {"Request ID": 48213, "Request Created Datetime": "2026-10-14T17:05:09.000Z", "Request Type": "Policy Limits",
     "Firm Name": "Alvarez & Kim LLP", "Client Names": "", "BI Per Person Limit": 25000,
     "BI Per Occurrence Limit": 50000.0, "PD Limit": 10000.5, "Number of Claimants": 2,
     "Claim Set Up Assignee": {"email": "m.okafor@verify.example", "id": "58219447.c3tn", "name": "Maya Okafor",
                               "userName": "mokafor"},
     "Claim Set Up Start Date": "2026-10-15", "Date of Loss": "2026-03-02", "Exclude From Reporting": False,
     "Duplicate Request": False, "Verify Close Datetime": "2026-10-20T21:14:03.250Z", "Claim Days to Close": 5.25,
     "Number of Attempts": 3, "Record ID#": 48213, "Date Modified": "2026-10-20T21:14:03.250Z"},
    {"Date Modified": "2026-11-01T00:00:00.000Z", "Record ID#": 48214, "Duplicate Request": True,
     "Exclude From Reporting": True, "Duplicate/Exclusion Comments": "same claim as 48213",
     "Claim Set Up Assignee": None, "Firm Name": "Brightwater Injury Law", "Request Type": "Policy Limits",
     "Request Created Datetime": "2026-10-31T23:59:59.999Z", "Request ID": 48214},
]


def test_documented_quickbase_forms_take_the_fast_path() -> None:
    """GIVEN requests in the forms Quickbase documents, with the report's extra built-in fields, in two field orders
    WHEN the fast path reads them
    THEN it takes every one, with the builder's row (the extra fields' JSON in the record's own order)."""
    for record in DOCUMENTED:
        line = orjson.dumps(record)
        row = SPEC.fast(line)  # type: ignore[misc]
        assert row is not None, record["Request ID"]
        assert row == builder_says(line)[0]
    assert SPEC.fast(orjson.dumps(DOCUMENTED[1])).endswith(  # type: ignore[misc, union-attr]
        '{"Date Modified":"2026-11-01T00:00:00.000Z","Record ID#":48214}')
