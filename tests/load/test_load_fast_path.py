"""The load's fast paths against the builders they shortcut: the compiled row builders of raw.cases,
raw.metadata and raw.audit (builders/demand_rows.pyx, ADR 0012), the Python fast path (loader/fastrow.py +
demand_pipeline/builders/fast*.py, ADR 0007) and the builders alone. On a hostile snapshot all three load the
same raw rows and the same rejects with the same reasons, fields, details and values; line by line each fast
path gives the builder's COPY row or steps aside.

Real PostgreSQL (two fresh migrated databases), moto S3, the real demand load.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import orjson
import psycopg2
import pytest

from demand_pipeline.builders.fast import (
    audit_fast,
    audit_fast_python,
    case_fast,
    case_fast_python,
    metadata_fast,
    metadata_fast_python,
)
from demand_pipeline.load import demand_specs, load
from itc_common_utilities.db import encode_copy_row
from itc_common_utilities.loader import RecordRejected
from itc_common_utilities.loader.fastrow import FAST_ENV, use_compiled
from itc_common_utilities.manifest import Manifest, data_key
from itc_common_utilities.s3 import JsonlGzS3Writer, ObjectRef, SnapshotFileError, write_manifest
from itc_common_utilities.timestamps import TimeWindow
from scripts.stack.testdb import create_database, drop_database
from scripts.synthetic.exchange import ExchangeConfig, iter_records
from tests.load.compiled_edge_lines import AUDIT_EDGES, COMPILED_EDGES, METADATA_EDGES, R

BUCKET = "itc-test-landing"
WINDOW = TimeWindow.default()
RAW = {"documents": ("raw.cases", "document_id, version"), "documents_metadata": ("raw.metadata", "document_id"),
       "templates": ("raw.templates", "template_id, version"), "documents_audit": ("raw.audit", "audit_record_id")}

# Hand-written lines the generator does not write: every one must load (or be refused) exactly as the builder
# says, whichever path reads it.
HOSTILE: dict[str, list[bytes]] = {
    "documents": [
        b'{"documentId":"h1","version":1,"createdTs":1788000000123,"sendingFirm":{}}',          # ms; empty firm
        b'{"documentId":"h2","version":1.0,"createdTs":"2026-08-01T10:00:00-04:00"}',          # float version, ISO
        b'{"documentId":"h3","version":"2","createdTs":"1788000000"}',                          # numeric strings
        b'{"documentId":"h4","version":1,"customerId":"","sendingFirm":{"M":{"firmName":{"S":"Wrapped"}}}}',
        b'{"documentId":"h5","version":1,"sendingFirm":{"firmName":"A\\u0000B"}}',              # NUL
        b'{"documentId":"h6","version":1,"caseManagementMetadata":{"clientId":18446744073709551615}}',  # > int64
        b'{"documentId":"h7","version":1,"caseManagementMetadata":{"clientId":18446744073709551616}}',  # float
        b'{"documentId":"h8","version":1,"caseManagementMetadata":{"clientId":true}}',           # bool id
        b'{"documentId":"h9","version":2147483648}',                                            # > int32
        b'{"\\u0064ocumentId":"h10","version":1,"sendingFirm":{"firmName":"Tab\\there\\\\ and\\nline"}}',
        b'{"documentId":"h11","version":1,"documentId":"h11b"}',                                # duplicate key
        b'{"documentId":"h12","version":1,"sendingFirm":"  "}',                                 # blank JSON text
        b'{"documentId":"h13","version":1,"sendingFirm":"{\\"firmName\\": {\\"S\\": \\"typed in text\\"}}"}',
        b'{"documentId":"h14","version":1,"sendingFirm":{"caseManagers":[null,"",{"firstName":" A "},'
        b'{"firstName":"A","lastName":""},"{\\"firstName\\": \\"B\\"}"]}}',
        b'{"documentId":"h15","version":1,"sendingFirm":{"attorney":{"firstName":5}}}',         # bad type
        b'{"documentId":{"S":"h16"},"version":{"N":"1"},"createdTs":{"N":"1.5e9"},"customerId":{"N":"007"}}',
        b'{"documentId":{"S":"h17"},"version":{"N":"1"},"customerId":{"S":"c","N":"1"}}',      # two types
        b'{"documentId":{"S":"h18"},"version":{"S":"1"},"sendingFirm":{"M":{"firmName":"plain in typed"}}}',
        b'{"documentId":{"S":"h19"},"version":{"N":"1"},"sendingFirm":{"M":{"caseManagers":{"L":[{"NULL":true}]}}}}',
        b'{"documentId":"h20","version":1,"createdTs":-1}',                                     # implausible
        b'{"documentId":"h21","version":1,"createdTs":"yesterday"}',                            # not a time
        b'{"documentId":"h22","version":1,"recipientCarrier":{"carrierCommonName":"' + b"x" * 100_001 + b'"}}',
        b'{"M":{"documentId":{"S":"h23"},"version":{"N":"1"}}}',                                # wrapped record
        b'"{\\"documentId\\": \\"h24\\", \\"version\\": 1}"',                                    # record as text
        b'{"documentId":"","version":1}',                                                       # empty key
        b'{"documentId":"h25","version":1,"claimInfo":{"claimNumber":"' + b"9" * 1025 + b'"}}',  # id limit
        b'{"documentId":{"S":"h1"},"version":{"N":"1"}}',                                       # h1/1 again
    ],
    "documents_metadata": [
        b'{"documentId":"m1","demandIsDeliverable":" TRUE ","documentStatusHistory":[]}',
        b'{"documentId":"m2","demandIsDeliverable":"yes"}',
        b'{"documentId":"m3","documentStatusHistory":[null,{},{"documentStatus":"DocumentReceived",'
        b'"timestamp":1788000000500},{"documentStatus":"DocumentReceived","timestamp":1788000000}]}',
        b'{"documentId":"m4","documentStatusHistory":"[{\\"documentStatus\\": \\"DocumentArchived\\", '
        b'\\"timestamp\\": \\"2026-09-01T00:00:00Z\\"}, {\\"documentStatus\\": \\"DocumentArchived\\", '
        b'\\"timestamp\\": 1788000000}]"}',
        b'{"documentId":"m5","documentStatusHistory":[{"M":{"documentStatus":{"S":"DocumentReceived"}}}]}',
        b'{"documentId":{"S":"m6"},"demandIsDeliverable":{"S":"true"},"demandTemplateId":{"S":""}}',
        b'{"documentId":"m7","documentStatusHistory":[{"documentStatus":"Doc\\"Quoted\\"","timestamp":1788000000}]}',
        b'{"documentId":"m8","demandTemplateId":0,"documentStatusHistory":"null"}',
        b'{"documentId":"m9","documentStatusHistory":[{"documentStatus":"DocumentReceived","timestamp":1788000000000},'
        b'{"documentStatus":"DocumentArchived","timestamp":1788000001500},{"documentStatus":"DocumentReceived",'
        b'"timestamp":1788000000},{"documentStatus":"DocumentArchived","timestamp":1788000001}]}',
        b'{"documentId":"m10","documentStatusHistory":[{"documentStatus":"DocumentArchived","timestamp":5},'
        b'{"documentStatus":"DocumentReceived","timestamp":1788000000}]}',                  # an entry out of window
    ],
    "documents_audit": [
        b'{"auditRecordId":"a1","documentId":"d1","payload":"{\\"archiveReason\\": \\"r\\\\tx\\"}"}',
        b'{"auditRecordId":"a2","documentId":7,"payload":{}}',
        b'{"auditRecordId":{"S":"a3"},"documentId":{"S":"d3"},"payload":{"M":{}}}',
        b'{"auditRecordId":"a4","documentId":"d4","createdTs":1788000000,"payload":{"archiveComments":"x\\\\y\\nz"}}',
    ],
}


@pytest.fixture
def s3(moto_s3: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The landing bucket in moto (tests/conftest.py); the hostile snapshot rejects far past a normal day's share."""
    monkeypatch.setenv("ITC_MAX_REJECT_SHARE", "0.5")
    return moto_s3(BUCKET)


