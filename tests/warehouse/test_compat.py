"""The compat schema (scripts 70-71): the original system's views under its own names, read by real logins.

Synthetic Exchange and Verify+ data (scripts/synthetic) is put into the raw tables of a freshly migrated
warehouse and the views are refreshed; then the queries a workbook of the original ran against its views
(its names, its quoted camelCase columns, its ``to_char(<date>, 'YYYY-MM')`` months) are run against
``compat`` as an analyst login in a UTC session, and must give the numbers of ITC's own analytics views
and of the generators' answer keys. Then: compat shows no PHI, reads only analytics and curated_deid, and
is readable by the analyst groups only (docs/migrating-from-original.md)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg2
import pytest
from psycopg2 import errorcodes, sql

from scripts.itc import access
from scripts.synthetic.exchange import expected_counts
from scripts.synthetic.exchange_model import ExchangeConfig, firm_name, iter_demands, template_rows
from scripts.synthetic.verifyplus import VerifyPlusDataset
from tests.security.test_access import login
from tests.warehouse.kit import add_audit, add_case, add_metadata, add_request, add_template, read, refresh_all

EXCHANGE = ExchangeConfig(demands=400, seed=11, firms=6, months=3, boundary_share=0.3, malformed_share=0.0)
VERIFYPLUS = {"records": 300, "seed": 5, "firms": 6, "months": 3, "start_month": "2026-07",
              "malformed_share": 0.0, "hostile_share": 0.0, "boundary_share": 0.3}
REASONS = ("Settled", "Withdrawn", "Duplicate")
COMPAT_VIEWS = ("compat.demands_summary", "compat.demands_uploaded", "compat.demands_archived", "compat.verifyplus")
# the columns the original showed that ITC protects: compat keeps them, always NULL
WITHHELD = {
    "compat.demands_uploaded": ("matterName", "clientName", "claimNumber", "assignedCaseManager", "matterClientId",
                                "assignedAttorney", "assignedCaseCollaborator"),
    "compat.demands_archived": ("matterName", "clientName", "claimNumber", "assignedAttorney", "assignedCaseManager",
                                "lastArchiveComment"),
    "compat.verifyplus": ("biPerPersonLimit", "biPerOccurrenceLimit", "pdLimit", "propertyAdjusterName",
                          "claimSetUpAssignee", "verifyAdjusterName", "umPerPersonLimits", "reportingPolicyNumber",
                          "reportingInsured", "reportingClaimNumber", "dateOfLoss", "duplicateexclusionComments",
                          "firmContactName", "injuryAdjusterName", "verifyAssignee", "clientNames",
                          "umPerOccurrenceLimit"),
}


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def load_synthetic(db: psycopg2.extensions.connection) -> dict[str, Any]:
    """Raw rows from the synthetic generators, PHI filled in everywhere it can be; returns the answer keys."""
    with db.cursor() as cur:
        for t in template_rows(EXCHANGE):
            add_template(cur, t["templateId"], t["templateName"], t["version"])
        for d in iter_demands(EXCHANGE):
            for version, firm in enumerate(d.versions, start=1):  # every other version with trailing blanks
                add_case(cur, d.document_id, version, firm=firm_name(firm) + ("  " if version % 2 else ""),
                         claimant_name="Jane Roe", claim_number=f"CLM-{d.number}", client_id=f"CL-{d.number}",
                         matter_name="Roe v. Smith", attorney_name="Sam Counsel", primary_contact_name="Pat Contact",
                         case_manager_names="Kim Manager, Lee Manager", carrier_common_name="Acme Mutual",
                         claim_coverage="BI", loss_state="NY")
            add_metadata(cur, d.document_id, uploaded_at=at(d.uploaded_ms), template_id=d.template_id,
                         archived_at=at(d.archived_at_ms) if d.archived_at_ms else None,
                         received_at=at(min(d.received_ms)) if d.received_ms else None)
            if d.archived_at_ms:
                reason = REASONS[d.number % len(REASONS)]
                add_audit(cur, f"aud-{d.number}", d.document_id, at(d.archived_at_ms), reason=reason,
                          comments="Client Jane Roe called to settle")
        dataset = VerifyPlusDataset(**VERIFYPLUS)
        for t in dataset.truths():
            add_request(cur, t.request_id, t.created_utc, firm=t.firm, duplicate=t.duplicate, excluded=t.excluded,
                        closed=t.created_utc + timedelta(days=3), client_names="Jane Roe",
                        reporting_claim_number="CLM-9", reporting_insured="John Roe", bi_per_person_limit=25000,
                        date_of_loss=t.created_utc.date(), verify_assignee="Ann Staff", accident_state="NJ")
    db.commit()
    refresh_all(db)
    return {"demands": expected_counts(EXCHANGE), "demands_utc": expected_counts(EXCHANGE, tz=UTC),
            "billable": dataset.expected_billable(), "requests": len(dataset)}


@pytest.fixture
def warehouse(db, db_dsn) -> Iterator[tuple[dict[str, Any], psycopg2.extensions.connection]]:
    """The loaded warehouse's answer keys and a real analyst login (itc access grant), session in UTC."""
    keys = load_synthetic(db)
    name = f"ana_{uuid.uuid4().hex[:8]}"
    password = access.grant_analyst(db, name, granted_by="compat tests", reason="original's workbooks", valid_days=1)
    conn = login(db_dsn, name, password)
    with conn.cursor() as cur:
        cur.execute("SET TimeZone = 'UTC'")
    conn.commit()
    yield keys, conn
    conn.close()
    access.revoke_analyst(db, name, revoked_by="compat tests", reason="test over")


