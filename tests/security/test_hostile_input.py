"""Hostile input (docs/design.md §6): every text field of both sources carrying quotes, SQL, NUL bytes, emoji,
right-to-left marks and 1 MB strings goes through the real load paths (demand_pipeline.load.load and
verifyplus_pipeline.load.load_verifyplus, with moto S3 and real PostgreSQL) and is either
stored verbatim or quarantined with a reason — no SQL error, no partial load: every record written is
loaded or rejected, and the raw tables are all still there."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from demand_pipeline.load import load as load_demand
from itc_common_utilities.phi import REJECT_VALUE_FIELDS, is_phi
from itc_common_utilities.s3 import write_snapshot
from verifyplus_pipeline.fields import REPORT_FIELDS
from verifyplus_pipeline.load import load_verifyplus

BUCKET = "itc-hostile-landing"
PAYLOADS = {
    "quotes": "O'Brien \"the\" `tick` \\back\\slash\\",
    "sql": "'; DROP TABLE raw.cases; DROP TABLE raw.verifyplus; --",
    "nul": "before\x00after",
    "emoji": "Zoë 👩‍⚖️🚗💥 ✓",
    "rtl": "\u202eevil\u202c \u200fשלום\u200f",
    "one_mb": "x" * 1_000_000,
}
RAW_TABLES = ("raw.cases", "raw.metadata", "raw.templates", "raw.audit", "raw.verifyplus")

# demand: (snapshot table, path in the record, raw table, column the text lands in)
DEMAND_TEXT_FIELDS = [
    ("documents", ("customerId",), "raw.cases", "customer_id"),
    ("documents", ("sendingFirm", "firmName"), "raw.cases", "sending_firm_name"),
    ("documents", ("sendingFirm", "primaryContact", "firstName"), "raw.cases", "primary_contact_name"),
    ("documents", ("sendingFirm", "attorney", "lastName"), "raw.cases", "attorney_name"),
    ("documents", ("sendingFirm", "caseManagers", 0, "firstName"), "raw.cases", "case_manager_names"),
    ("documents", ("claimInfo", "claimCoverage"), "raw.cases", "claim_coverage"),
    ("documents", ("claimInfo", "claimNumber"), "raw.cases", "claim_number"),
    ("documents", ("claimInfo", "lossState"), "raw.cases", "loss_state"),
    ("documents", ("claimInfo", "claimant", "lastName"), "raw.cases", "claimant_name"),
    ("documents", ("recipientCarrier", "carrierCommonName"), "raw.cases", "carrier_common_name"),
    ("documents", ("caseManagementMetadata", "relatedInsuranceId"), "raw.cases", "related_insurance_id"),
    ("documents", ("caseManagementMetadata", "clientId"), "raw.cases", "client_id"),
    ("documents", ("caseManagementMetadata", "matterId"), "raw.cases", "matter_id"),
    ("documents", ("caseManagementMetadata", "matterTechId"), "raw.cases", "matter_tech_id"),
    ("documents", ("caseManagementMetadata", "matterName"), "raw.cases", "matter_name"),
    ("documents_metadata", ("documentType",), "raw.metadata", "document_type"),
    ("documents_metadata", ("demandTemplateId",), "raw.metadata", "demand_template_id"),
    ("templates", ("templateName",), "raw.templates", "template_name"),
    ("documents_audit", ("actionType",), "raw.audit", "action_type"),
    ("documents_audit", ("payload", "archiveReason"), "raw.audit", "archive_reason"),
    ("documents_audit", ("payload", "archiveComments"), "raw.audit", "archive_comments"),
]
KEY_FIELD = {"documents": "documentId", "documents_metadata": "documentId", "templates": "templateId",
             "documents_audit": "auditRecordId"}
KEY_COLUMN = {"raw.cases": "document_id", "raw.metadata": "document_id", "raw.templates": "template_id",
              "raw.audit": "audit_record_id", "raw.verifyplus": "request_id"}
BASE = {
    "documents": {
        "documentId": "?", "customerId": "cust-1", "version": 1, "createdTs": 1761967800000,
        "sendingFirm": {"firmName": "Acme Law", "primaryContact": {"firstName": "Pat", "lastName": "Lee"},
                        "attorney": {"firstName": "Sam", "lastName": "Ray"},
                        "caseManagers": [{"firstName": "Ann", "lastName": "Bo"}]},
        "claimInfo": {"claimCoverage": "BI", "claimNumber": "CL-1", "lossState": "NY",
                      "claimant": {"firstName": "Jane", "lastName": "Doe"}},
        "recipientCarrier": {"carrierCommonName": "Big Insurance"},
        "caseManagementMetadata": {"relatedInsuranceId": "ri", "clientId": "c1", "matterId": "m1",
                                   "matterTechId": "mt1", "matterName": "Doe v. Roe"},
    },
    "documents_metadata": {"documentId": "?", "documentType": "DEMAND", "createdTs": 1761967800000,
                           "demandIsDeliverable": True, "demandTemplateId": "tpl-1", "documentStatusHistory": []},
    "templates": {"templateId": "?", "version": 1, "templateName": "Standard", "defaultDemandConfig": {}},
    "documents_audit": {"auditRecordId": "?", "documentId": "doc-x", "createdTs": 1762000000000,
                        "actionType": "DemandArchived",
                        "payload": {"archiveReason": "Settled", "archiveComments": "ok"}},
}


@pytest.fixture
def s3(moto_s3: Callable[[str], Any]) -> Any:
    return moto_s3(BUCKET)


def put(record: dict[str, Any], path: tuple[Any, ...], value: str) -> None:
    target: Any = record
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


def outcome(conn: Any, raw_table: str, key: str, column: str) -> tuple[str | None, str | None]:
    """(stored value, rejection reason) of the record with natural key ``key``."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT {column}::text FROM {raw_table} WHERE {KEY_COLUMN[raw_table]}::text = %s", (key,))
        row = cur.fetchone()
        # documents are keyed "document_id/version"
        cur.execute("SELECT reason_code FROM ops.rejected_records WHERE record_key = %s OR record_key = %s || '/1'",
                    (key, key))
        rejected = cur.fetchone()
    return (row[0] if row else None), (rejected[0] if rejected else None)


