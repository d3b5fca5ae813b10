"""Billing never loses a unit to a field it does not bill on (itc_common_utilities.billing, loader.quarantine).

End to end on the local stack in-process (moto, the Quickbase simulator, a migrated warehouse): typos in
descriptive fields are stored as NULL and noted in ops.quarantined_fields while every unit bills as the
generators' answer key says; a typo in a billing-critical field shows in analytics.units_at_risk and blocks
`itc invoice --close` until finance accepts it, which the finance audit records with the count.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import psycopg2
import pytest

from itc_common_utilities.billing import CRITICAL_FIELDS
from itc_common_utilities.manifest import SOURCES
from scripts.itc import commands, dashboard, demo, demo_check, invoice, statement
from scripts.paths import REPO
from scripts.synthetic.verifyplus import SyntheticConfig, VerifyPlusDataset

pytestmark = pytest.mark.slow

DEMANDS, SEED = 120, 5


@pytest.fixture
def verifyplus_dataset(request: pytest.FixtureRequest) -> VerifyPlusDataset:
    """60 Verify+ requests: for the typos test a fifth of them with one malformed value (descriptive or
    billing-critical), for the others none."""
    share = 0.2 if "typos" in request.node.name else 0.0
    return VerifyPlusDataset(SyntheticConfig(records=60, seed=5, start_month=demo.START_MONTH, months=demo.MONTHS,
                                             malformed_share=share))


def _table(kind: str) -> Any:
    return boto3.resource("dynamodb").Table(f"exchange-local-{kind}")


def _items(kind: str) -> list[dict[str, Any]]:
    return sorted(_table(kind).scan()["Items"], key=lambda item: str(item.get("documentId") or item.get(
        "auditRecordId")))


def _set(kind: str, item: dict[str, Any], **values: Any) -> None:
    _table(kind).put_item(Item={**item, **values})


def _query(conn: psycopg2.extensions.connection, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    conn.rollback()
    return rows


def _assert_psql_cannot_close_over_units_at_risk(conn: psycopg2.extensions.connection) -> None:
    """analytics.close_month itself refuses 2026-09 (2 units at risk), also after an acceptance that was
    committed in an earlier transaction; nothing is closed."""
    close = "SELECT analytics.close_month('2026-09', 'someone with psql')"
    gate = "close_month: 2 billable unit.s. of month 2026-09 or of no readable month are at risk"
    with conn.cursor() as cur, pytest.raises(psycopg2.errors.ObjectNotInPrerequisiteState, match=gate):
        cur.execute(close)
    conn.rollback()
    with conn.cursor() as cur:
        cur.execute("SELECT analytics.accept_units_at_risk('2026-09', 'accepted yesterday')")
    conn.commit()
    with conn.cursor() as cur, pytest.raises(psycopg2.errors.ObjectNotInPrerequisiteState, match=gate):
        cur.execute(close)
    conn.rollback()
    assert _query(conn, "SELECT count(*) FROM analytics.closed_months") == [(0,)]


def itc(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scripts.itc", *args], cwd=REPO, env={**os.environ, **env,
                          "COLUMNS": "200"}, capture_output=True, text=True, timeout=300, check=False)


def test_billing_critical_catalogue_equals_the_warehouse_list(db) -> None:
    """GIVEN a migrated warehouse WHEN ops.billing_critical_fields is read THEN it is exactly
    itc_common_utilities.billing.CRITICAL_FIELDS (table, column, source field)."""
    rows = _query(db, "SELECT table_schema || '.' || table_name, column_name, source_field "
                      "FROM ops.billing_critical_fields")
    assert sorted(rows) == sorted((f.table, f.column, f.source_field) for f in CRITICAL_FIELDS)


def test_typos_in_descriptive_fields_still_bill_every_unit_of_the_answer_key(
        stack_env: dict[str, str], stack_db: psycopg2.extensions.connection, verifyplus_dataset: VerifyPlusDataset,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN 120 synthetic demands whose Exchange items carry typos in fields that decide no bill (a number
    for claimInfo, an unreadable creation time of a version, a number for a document type, "sometimes" as
    the deliverable flag, a 1970 audit time) and 60 Verify+ requests, 12 with one malformed value
    WHEN `itc run` extracts and loads them THEN the invoice lines and the unit ledger equal the generators'
    answer key cell by cell (the requests with a bad descriptive value billed, those with a bad key, time,
    firm or flag rejected), and every typo is one ops.quarantined_fields row naming its field and reason."""
    monkeypatch.setenv("ITC_MAX_REJECT_SHARE", "0.2")  # a fifth of the requests are malformed, on purpose
    seeded = demo.seed_exchange(DEMANDS, SEED)
    documents, metadata, audits = _items("documents"), _items("documents-metadata"), _items("documents-audit")
    _set("documents", documents[0], claimInfo=42)
    _set("documents", documents[1], createdTs="31/10/2026 11:30")
    _set("documents-metadata", metadata[2], documentType=7)
    _set("documents-metadata", metadata[3], demandIsDeliverable="sometimes")
    _set("documents-audit", audits[0], createdTs=-1)

    report = commands.run_job(SOURCES, "typos-1")

    assert report.failures == [], report.failures
    key = (demo_check.demand_answer_key(seeded.expected_uploaded, seeded.expected_archived)
           + demo_check.verifyplus_answer_key(verifyplus_dataset))
    assert demo_check.differences(stack_db, key) == []
    noted = _query(stack_db, "SELECT table_name, field_name, reason_code, count(*) FROM ops.quarantined_fields "
                             "WHERE source = 'demand' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
    assert noted == [("documents", "claimInfo", "bad_type", 1), ("documents", "createdTs", "bad_timestamp", 1),
                     ("documents_audit", "createdTs", "implausible_timestamp", 1),
                     ("documents_metadata", "demandIsDeliverable", "bad_type", 1),
                     ("documents_metadata", "documentType", "bad_type", 1)]
    assert _query(stack_db, "SELECT count(*) FROM ops.rejected_records WHERE source = 'demand'") == [(0,)], \
        "seed 5 has no malformed demand: no demand record may be rejected for a descriptive typo"
    expected_notes = verifyplus_dataset.expected_quarantined()
    assert sum(expected_notes.values()) > 0, "the dataset should hold descriptive typos"
    assert dict(_query(stack_db, "SELECT reason_code, count(*) FROM ops.quarantined_fields "
                                 "WHERE source = 'verifyplus' GROUP BY 1")) == expected_notes
    assert dict(_query(stack_db, "SELECT reason_code, count(DISTINCT line_number) FROM ops.rejected_records "
                                 "WHERE source = 'verifyplus' GROUP BY 1")) == verifyplus_dataset.expected_rejections()
    # the typo'd values are NULL, their records loaded
    assert _query(stack_db, "SELECT claim_number, loss_state, sending_firm_name IS NOT NULL FROM raw.cases "
                            "WHERE document_id = %s AND version = %s",
                  (documents[0]["documentId"], int(documents[0]["version"]))) == [(None, None, True)]
    assert _query(stack_db, "SELECT document_type, uploaded_at IS NOT NULL FROM raw.metadata WHERE document_id = %s",
                  (metadata[2]["documentId"],)) == [(None, True)]


def test_billing_critical_typo_is_a_unit_at_risk_and_blocks_the_close(
        stack_env: dict[str, str], stack_db: psycopg2.extensions.connection, tmp_path: Path) -> None:
    """GIVEN 120 synthetic demands, one whose upload time is unreadable ("yesterday", billing-critical) and
    one whose DocumentArchived entry has an unreadable time WHEN `itc run` loads them THEN the first record
    is rejected and the dropped archive entry noted, both listed in analytics.units_at_risk with the firm;
    the second demand's upload is still billed; `itc status`, the dashboard and the statement pages show
    the two units; `itc invoice --close` refuses the month naming the units at risk, and closes it with
    --accept-risk, the finance audit recording the reason and the count; analytics.close_month called
    directly (psql) refuses too, even after an acceptance committed in an earlier transaction."""
    demo.seed_exchange(DEMANDS, SEED)
    metadata = _items("documents-metadata")
    rejected, archived = metadata[0], next(m for m in metadata[1:] if "DocumentArchived" in str(
        m["documentStatusHistory"]))
    _set("documents-metadata", rejected, createdTs="yesterday")
    _set("documents-metadata", archived, documentStatusHistory=[
        {"documentStatus": "DocumentCreated", "timestamp": "2026-09-02T10:00:00Z"},
        {"documentStatus": "DocumentArchived", "timestamp": "soon"}])

    report = commands.run_job(SOURCES, "critical-1")

    assert report.failures == []
    rows = _query(stack_db, "SELECT source, kind, product, table_name, record_key, reason_code, field_name, "
                            "firm_name, service_month FROM analytics.units_at_risk ORDER BY kind")
    firms = dict(_query(stack_db, "SELECT DISTINCT ON (document_id) document_id, rtrim(sending_firm_name) "
                                  "FROM raw.cases ORDER BY document_id, version DESC"))
    assert rows == [
        ("demand", "dropped_history_entry", "demand_archived", "documents_metadata", archived["documentId"],
         "bad_timestamp", "documentStatusHistory.timestamp", firms[archived["documentId"]], None),
        ("demand", "rejected_record", "demand_uploaded", "documents_metadata", rejected["documentId"],
         "bad_timestamp", "createdTs", firms[rejected["documentId"]], None)]
    billed = _query(stack_db, "SELECT product FROM analytics.billable_units WHERE unit_id = %s",
                    (archived["documentId"],))
    assert billed == [("demand_uploaded",)], "the upload stays billed, the archive is at risk"
    checks = dict(_query(stack_db, "SELECT check_name, detail FROM ops.quality_results WHERE NOT passed "
                                   "AND level = 'warning'"))
    assert checks["units_at_risk"].startswith("2 billable unit(s) could not be billed by the latest loads")

    shown = itc("status", env=stack_env)
    status = " ".join(shown.stdout.split())
    assert shown.returncode in (0, 1) and shown.stdout, shown.stderr
    assert "Units at risk: 2 billable unit(s) the latest loads could not bill" in status
    assert f"demand │ demand_uploaded │ {rejected['documentId']} │" in status
    assert f"demand │ demand_archived │ {archived['documentId']} │" in status
    page = dashboard.write(stack_db, tmp_path / "dashboard.html").read_text()
    assert 'data-kpi="units-at-risk" data-value="2"' in page
    statements = statement.collect(stack_db, "2026-09", invoice.business_tz(stack_db))
    firm_a, firm_b = firms[rejected["documentId"]], firms[archived["documentId"]]
    assert statements.at_risk == ({firm_a: 2} if firm_a == firm_b else {firm_a: 1, firm_b: 1})
    index = statement.write_statements(stack_db, "2026-09", tmp_path, invoice.business_tz(stack_db))
    for each in statements.statements:
        page = (index.parent / f"{statement.slug(each.name, each.account_id)}.html").read_text()
        shown = sum(1 for firm in (firm_a, firm_b) if firm in each.names)
        assert f'id="units-at-risk" data-value="{shown}"' in page

    refused = itc("invoice", "--month", "2026-09", "--close", "--output-dir", os.environ["ITC_REPORTS_DIR"],
                  env=stack_env)
    said = " ".join((refused.stdout + refused.stderr).split())
    assert refused.returncode == 1, said
    assert ("refusing to close 2026-09: 2 billable unit(s) of 2026-09 or of no readable month are at risk") in said
    assert '--accept-risk "<reason>"' in said
    assert _query(stack_db, "SELECT count(*) FROM analytics.closed_months") == [(0,)]
    _assert_psql_cannot_close_over_units_at_risk(stack_db)

    accepted = itc("invoice", "--month", "2026-09", "--close", "--accept-risk", "source fix is on its way",
                   "--output-dir", os.environ["ITC_REPORTS_DIR"], env=stack_env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "accepted 2 unit(s) at risk: source fix is on its way" in " ".join(accepted.stdout.split())
    assert _query(stack_db, "SELECT billing_month FROM analytics.closed_months") == [("2026-09",)]
    audit = _query(stack_db, "SELECT action, object, object_key, new_row - 'transaction' FROM ops.finance_audit "
                             "WHERE action = 'accept_risk' ORDER BY event_id")
    assert audit == [("accept_risk", "analytics.units_at_risk", "2026-09", {
        "billing_month": "2026-09", "units_at_risk": 2, "reason": reason})
        for reason in ("accepted yesterday", "source fix is on its way")]