def hostile_lines() -> dict[str, list[bytes]]:
    """A generated snapshot with every form in large shares (typed, JSON text, malformed), and the lines above
    spread through it."""
    config = ExchangeConfig(demands=1500, seed=11, dynamo_share=0.3, json_string_share=0.3, malformed_share=0.05,
                            big_string_chars=120_000, time_unit="mixed")
    tables: dict[str, list[bytes]] = {t: [] for t in RAW}
    for table, record in iter_records(config):
        tables[table].append(orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS))
    rng = random.Random(5)
    for table, extra in HOSTILE.items():
        for line in extra:
            tables[table].insert(rng.randrange(len(tables[table]) + 1), line)
    return tables


def land(s3: Any, tables: dict[str, list[bytes]]) -> ObjectRef:
    files = []
    for table, lines in tables.items():
        with JsonlGzS3Writer(s3, BUCKET, data_key("demand", "hostile", table)) as writer:
            for line in lines:
                writer.write_line(line + b"\n")
        files.append(writer.manifest_file(table))
    manifest = Manifest("demand", "hostile", "2026-11-30T05:00:00+00:00", tuple(files))
    return ObjectRef(BUCKET, write_manifest(s3, BUCKET, manifest))


def loaded(dsn: str) -> dict[str, Any]:
    """Every raw row (its load id and load time aside), every reject and every quarantined field, as a user
    would query them."""
    conn = psycopg2.connect(dsn)
    out: dict[str, Any] = {}
    with conn.cursor() as cur:
        for table, order in RAW.values():
            cur.execute(f"SELECT to_jsonb(t) - '_load_id' - '_loaded_at' FROM {table} t ORDER BY {order}")
            out[table] = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT table_name, line_number, reason_code, field_name, detail, offending_value, record_key "
                    "FROM ops.rejected_records ORDER BY table_name, line_number, reason_code")
        out["rejects"] = cur.fetchall()
        cur.execute("SELECT table_name, line_number, reason_code, field_name, detail, offending_value, record_key, "
                    "unit_at_risk FROM ops.quarantined_fields ORDER BY table_name, line_number, field_name")
        out["quarantined"] = cur.fetchall()
    conn.close()
    return out