def assert_all_tables_survive(conn: Any) -> None:
    with conn.cursor() as cur:
        for table in RAW_TABLES:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", (table,))
            assert cur.fetchone()[0], f"{table} is gone"


def test_hostile_demand_text_is_verbatim_or_quarantined(s3, db, monkeypatch):
    """GIVEN a demand snapshot where each text field of each Exchange table carries each hostile payload
    WHEN the real demand load runs THEN it succeeds, every record is loaded verbatim or rejected with a
    reason, manifest records = loaded + rejected, and no table was dropped."""
    monkeypatch.setenv("ITC_MAX_REJECT_SHARE", "1")  # hostile records on purpose: the quarantine, not the guard
    tables: dict[str, list[dict[str, Any]]] = {t: [] for t in BASE}
    cases = []
    for i, (table, path, raw_table, column) in enumerate(DEMAND_TEXT_FIELDS):
        for name, payload in PAYLOADS.items():
            record = copy.deepcopy(BASE[table])
            key = f"hostile-{i}-{name}"
            record[KEY_FIELD[table]] = key
            put(record, path, payload)
            tables[table].append(record)
            cases.append((key, raw_table, column, payload, ".".join(map(str, path))))
    ref = write_snapshot(s3, BUCKET, "demand", "hostile", tables)

    result = load_demand(db, s3, ref).to_dict()

    assert result["status"] == "loaded"
    assert result["loaded"] + result["rejected"] == len(cases)
    check_cases(db, cases)


def test_hostile_verifyplus_text_is_verbatim_or_quarantined(
        s3, db, monkeypatch):
    """GIVEN a Verify+ snapshot where each text field of the report carries each hostile payload
    WHEN the real Verify+ load runs THEN it succeeds and every record is stored verbatim or rejected."""
    monkeypatch.setenv("ITC_MAX_REJECT_SHARE", "1")  # hostile records on purpose: the quarantine, not the guard
    text_fields = [f for f in REPORT_FIELDS if f.kind == "text"]
    assert len(text_fields) >= 20
    records, cases = [], []
    request_id = 900_000
    for field in text_fields:
        for name, payload in PAYLOADS.items():
            request_id += 1
            record: dict[str, Any] = {f.label: "" for f in REPORT_FIELDS}
            record.update({"Request ID": request_id, "Request Created Datetime": "2026-10-31T23:30:00Z",
                           "Firm Name": "Acme Law", field.label: payload})
            records.append(record)
            cases.append((str(request_id), "raw.verifyplus", field.column, payload, f"{field.label} ({name})"))
    ref = write_snapshot(s3, BUCKET, "verifyplus", "hostile", {"requests": records})

    summary = load_verifyplus(db, s3, ref)

    assert summary["status"] == "loaded"
    assert summary["loaded"] + summary["rejected"] == len(records)
    check_cases(db, cases)


def quarantined_keys(conn: Any) -> set[str]:
    """Record keys with a value stored as NULL and noted (ops.quarantined_fields)."""
    with conn.cursor() as cur:
        cur.execute("SELECT DISTINCT record_key FROM ops.quarantined_fields")
        return {r[0] for r in cur.fetchall()}


