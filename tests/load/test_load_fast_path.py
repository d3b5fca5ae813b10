"""The load's fast path (compiled decoding, loader/fastrow.py + demand_pipeline/builders/fast*.py) against the
builders it shortcuts: on a hostile snapshot both load the same raw rows and the same rejects with the same
reasons, fields, details and values; line by line the fast path gives the builder's COPY row or steps aside.

Real PostgreSQL (two fresh migrated databases), moto S3, the real demand load.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import orjson
import psycopg2
import pytest

from demand_pipeline.load import demand_specs, load
from itc_common_utilities.db import encode_copy_row
from itc_common_utilities.loader import RecordRejected
from itc_common_utilities.loader.fastrow import FAST_ENV
from itc_common_utilities.manifest import Manifest, data_key
from itc_common_utilities.s3 import JsonlGzS3Writer, ObjectRef, write_manifest
from itc_common_utilities.timestamps import TimeWindow
from scripts.stack.testdb import create_database, drop_database
from scripts.synthetic.exchange import ExchangeConfig, iter_records

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
    ],
    "documents_audit": [
        b'{"auditRecordId":"a1","documentId":"d1","payload":"{\\"archiveReason\\": \\"r\\\\tx\\"}"}',
        b'{"auditRecordId":"a2","documentId":7,"payload":{}}',
        b'{"auditRecordId":{"S":"a3"},"documentId":{"S":"d3"},"payload":{"M":{}}}',
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


@pytest.mark.timeout(300)
def test_fast_path_equals_builders_on_hostile_data(
        s3: Any, db_dsn: str, pg_server_dsn: str, template_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN a hostile snapshot
    WHEN loaded fast and by the builders
    THEN rows and rejects are identical."""
    ref = land(s3, hostile_lines())
    name, other_dsn = create_database(pg_server_dsn, template_db)
    try:
        results = {}
        for dsn, fast in ((db_dsn, "1"), (other_dsn, "0")):
            monkeypatch.setenv(FAST_ENV, fast)
            conn = psycopg2.connect(dsn)
            result = load(conn, s3, ref, window=WINDOW)
            conn.close()
            results[fast] = (result.to_dict(), loaded(dsn))
    finally:
        drop_database(pg_server_dsn, name)
    (fast_result, fast_rows), (slow_result, slow_rows) = results["1"], results["0"]
    assert fast_result["status"] == slow_result["status"] == "loaded"
    for key in ("records", "loaded", "rejected", "quarantined"):
        assert fast_result[key] == slow_result[key]
    assert fast_rows == slow_rows
    assert fast_rows["quarantined"], "the hostile snapshot holds values the load stores as NULL and notes"
    reasons = {r[2] for r in fast_rows["rejects"]}
    assert {"missing_key", "bad_type", "nul_byte", "too_long", "implausible_timestamp", "bad_timestamp",
            "duplicate_key"} <= reasons
    cases = {row["document_id"]: row for row in fast_rows["raw.cases"]}
    assert cases["h4"]["sending_firm_name"] == "Wrapped"                      # a wrapper inside a plain record
    assert cases["h10"]["sending_firm_name"] == "Tab\there\\ and\nline"        # escapes survive COPY
    assert cases["h11b"]["version"] == 1 and "h11" not in cases                # the last duplicate key wins
    assert cases["h14"]["case_manager_names"] == "A, B"


def test_fast_path_matches_or_steps_aside_per_line() -> None:
    """GIVEN each hostile line
    WHEN the fast path reads it
    THEN it gives the builders' row or steps aside."""
    tables = hostile_lines()
    for spec in demand_specs(WINDOW):
        if spec.fast is None:
            continue
        lines = tables[spec.snapshot_table]
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
