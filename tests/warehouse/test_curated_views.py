"""The curated layer's business rules (docs/design.md §5), on rows put straight into the raw tables."""

from __future__ import annotations

import hashlib
import hmac

from tests.warehouse.kit import (
    add_audit,
    add_case,
    add_demand,
    add_metadata,
    add_request,
    add_template,
    ny,
    refresh_all,
    rows,
)


def test_only_the_latest_version_is_shown(db):
    """GIVEN a document with versions 1..3 (the firm renamed in v3) WHEN refreshed THEN one row, version 3's firm."""
    with db.cursor() as cur:
        add_case(cur, "D1", 1, firm="Old Firm")
        add_case(cur, "D1", 3, firm="New Firm   ", claimant_name="Jane Roe")
        add_case(cur, "D1", 2, firm="Middle Firm")
        add_metadata(cur, "D1", uploaded_at=ny(2025, 3, 2))
    refresh_all(db)
    assert rows(db, "SELECT document_id, document_version, sending_firm_name FROM curated.demands_uploaded") == [
        ("D1", 3, "New Firm"),
    ]


def test_given_firm_with_trailing_whitespace_when_refreshed_then_right_stripped_only(db):
    """GIVEN firm names with trailing spaces/tabs and a leading space
        WHEN refreshed THEN only the right side is stripped."""
    with db.cursor() as cur:
        add_demand(cur, "D1", firm="Acme Law \t ", uploaded_at=ny(2025, 3, 2))
        add_demand(cur, "D2", firm="  Beta LLP", uploaded_at=ny(2025, 3, 2))
    refresh_all(db)
    assert rows(db, "SELECT sending_firm_name FROM curated.demands_uploaded ORDER BY document_id") == [
        ("Acme Law",), ("  Beta LLP",),
    ]


def test_client_template_demands_are_excluded(db):
    """GIVEN templates named 'Client Intake', 'CLIENT level', 'Standard'
        WHEN refreshed THEN only the Standard demand stays."""
    with db.cursor() as cur:
        add_template(cur, "T1", "Client Intake")
        add_template(cur, "T2", "per-CLIENT level")
        add_template(cur, "T3", "Standard demand")
        add_demand(cur, "D1", uploaded_at=ny(2025, 3, 2), template_id="T1")
        add_demand(cur, "D2", uploaded_at=ny(2025, 3, 2), template_id="T2")
        add_demand(cur, "D3", uploaded_at=ny(2025, 3, 2), template_id="T3")
    refresh_all(db)
    assert rows(db, "SELECT document_id, template_name FROM curated.demands_uploaded") == [("D3", "Standard demand")]


def test_latest_template_name_decides(db):
    """GIVEN T1 v1 'Standard' and v2 'Client copy', T2 v1 'Client', v2 'Firm'
        WHEN refreshed THEN only T2's demand stays."""
    with db.cursor() as cur:
        add_template(cur, "T1", "Standard", 1)
        add_template(cur, "T1", "Client copy", 2)
        add_template(cur, "T2", "Client", 1)
        add_template(cur, "T2", "Firm", 2)
        add_demand(cur, "D1", uploaded_at=ny(2025, 3, 2), template_id="T1")
        add_demand(cur, "D2", uploaded_at=ny(2025, 3, 2), template_id="T2")
    refresh_all(db)
    assert rows(db, "SELECT document_id FROM curated.demands_uploaded") == [("D2",)]


def test_unknown_template_excluded_missing_kept(db):
    """GIVEN a demand with an unknown template id, one with none and one with ''
        WHEN refreshed THEN the unknown one is gone."""
    with db.cursor() as cur:
        add_template(cur, "T1", "Standard")
        add_demand(cur, "D-unknown", uploaded_at=ny(2025, 3, 2), template_id="NOPE")
        add_demand(cur, "D-none", uploaded_at=ny(2025, 3, 2), template_id=None)
        add_demand(cur, "D-empty", uploaded_at=ny(2025, 3, 2), template_id="")
    refresh_all(db)
    assert rows(db, "SELECT document_id, demand_template_id FROM curated.demands_uploaded ORDER BY 1") == [
        ("D-empty", None), ("D-none", None),
    ]


def test_demand_without_upload_time_is_not_uploaded(db):
    """GIVEN a document without upload time and one without metadata
        WHEN refreshed THEN neither is in demands_uploaded."""
    with db.cursor() as cur:
        add_demand(cur, "D-no-upload", uploaded_at=None)
        add_case(cur, "D-no-meta")
        add_demand(cur, "D-ok", uploaded_at=ny(2025, 3, 2))
    refresh_all(db)
    assert rows(db, "SELECT document_id FROM curated.demands_uploaded") == [("D-ok",)]