def check_cases(conn: Any, cases: list[tuple[str, str, str, str, str]]) -> None:
    """Each hostile value is stored verbatim, or (NUL, over-long) its record is rejected when the field decides
    a bill, or the value is stored as NULL and noted in ops.quarantined_fields when it does not."""
    wrong = []
    verbatim = rejected = 0
    noted = quarantined_keys(conn)
    for key, raw_table, column, payload, label in cases:
        stored, reason = outcome(conn, raw_table, key, column)
        if reason is not None:
            rejected += 1
            if stored is not None:
                wrong.append(f"{label}: both stored and rejected")
        elif stored is not None and payload in stored:
            verbatim += 1
        elif stored is None and any(k == key or k.startswith(f"{key}/") for k in noted):
            rejected += 1  # quarantined: the value NULL, the record loaded and the value noted
        else:
            shown = None if stored is None else stored[:60]
            wrong.append(f"{label} [{key}]: neither stored verbatim, quarantined nor rejected (stored {shown!r})")
    conn.rollback()
    assert_all_tables_survive(conn)
    assert wrong == [], "\n".join(wrong)
    # the ordinary hostile strings (quotes, SQL, emoji, RTL marks) are data, not errors
    assert verbatim >= len(cases) * 3 // 6
    with conn.cursor() as cur:
        cur.execute("SELECT DISTINCT reason_code FROM ops.rejected_records UNION "
                    "SELECT DISTINCT reason_code FROM ops.quarantined_fields")
        assert {r[0] for r in cur.fetchall()} <= {"nul_byte", "too_long"}
    conn.rollback()


CLAIMANT = "Zebulon Quixote-Marchbanks"


def test_malformed_claim_info_leaves_no_phi_in_notes_or_logs(
        s3, db, monkeypatch, capsys):
    """GIVEN documents whose ``claimInfo`` is malformed and carries a claimant name (as text, as a list,
    and a claimant whose name is an object) WHEN the real demand load runs THEN each record loads with the
    malformed value stored as NULL (claimInfo decides no bill) and one ops.quarantined_fields row naming the
    field and the problem; the name appears nowhere in ops.quarantined_fields nor in anything the load
    wrote to stdout/stderr (its logs), and the value is shown as its type and length."""
    monkeypatch.setenv("ITC_MAX_REJECT_SHARE", "1")
    malformed = {
        "as-text": f"Claimant: {CLAIMANT}, claim CL-9",
        "as-list": [CLAIMANT, "CL-9"],
        "name-object": {"claimant": {"firstName": {"full": CLAIMANT}, "lastName": "x"}},
    }
    tables: dict[str, list[dict[str, Any]]] = {t: [copy.deepcopy(BASE[t])] for t in BASE}
    for table in tables:
        tables[table][0][KEY_FIELD[table]] = "good-1"
    for key, claim in malformed.items():
        record = copy.deepcopy(BASE["documents"])
        record.update(documentId=key, claimInfo=claim)
        tables["documents"].append(record)
    ref = write_snapshot(s3, BUCKET, "demand", "claiminfo", tables)

    result = load_demand(db, s3, ref).to_dict()

    assert (result["status"], result["rejected"], result["quarantined"]) == ("loaded", 0, 3)
    with db.cursor() as cur:
        cur.execute("SELECT record_key, reason_code, field_name, offending_value, detail FROM ops.quarantined_fields "
                    "ORDER BY record_key")
        assert cur.fetchall() == [
            ("as-list/1", "bad_type", "claimInfo", "array, 2 items", "claimInfo must be an object, got list"),
            ("as-text/1", "bad_type", "claimInfo", "string, 48 chars", "claimInfo must be an object, got str"),
            ("name-object/1", "bad_type", "claimant", "object, 1 keys", "claimant must be text, got dict"),
        ]
        cur.execute("SELECT count(*) FROM ops.quarantined_fields r WHERE row_to_json(r)::text ILIKE %s",
                    (f"%{CLAIMANT.split()[1]}%",))
        assert cur.fetchone()[0] == 0
    db.rollback()
    out = capsys.readouterr()
    assert CLAIMANT.split()[1] not in out.out + out.err


def test_every_allow_listed_verifyplus_label_is_an_id_time_flag_or_count():
    """GIVEN the Verify+ labels on the reject-value allow-list
    WHEN looked up in the report fields
    THEN each is a report field of a structured
    kind (no text, currency or user field) whose column the PHI catalogue does not list."""
    listed = [f for f in REPORT_FIELDS if f.label in REJECT_VALUE_FIELDS]
    assert len(listed) >= 15
    assert all(f.kind in ("int", "datetime", "date", "checkbox", "numeric") for f in listed), listed
    assert not any(is_phi("raw.verifyplus", f.column) for f in listed)
