"""Rejected records: quarantined in ops.rejected_records with their reason, field and (redacted) value,
never the record; the rest of the file loads."""

from __future__ import annotations

from typing import Any

from common_testkit import SPECS, UNGUARDED_SHARES, audits, land, rows, templates

from itc_common_utilities.loader import load_snapshot


def test_bad_records_quarantined_with_reasons_rest_loads(
        db: Any, s3: Any) -> None:
    """GIVEN bad records (missing key, bad type, duplicate, NUL byte, not an object) WHEN loaded THEN they
    are quarantined with their reasons and the rest loads."""
    recs: list[Any] = templates(3)
    recs.append({"templateName": "no id"})                                   # line 4: missing key
    recs.append({"templateId": "t9", "version": "seven"})                    # line 5: bad type
    recs.append({"templateId": "t1", "version": 1, "templateName": "dup"})   # line 6: duplicate of line 2
    recs.append({"templateId": "t8", "version": 1, "templateName": "nul\x00byte"})  # line 7
    recs.append(["not", "an", "object"])                                     # line 8: builder rejects
    bad_audit = [*audits(2), {"auditRecordId": "a9", "documentId": "d9", "actionType": "DemandArchived",
                              "payload": {"archiveReason": "x", "archiveComments": "Jane\x00Doe"}}]
    ref = land(s3, "r1", {"templates": recs, "documents_audit": bad_audit})

    result = load_snapshot(db, s3, ref, SPECS, source="demand", guards=UNGUARDED_SHARES)  # 5 of 8 rejected

    assert (result.tables["templates"].loaded, result.tables["templates"].rejected) == (3, 5)
    assert rows(db, "SELECT template_name FROM raw.templates WHERE template_id = 't1'") == [("Standard 1",)]
    got = rows(db, "SELECT table_name, line_number, reason_code, field_name, offending_value, record_key, "
                   "source_version_id IS NOT NULL FROM ops.rejected_records ORDER BY table_name, line_number")
    assert got == [
        ("documents_audit", 3, "nul_byte", "archive_comments", "string, 8 chars", "a9", True),
        ("templates", 4, "missing_key", "templateId", None, None, True),
        ("templates", 5, "bad_type", "version", "seven", "t9", True),
        ("templates", 6, "duplicate_key", "template_id,version", "t1/1", "t1/1", True),
        ("templates", 7, "nul_byte", "template_name", "string, 8 chars", "t8", True),
        ("templates", 8, "missing_key", "templateId", None, None, True),
    ]
    assert rows(db, "SELECT rejected FROM ops.load_runs") == [(6,)]


def test_duplicate_key_first_line_wins_second_rejected(
        db: Any, s3: Any) -> None:
    """GIVEN a duplicate key in a later snapshot WHEN upserted THEN the first line wins and the second is
    rejected as duplicate_key."""
    load_snapshot(db, s3, land(s3, "r1", {"templates": templates(2), "documents_audit": audits(1)}),
                  SPECS, source="demand")
    recs = [*templates(2), {"templateId": "t0", "version": 1, "templateName": "second t0"}]
    recs[0]["templateName"] = "first t0"

    result = load_snapshot(db, s3, land(s3, "r2", {"templates": recs, "documents_audit": audits(1)}),
                           SPECS, source="demand", guards=UNGUARDED_SHARES)  # 1 of 3 rejected

    assert rows(db, "SELECT template_name FROM raw.templates WHERE template_id = 't0'") == [("first t0",)]
    assert (result.tables["templates"].loaded, result.tables["templates"].rejected) == (2, 1)
    assert rows(db, "SELECT line_number, reason_code FROM ops.rejected_records") == [(3, "duplicate_key")]