def compiled_cases() -> Any:
    """The compiled row builder of raw.cases, as the load picks it; fails (never skips) when it is not built."""
    return compiled_for("documents")


# snapshot table -> (the fast function the load picks, the Python fast path alone, the compiled class)
FAST = {"documents": (case_fast, case_fast_python, "CaseRows"),
        "documents_metadata": (metadata_fast, metadata_fast_python, "MetadataRows"),
        "documents_audit": (audit_fast, audit_fast_python, "AuditRows")}


def compiled_for(table: str) -> Any:
    """A table's compiled row builder, as the load picks it; fails (never skips) when it is not built."""
    fast = FAST[table][0](WINDOW)
    assert type(fast).__name__ == FAST[table][2], ("the compiled row builder is not built for this interpreter: "
                                                   "run `make venv` (scripts/build/compiled.py)")
    return fast


PATHS = {"compiled": ("1", True), "python": ("1", False), "builders": ("0", True)}  # ITC_LOAD_FAST, compiled


@pytest.mark.timeout(400)
def test_all_three_paths_load_the_same_hostile_data(
        s3: Any, db_dsn: str, pg_server_dsn: str, template_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN a hostile snapshot
    WHEN loaded by the compiled builder, the Python fast path and the builders alone
    THEN rows, rejects and quarantined fields are identical."""
    for table in FAST:
        compiled_for(table)
    ref = land(s3, hostile_lines())
    others = [create_database(pg_server_dsn, template_db) for _ in range(2)]
    results = {}
    try:
        for (path, (fast, with_compiled)), dsn in zip(PATHS.items(), [db_dsn] + [o[1] for o in others], strict=True):
            monkeypatch.setenv(FAST_ENV, fast)
            previous = use_compiled(with_compiled)
            try:
                conn = psycopg2.connect(dsn)
                result = load(conn, s3, ref, window=WINDOW)
                conn.close()
            finally:
                use_compiled(previous)
            results[path] = (result.to_dict(), loaded(dsn))
    finally:
        for name, _ in others:
            drop_database(pg_server_dsn, name)
    (fast_result, fast_rows) = results["compiled"]
    for path in ("python", "builders"):
        other_result, other_rows = results[path]
        assert fast_result["status"] == other_result["status"] == "loaded"
        for key in ("records", "loaded", "rejected", "quarantined"):
            assert fast_result[key] == other_result[key], (path, key)
        assert fast_rows == other_rows, path
    assert fast_rows["quarantined"], "the hostile snapshot holds values the load stores as NULL and notes"
    reasons = {r[2] for r in fast_rows["rejects"]}
    assert {"missing_key", "bad_type", "nul_byte", "too_long", "implausible_timestamp", "bad_timestamp",
            "duplicate_key"} <= reasons
    cases = {row["document_id"]: row for row in fast_rows["raw.cases"]}
    assert cases["h4"]["sending_firm_name"] == "Wrapped"                      # a wrapper inside a plain record
    assert cases["h10"]["sending_firm_name"] == "Tab\there\\ and\nline"        # escapes survive COPY
    assert cases["h11b"]["version"] == 1 and "h11" not in cases                # the last duplicate key wins
    assert cases["h14"]["case_manager_names"] == "A, B"
    metadata = {row["document_id"]: row for row in fast_rows["raw.metadata"]}
    at = "2026-08-29T10:40:00+00:00"  # 1788000000
    assert metadata["m7"]["status_history"] == [{"documentStatus": 'Doc"Quoted"', "timestamp": at}]
    assert metadata["m9"]["received_at"] == at                                    # the first of equal times
    assert metadata["m9"]["archived_at"] == "2026-08-29T10:40:01.5+00:00"       # the latest, in milliseconds
    held = {(r[0], r[6]): r for r in fast_rows["quarantined"]}
    assert held["documents_metadata", "m10"][2] == "implausible_timestamp"    # an entry out of window: noted
    assert held["documents_metadata", "m10"][7] == "demand_archived"          # a billed unit at risk
    assert metadata["m10"]["received_at"] == at and metadata["m10"]["archived_at"] is None
    audit = {row["audit_record_id"]: row for row in fast_rows["raw.audit"]}
    assert audit["a1"]["archive_reason"] == "r\tx" and audit["a4"]["archive_comments"] == "x\\y\nz"


def test_compiled_row_is_python_row_or_steps_aside_per_line() -> None:
    """GIVEN each line of the hostile documents
    WHEN the compiled builder reads it alone
    THEN it gives the Python fast path's row or steps aside, and takes nearly every line."""
    compiled, python = compiled_cases(), case_fast_python(WINDOW)
    lines = hostile_lines()["documents"] + COMPILED_EDGES
    taken = 0
    for line in lines:
        row = compiled.row(line)
        if row is None:
            continue
        taken += 1
        assert row == python(line), line[:200]
    assert taken >= 0.9 * len(lines), (taken, len(lines))
    assert compiled(HOSTILE["documents"][4]) is None  # a NUL: handed on, and the builder rejects it


EDGES = {"documents": COMPILED_EDGES, "documents_metadata": METADATA_EDGES, "documents_audit": AUDIT_EDGES}


@pytest.mark.parametrize("table", ["documents_metadata", "documents_audit"])
def test_compiled_meta_audit_row_is_python_row_or_steps_aside(table: str) -> None:
    """GIVEN each hostile line and each edge line of the metadata or audit snapshot
    WHEN the table's compiled builder reads it alone
    THEN it gives the Python fast path's row or steps aside, and takes most lines."""
    compiled, python = compiled_for(table), FAST[table][1](WINDOW)
    hostile = hostile_lines()[table]
    taken = 0
    for line in hostile + EDGES[table]:
        row = compiled.row(line)
        if row is None:
            continue
        taken += line in hostile
        assert row == python(line), line[:200]
    assert taken >= 0.8 * len(hostile), (taken, len(hostile))


def test_compiled_metadata_hands_on_every_history_the_builder_notes() -> None:
    """GIVEN metadata lines whose status history holds an entry the builder drops and notes (a time outside the
    window, a time as text, a NUL, a status as text, an empty entry)
    WHEN the compiled builder reads them
    THEN it takes none of them itself: the line goes on to the Python fast path and the builder."""
    compiled = compiled_for("documents_metadata")
    noted = [b'{"timestamp":1}', b'{"timestamp":"yesterday"}', b'{"timestamp":"2026-02-30T00:00:00Z"}',
             b'{"timestamp":"1999-01-01T00:00:00Z"}', b'{"documentStatus":"A\\u0000"}', b'"DocumentReceived"',
             b'{}', b'{"documentStatus":5}', b'{"timestamp":true}']
    for entry in noted:
        line = b'{"documentId":"n","documentStatusHistory":[' + R + b"," + entry + b"]}"
        assert compiled.row(line) is None, line
    assert compiled.row(HOSTILE["documents_metadata"][-1]) is None
    assert compiled.row(b'{"documentId":"n","documentStatusHistory":[' + R + b"]}") is not None


@pytest.mark.parametrize("with_compiled", [True, False], ids=["compiled", "python"])
def test_fast_path_matches_or_steps_aside_per_line(with_compiled: bool) -> None:
    """GIVEN each hostile line
    WHEN the fast path (compiled in front, or Python alone) reads it
    THEN it gives the builders' row or steps aside."""
    tables = hostile_lines()
    previous = use_compiled(with_compiled)
    try:
        specs = demand_specs(WINDOW)
    finally:
        use_compiled(previous)
    for spec in specs:
        if spec.fast is None:
            continue
        lines = tables[spec.snapshot_table] + EDGES.get(spec.snapshot_table, [])
        taken = 0
        for line in lines:
            fast = spec.fast(line)
            if fast is None:
                continue
            taken += 1
            try:
                built = encode_copy_row(spec.build(orjson.loads(line)))[:-1]
            except RecordRejected as rejected:
                built = f"rejected: {rejected}"
            assert fast == built, line[:200]
        # the common forms (plain, JSON text, DynamoDB-typed) all take the fast path
        assert taken >= 0.9 * len(lines), (spec.snapshot_table, taken, len(lines))


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("bad", [b"Caf\xe9 Latin-1", b"\xed\xa0\x80", b"\xc3("], ids=["latin1", "surrogate", "cut"])
def test_a_line_not_utf8_fails_the_load_naming_it_on_every_path(
        s3: Any, db_dsn: str, monkeypatch: pytest.MonkeyPatch, path: str, bad: bytes) -> None:
    """GIVEN a snapshot whose documents file holds one line that is not UTF-8 (a landed file the extract
    cannot have written: a corrupt file)
    WHEN loaded by each path
    THEN the load fails naming the file and the line, as for a line that is not JSON, and loads nothing."""
    fast, with_compiled = PATHS[path]
    lines = [b'{"documentId":"u1","version":1,"createdTs":1788000000}',
             b'{"documentId":"u2","version":1,"sendingFirm":{"firmName":"' + bad + b'"}}']
    ref = land(s3, {"documents": lines, **{table: [] for table in RAW if table != "documents"}})
    monkeypatch.setenv(FAST_ENV, fast)
    previous = use_compiled(with_compiled)
    conn = psycopg2.connect(db_dsn)
    try:
        with pytest.raises(SnapshotFileError, match=r"documents.jsonl.gz: line 2 is not JSON"):
            load(conn, s3, ref, window=WINDOW)
    finally:
        use_compiled(previous)
        conn.close()
    assert loaded(db_dsn)["raw.cases"] == []