def test_original_summary_workbook_on_compat_equals_analytics(warehouse):
    """GIVEN synthetic demands (some uploaded or archived within an hour of a New York month boundary)
    WHEN an analyst in a UTC session runs the original's summary query on compat.demands_summary
    THEN it returns exactly analytics.demands_summary's rows, which are the answer key's business-month counts,
    not the UTC-month counts the original gave."""
    keys, analyst = warehouse
    workbook = read(analyst, 'SELECT "month", "sendingFirm", "uploaded", "archived" FROM compat.demands_summary '
                             'ORDER BY "month", "sendingFirm"')
    itc = read(analyst, "SELECT billing_month, sending_firm_name, uploaded_count, archived_count "
                        "FROM analytics.demands_summary ORDER BY billing_month, sending_firm_name")
    assert workbook == itc
    expected = sorted((m, f, c.uploaded, c.archived) for (m, f), c in keys["demands"].items())
    assert workbook == expected
    assert sum(r[2] for r in workbook) > 200 and sum(r[3] for r in workbook) > 50
    utc = sorted((m, f, c.uploaded, c.archived) for (m, f), c in keys["demands_utc"].items())
    assert workbook != utc  # the data crosses month boundaries: the month rule really changed


def test_original_per_demand_workbooks_on_compat_equal_analytics_counts(warehouse):
    """GIVEN the same warehouse
    WHEN an analyst in a UTC session counts compat.demands_uploaded / demands_archived per
    to_char(<date>, 'YYYY-MM') and "sendingFirm", as a workbook of the original did
    THEN the counts equal analytics.demands_summary's uploaded/archived counts, firm names come right-stripped,
    and every archived demand carries the reason of its archive audit record."""
    keys, analyst = warehouse
    uploaded = read(analyst, 'SELECT to_char("demandUploadedDate", \'YYYY-MM\') AS "month", "sendingFirm", count(*) '
                             'FROM compat.demands_uploaded GROUP BY 1, 2')
    archived = read(analyst, 'SELECT to_char("demandArchivedDate", \'YYYY-MM\') AS "month", "sendingFirm", count(*) '
                             'FROM compat.demands_archived GROUP BY 1, 2')
    summary = read(analyst, "SELECT billing_month, sending_firm_name, uploaded_count, archived_count "
                            "FROM analytics.demands_summary")
    assert {(m, f): n for m, f, n in uploaded} == {(m, f): u for m, f, u, _a in summary if u}
    assert {(m, f): n for m, f, n in archived} == {(m, f): a for m, f, _u, a in summary if a}
    assert not any(f != f.rstrip() for _m, f, _n in uploaded)
    reasons = dict(read(analyst, 'SELECT "lastArchiveReason", count(*) FROM compat.demands_archived GROUP BY 1'))
    assert set(reasons) <= set(REASONS) and sum(reasons.values()) == sum(c.archived for c in keys["demands"].values())


