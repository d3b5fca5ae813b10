"""Unit tests of the Exchange builders on every shape (plain, raw DynamoDB, JSON strings)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from demand_pipeline.builders import (
    AUDIT_COLUMNS,
    CASE_COLUMNS,
    METADATA_COLUMNS,
    TEMPLATE_COLUMNS,
    build_audit,
    build_case,
    build_metadata,
    build_template,
)
from demand_pipeline.builders.values import MAX_TEXT_CHARS, plain
from demand_pipeline.tests.shapes import SHAPES
from itc_common_utilities.billing import HISTORY_FIELDS, is_billing_critical
from itc_common_utilities.loader import RecordRejected
from itc_common_utilities.loader.quarantine import FieldNote, collecting

OCT31_2330_NY_MS = 1761967800000  # 2025-10-31T23:30:00-04:00 = 2025-11-01T03:30:00Z

DOCUMENT = {
    "documentId": "doc-1",
    "customerId": "cust-9",
    "version": 3,
    "createdTs": OCT31_2330_NY_MS,
    "sendingFirm": {
        "firmName": "Acme Injury Law  ",
        "primaryContact": {"firstName": " Pat ", "lastName": "Lee"},
        "attorney": {"firstName": "Sam", "lastName": ""},
        "caseManagers": [
            {"firstName": "Ann", "lastName": "Bo"},
            {"firstName": "Cy", "lastName": "Dee"},
            {"firstName": "Ann ", "lastName": " Bo"},
            {"firstName": "", "lastName": ""},
        ],
    },
    "claimInfo": {"claimCoverage": "BI", "claimNumber": "CL-77", "lossState": "NY",
                  "claimant": {"firstName": "Jane", "lastName": "Doe"}},
    "recipientCarrier": {"carrierCommonName": "Big Insurance"},
    "caseManagementMetadata": {"relatedInsuranceId": "ri", "clientId": 42, "matterId": "m1",
                               "matterTechId": "mt1", "matterName": "Doe v. Roe"},
}
METADATA = {
    "documentId": "doc-1",
    "documentType": "DEMAND",
    "createdTs": OCT31_2330_NY_MS,
    "demandIsDeliverable": True,
    "demandTemplateId": "tpl-1",
    "documentStatusHistory": [
        {"documentStatus": "DocumentArchived", "timestamp": 1762000000000},
        {"documentStatus": "DocumentReceived", "timestamp": 1761980000000},
        {"documentStatus": "DocumentReceived", "timestamp": 1761970000000},
        {"documentStatus": "DocumentArchived", "timestamp": 1762100000000},
        {"documentStatus": "DocumentArchived", "timestamp": 1761990000000},
    ],
}
TEMPLATE = {"templateId": "tpl-1", "version": 2, "templateName": "Client Smith template",
            "defaultDemandConfig": {"letterhead": True, "sections": ["facts", "damages"]}}
AUDIT = {"auditRecordId": "au-1", "documentId": "doc-1", "createdTs": "2025-11-02T10:00:00Z",
         "actionType": "DemandArchived", "payload": {"archiveReason": "Settled", "archiveComments": "paid in full"}}


def ms(when: int) -> datetime:
    return datetime.fromtimestamp(when / 1000, UTC)


@pytest.mark.parametrize("shape", SHAPES)
def test_given_a_document_in_any_shape_when_built_then_the_case_row_has_clean_names(shape: str) -> None:
    row = dict(zip(CASE_COLUMNS, build_case(SHAPES[shape](DOCUMENT)), strict=True))
    assert row == {
        "document_id": "doc-1", "version": 3, "customer_id": "cust-9",
        "created_at": datetime(2025, 11, 1, 3, 30, tzinfo=UTC),
        "sending_firm_name": "Acme Injury Law  ",  # raw keeps it; curated right-strips
        "primary_contact_name": "Pat Lee", "attorney_name": "Sam", "case_manager_names": "Ann Bo, Cy Dee",
        "claim_coverage": "BI", "claim_number": "CL-77", "loss_state": "NY", "claimant_name": "Jane Doe",
        "carrier_common_name": "Big Insurance", "related_insurance_id": "ri", "client_id": "42",
        "matter_id": "m1", "matter_tech_id": "mt1", "matter_name": "Doe v. Roe",
    }


@pytest.mark.parametrize("shape", SHAPES)
def test_metadata_gives_first_received_and_last_archived(shape: str) -> None:
    """GIVEN metadata in any shape
    WHEN built
    THEN first received and last archived are taken."""
    row = dict(zip(METADATA_COLUMNS, build_metadata(SHAPES[shape](METADATA)), strict=True))
    assert row["document_id"] == "doc-1"
    assert row["uploaded_at"] == ms(OCT31_2330_NY_MS)
    assert row["demand_is_deliverable"] is True
    assert row["demand_template_id"] == "tpl-1"
    assert row["received_at"] == ms(1761970000000)
    assert row["archived_at"] == ms(1762100000000)
    assert [h["documentStatus"] for h in row["status_history"]] == [
        "DocumentArchived", "DocumentReceived", "DocumentReceived", "DocumentArchived", "DocumentArchived"]
    assert row["status_history"][0]["timestamp"] == ms(1762000000000).isoformat()


@pytest.mark.parametrize("shape", SHAPES)
def test_given_a_template_in_any_shape_when_built_then_config_is_plain_json(shape: str) -> None:
    row = dict(zip(TEMPLATE_COLUMNS, build_template(SHAPES[shape](TEMPLATE)), strict=True))
    assert row == {"template_id": "tpl-1", "version": 2, "template_name": "Client Smith template",
                   "default_demand_config": {"letterhead": True, "sections": ["facts", "damages"]}}


@pytest.mark.parametrize("shape", SHAPES)
def test_audit_reason_and_comments_come_from_payload(shape: str) -> None:
    """GIVEN an audit record in any shape
    WHEN built
    THEN reason and comments come from the payload."""
    row = dict(zip(AUDIT_COLUMNS, build_audit(SHAPES[shape](AUDIT)), strict=True))
    assert row == {"audit_record_id": "au-1", "document_id": "doc-1",
                   "created_at": datetime(2025, 11, 2, 10, tzinfo=UTC), "action_type": "DemandArchived",
                   "archive_reason": "Settled", "archive_comments": "paid in full"}


def test_audit_without_payload_has_null_reason() -> None:
    """GIVEN an audit record without payload
    WHEN built
    THEN reason and comments are null."""
    row = build_audit({"auditRecordId": "a", "documentId": "d", "actionType": "DemandArchived"})
    assert row[4:] == (None, None)


def test_given_metadata_without_template_or_history_when_built_then_they_are_null() -> None:
    row = build_metadata({"documentId": "d", "demandTemplateId": "", "createdTs": "1761967800000"})
    assert row[2] == ms(OCT31_2330_NY_MS)
    assert row[4:] == (None, None, None, None)


def test_given_a_whole_record_as_json_text_or_dynamo_map_when_built_then_it_is_read() -> None:
    import json

    assert build_audit(json.dumps(AUDIT))[0] == "au-1"
    assert build_template({"M": {"templateId": {"S": "t"}, "version": {"N": "1"}}})[:2] == ("t", 1)


def _cost(builder: Any, record: Any, *args: Any) -> RecordRejected | list[FieldNote]:
    """What a bad value costs: the record (RecordRejected) or, for a field that decides no bill, the field
    (the notes of the values stored as NULL)."""
    try:
        with collecting() as notes:
            builder(record, *args)
    except RecordRejected as rejected:
        return rejected
    return notes


@pytest.mark.parametrize(("builder", "record", "reason", "field"), [
    (build_case, {"version": 1}, "missing_key", "documentId"),
    (build_case, {"documentId": "d"}, "missing_key", "version"),
    (build_case, {"documentId": "d", "version": "three"}, "bad_type", "version"),
    (build_case, {"documentId": "d", "version": True}, "bad_type", "version"),
    (build_case, {"documentId": "d", "version": 2**40}, "bad_type", "version"),
    (build_case, {"documentId": ["d"], "version": 1}, "bad_type", "documentId"),
    (build_case, {"documentId": "d", "version": 1, "createdTs": -5}, "implausible_timestamp", "createdTs"),
    (build_case, {"documentId": "d", "version": 1, "createdTs": 10**17}, "implausible_timestamp", "createdTs"),
    (build_case, {"documentId": "d", "version": 1, "createdTs": "yesterday"}, "bad_timestamp", "createdTs"),
    (build_case, {"documentId": "d", "version": 1, "sendingFirm": "not json"}, "bad_type", "sendingFirm"),
    (build_case, {"documentId": "d", "version": 1, "sendingFirm": {"firmName": 7}}, "bad_type", "firmName"),
    (build_case, {"documentId": "d", "version": 1, "sendingFirm": {"firmName": "x" * (MAX_TEXT_CHARS + 1)}},
     "too_long", "firmName"),
    (build_case, {"documentId": "d", "version": 1,
                  "claimInfo": {"claimant": {"firstName": "Ja\x00ne"}}}, "nul_byte", "claimant"),
    (build_metadata, {"documentType": "x"}, "missing_key", "documentId"),
    (build_metadata, {"documentId": "d", "demandIsDeliverable": "maybe"}, "bad_type", "demandIsDeliverable"),
    (build_metadata, {"documentId": "d", "documentStatusHistory": [{"documentStatus": "DocumentArchived",
                                                                    "timestamp": "soon"}]},
     "bad_timestamp", "documentStatusHistory.timestamp"),
    (build_metadata, {"documentId": "d", "documentStatusHistory": {"a": 1}}, "bad_type", "documentStatusHistory"),
    (build_template, {"templateId": "t", "version": 1, "defaultDemandConfig": {"a": "b\x00"}}, "nul_byte",
     "defaultDemandConfig"),
    (build_template, {"templateId": "t", "version": 1, "defaultDemandConfig": {"a": "x" * (1 << 20)}}, "too_long",
     "defaultDemandConfig"),
    (build_audit, {"auditRecordId": "a"}, "missing_key", "documentId"),
    (build_audit, [1, 2], "bad_type", None),
])
def test_bad_value_rejects_when_billing_critical_else_is_nulled(
        builder: Any, record: Any, reason: str, field: str | None) -> None:
    """GIVEN a record with one malformed value WHEN built THEN a bad value in a billing-critical field (keys,
    versions, the upload time, the firm, the template id: itc_common_utilities.billing) rejects the record
    with its reason and field; a bad value anywhere else is stored as NULL and noted with them (a bad
    status-history entry is dropped, a possible archive marked as a unit at risk)."""
    cost = _cost(builder, record)
    table = {build_case: "raw.cases", build_metadata: "raw.metadata", build_template: "raw.templates",
             build_audit: "raw.audit"}[builder]
    if field is None or (is_billing_critical(table, field) and field not in HISTORY_FIELDS):
        assert isinstance(cost, RecordRejected), f"{field}: a billing-critical value must reject the record"
        assert (cost.reason_code, cost.field) == (reason, field)
    else:
        assert isinstance(cost, list), f"{field}: a value that decides no bill must not reject the record"
        assert [(n.reason, n.field) for n in cost] == [(reason, field)]
        history = field.startswith("documentStatusHistory")
        assert cost[0].unit_at_risk == ("demand_archived" if history else None)


def test_given_quotes_and_sql_looking_text_when_built_then_they_are_kept_verbatim() -> None:
    nasty = "O'Brien\"; DROP TABLE raw.cases; --\t\\N"
    row = build_case({"documentId": "d", "version": 1, "sendingFirm": {"firmName": nasty}})
    assert row[4] == nasty


def test_dynamo_typed_values_become_plain() -> None:
    """GIVEN DynamoDB-typed values
    WHEN unwrapped
    THEN numbers, sets and nulls become plain."""
    assert plain({"N": "12"}) == 12
    assert plain({"N": "1.5"}) == 1.5
    assert plain({"NULL": True}) is None
    assert plain({"SS": ["a", "b"]}) == ["a", "b"]
    assert plain({"S": "x", "N": "1"}) == {"S": "x", "N": "1"}  # two keys: a plain object


def test_given_iso_timestamps_with_a_zone_when_built_then_they_are_utc() -> None:
    for value in ("2025-11-01T03:30:00Z", "2025-10-31T23:30:00-04:00"):
        assert build_audit({"auditRecordId": "a", "documentId": "d", "createdTs": value})[2] == datetime(
            2025, 11, 1, 3, 30, tzinfo=UTC)


def test_zoneless_iso_is_utc_and_a_bare_audit_date_is_nulled() -> None:
    """GIVEN ISO text without a zone, and a bare date, as an audit record's time (which decides no bill)
    WHEN built THEN the first is read as UTC, the second stored as NULL and noted bad_timestamp."""
    assert build_audit({"auditRecordId": "a", "documentId": "d", "createdTs": "2025-11-01T03:30:00"})[2] == datetime(
        2025, 11, 1, 3, 30, tzinfo=UTC)
    with collecting() as notes:
        assert build_audit({"auditRecordId": "a", "documentId": "d", "createdTs": "2025-11-01"})[2] is None
    assert [n.reason for n in notes] == ["bad_timestamp"]
    assert "is a date without a time" in notes[0].detail