def test_archive_reason_comes_from_latest_audit(db):
    """GIVEN two DemandArchived audits for D1, none for D2, a payload without comments for D3
    WHEN refreshed THEN D1 shows the latest audit's reason/comment, D2 and D3's missing values are ''."""
    with db.cursor() as cur:
        add_demand(cur, "D1", uploaded_at=ny(2025, 3, 1), archived_at=ny(2025, 3, 9))
        add_demand(cur, "D2", uploaded_at=ny(2025, 3, 1), archived_at=ny(2025, 3, 9))
        add_demand(cur, "D3", uploaded_at=ny(2025, 3, 1), archived_at=ny(2025, 3, 9))
        add_demand(cur, "D4", uploaded_at=ny(2025, 3, 1))
        add_audit(cur, "A1", "D1", ny(2025, 3, 5), reason="Duplicate", comments="first")
        add_audit(cur, "A2", "D1", ny(2025, 3, 9), reason="Settled", comments="client settled")
        add_audit(cur, "A3", "D1", ny(2025, 3, 10), reason="ignored", action_type="DemandUpdated")
        add_audit(cur, "A4", "D3", ny(2025, 3, 9), reason="Withdrawn", comments=None)
    refresh_all(db)
    got = rows(db, "SELECT document_id, archive_reason, archive_comments FROM curated.demands_archived ORDER BY 1")
    assert got == [
        ("D1", "Settled", "client settled"), ("D2", "", ""), ("D3", "Withdrawn", ""),
    ]


def test_given_archived_client_template_demand_when_refreshed_then_not_in_archived(db):
    """GIVEN an archived demand built from a client template WHEN refreshed THEN demands_archived does not show it."""
    with db.cursor() as cur:
        add_template(cur, "T1", "CLIENT")
        add_demand(cur, "D1", uploaded_at=ny(2025, 3, 1), archived_at=ny(2025, 3, 2), template_id="T1")
        add_demand(cur, "D2", uploaded_at=ny(2025, 3, 1), archived_at=ny(2025, 3, 2))
    refresh_all(db)
    assert rows(db, "SELECT document_id FROM curated.demands_archived") == [("D2",)]


def test_verifyplus_rows_typed_with_billable_flag(db):
    """GIVEN requests (plain, duplicate, excluded, null flags, override close)
        WHEN refreshed THEN flags and days are derived."""
    with db.cursor() as cur:
        add_request(cur, 1, ny(2025, 3, 1, 9), closed=ny(2025, 3, 3, 9), firm="Acme Law  ")
        add_request(cur, 2, ny(2025, 3, 1, 9), duplicate=True)
        add_request(cur, 3, ny(2025, 3, 1, 9), excluded=True)
        add_request(cur, 4, ny(2025, 3, 1, 9), duplicate=None, excluded=None, closed=ny(2025, 3, 9, 9),
                    verify_close_datetime_override=ny(2025, 3, 2, 21))
    refresh_all(db)
    got = rows(db, "SELECT request_id, firm_name, is_billable, duplicate_request, days_to_close "
                   "FROM curated.verifyplus ORDER BY 1")
    assert [(r[0], r[1], r[2], r[3], None if r[4] is None else float(r[4])) for r in got] == [
        (1, "Acme Law", True, False, 2.0),
        (2, "Acme Law", False, True, None),
        (3, "Acme Law", False, False, None),
        (4, "Acme Law", True, False, 1.5),
    ]


def test_curated_views_have_unique_indexes(db):
    """GIVEN the migrated warehouse WHEN the materialized views are listed THEN each has a unique, non-partial index."""
    missing = rows(db, """
        SELECT c.oid::regclass::text FROM pg_class c
        WHERE c.relkind = 'm' AND c.relnamespace::regnamespace::text IN ('curated', 'analytics')
          AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique AND i.indpred IS NULL)
    """)
    assert missing == []


def test_deidentified_views_index_billing_month(db):
    """GIVEN a demand uploaded at 23:30 on 31 October 2025 in New York (already November in UTC) and a Verify+
    request created at the same instant WHEN analysts filter the de-identified views on billing_month = '2025-10'
    THEN both are in October whatever the session time zone (shown by their keyed hashes, HMAC-SHA256 of the
    ids), and the filter uses the month index underneath."""
    with db.cursor() as cur:
        add_demand(cur, "D1", uploaded_at=ny(2025, 10, 31, 23, 30), archived_at=ny(2025, 10, 31, 23, 30))
        add_request(cur, 1, ny(2025, 10, 31, 23, 30))
    refresh_all(db)
    with db.cursor() as cur:
        cur.execute("SET TimeZone = 'UTC'")
        found = {}
        cur.execute("SELECT key FROM ops.deid_key")
        key = bytes(cur.fetchone()[0])
        for view, key_column in (("demands_uploaded", "document_hash"), ("demands_archived", "document_hash"),
                                 ("verifyplus", "request_hash")):
            cur.execute(f"SELECT {key_column} FROM curated_deid.{view} WHERE billing_month = '2025-10'")
            found[view] = [r[0] for r in cur.fetchall()]
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute(f"EXPLAIN SELECT {key_column} FROM curated_deid.{view} WHERE billing_month = '2025-10'")
            plan = " ".join(r[0] for r in cur.fetchall())
            assert f"{view}_month_idx" in plan, plan
    db.rollback()
    d1, request_1 = (hmac.new(key, raw_id.encode(), hashlib.sha256).hexdigest() for raw_id in ("D1", "1"))
    assert found == {"demands_uploaded": [d1], "demands_archived": [d1], "verifyplus": [request_1]}