def test_original_verifyplus_workbook_on_compat_equals_verifyplus_monthly(warehouse):
    """GIVEN synthetic Verify+ requests (duplicates, exclusions, creations near New York month boundaries)
    WHEN an analyst in a UTC session counts compat.verifyplus per to_char("requestCreatedDatetime", 'YYYY-MM')
    and "firmName", billable = neither "duplicateRequest" nor "excludeFromReporting"
    THEN totals and billable counts equal analytics.verifyplus_monthly's and the generator's answer key."""
    keys, analyst = warehouse
    workbook = read(analyst, """
        SELECT to_char("requestCreatedDatetime", 'YYYY-MM') AS "month", "firmName", count(*),
               count(*) FILTER (WHERE NOT "duplicateRequest" AND NOT "excludeFromReporting")
        FROM compat.verifyplus GROUP BY 1, 2 ORDER BY 1, 2""")
    itc = read(analyst, "SELECT billing_month, firm_name, total_requests, billable_requests "
                        "FROM analytics.verifyplus_monthly ORDER BY 1, 2")
    assert workbook == itc
    assert {(m, f): b for m, f, _t, b in workbook if b} == keys["billable"]
    assert sum(r[2] for r in workbook) == keys["requests"]


def test_compat_shows_no_phi_and_reads_only_analytics_and_curated_deid(warehouse, db):
    """GIVEN raw rows full of PHI (claimant, claim numbers, archive comments, policy data, staff names)
    WHEN an analyst reads every column the original showed and ITC protects, and the catalog is asked what the
    compat views read
    THEN each such column is NULL on every row, the views depend on analytics and curated_deid relations only,
    and the analyst is still refused raw.cases and curated.demands_uploaded."""
    _keys, analyst = warehouse
    for view, columns in WITHHELD.items():
        values = read(analyst, sql.SQL("SELECT DISTINCT {} FROM {}").format(
            sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(*view.split("."))))
        assert values == [(None,) * len(columns)], view
    read_from = read(db, """
        SELECT DISTINCT v.relname, n.nspname || '.' || c.relname
        FROM pg_class v JOIN pg_namespace vn ON vn.oid = v.relnamespace AND vn.nspname = 'compat'
        JOIN pg_rewrite r ON r.ev_class = v.oid
        JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                        AND d.refclassid = 'pg_class'::regclass
        JOIN pg_class c ON c.oid = d.refobjid AND c.oid <> v.oid
        JOIN pg_namespace n ON n.oid = c.relnamespace ORDER BY 1""")
    assert read_from == [("demands_archived", "curated_deid.demands_archived"),
                         ("demands_summary", "analytics.demands_summary"),
                         ("demands_uploaded", "curated_deid.demands_uploaded"),
                         ("verifyplus", "curated_deid.verifyplus")]
    for table in ("raw.cases", "curated.demands_uploaded"):
        with pytest.raises(psycopg2.Error) as refused:
            read(analyst, sql.SQL("SELECT document_id FROM {} LIMIT 1").format(sql.Identifier(*table.split("."))))
        assert refused.value.pgcode == errorcodes.INSUFFICIENT_PRIVILEGE


def test_compat_is_readable_by_the_analyst_groups_only(db, db_dsn):
    """GIVEN a migrated warehouse
    WHEN the privileges on the compat views are read, and a login holding only the original's role name
    curated_and_analytics_read_only reads compat and a PHI column
    THEN itc_analyst, compat_read_only and curated_and_analytics_read_only read every compat view, no other
    group (finance, refresher, raw/curated read-only, loaders) does, and the original's role reads compat
    but is refused the claimant's name."""
    roles = ("itc_analyst", "compat_read_only", "curated_and_analytics_read_only", "itc_finance", "itc_refresher",
             "all_read_only", "raw_read_only", "curated_read_only", "analytics_read_only", "phi_reader",
             "itc_loader_demand", "itc_loader_verifyplus")
    refresh_all(db)
    readable = {role for role in roles for view in COMPAT_VIEWS
                if read(db, "SELECT has_table_privilege(%s, %s, 'SELECT')", (role, view))[0][0]}
    assert readable == {"itc_analyst", "compat_read_only", "curated_and_analytics_read_only"}
    name, password = f"legacy_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with db.cursor() as cur:
        cur.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE curated_and_analytics_read_only").format(
            sql.Identifier(name), sql.Literal(password)))
    db.commit()
    try:
        conn = login(db_dsn, name, password)
        try:
            assert read(conn, 'SELECT count(*) FROM compat.verifyplus')[0][0] == 0
            assert read(conn, 'SELECT count(*) FROM compat.demands_summary')[0][0] == 0
            with pytest.raises(psycopg2.Error) as refused:
                read(conn, "SELECT claimant_name FROM curated.demands_uploaded")
            assert refused.value.pgcode == errorcodes.INSUFFICIENT_PRIVILEGE
        finally:
            conn.close()
    finally:
        with db.cursor() as cur:
            cur.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))
        db.commit()
