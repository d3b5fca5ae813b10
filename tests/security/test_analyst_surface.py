"""What an analyst can read, found from the catalog (not from the PHI catalogue), after a real load of
synthetic data: no source record id, no name and no date finer than a month (HIPAA Safe Harbor,
docs/adr/0003). The checks are by column (name and type) and by value (every readable cell against the
raw layer's identifiers and exact times), as a real analyst login made by `itc access grant`."""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import psycopg2
import pytest
from psycopg2 import sql

from scripts.itc import access, commands
from tests.security.test_access import login

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")
TIME_TYPES = ("date", "timestamp without time zone", "timestamp with time zone", "time without time zone",
              "time with time zone")
# columns that name a source record or a person (the raw identifiers' names, and the unit ledger's)
IDENTIFIER_NAME = re.compile(
    r"^(document|matter|matter_tech|request|unit|audit_record|archive_audit_record|client|related_insurance)_id$"
    r"|claim_number|policy_number|claimant_name|client_names|insured|attorney|adjuster|assignee|contact_name"
    r"|case_manager|matter_name|comments")
TIME_NAME = re.compile(r"(_at|_datetime|_date|_time)$")
HASH = re.compile(r"^[0-9a-f]{64}$")
MONTH_START = re.compile(r"^\d{4}-\d{2}-01( 00:00:00)?$")  # a date, or a timestamp without time zone
# Times an analyst may read: none is about an individual (Safe Harbor's dates are the claimant's).
# Each is a calendar date, a price's validity, or when staff or the pipeline did something.
OPERATIONAL_TIMES = {
    "analytics.months": {"first_day", "last_day", "month_start", "month_end"},  # the calendar
    "analytics.data_freshness": {"last_load_finished_at", "extracted_at", "complete_through", "last_refreshed_at",
                                 "checked_at"},  # when the pipeline ran
    "analytics.closed_months": {"closed_at"},  # when finance closed a month
    "analytics.closed_invoice_lines": {"closed_at"},
    "analytics.invoice_lines": {"closed_at"},
    "ref.price_list": {"effective_from", "effective_to", "created_at"},  # prices and who set them, when
    "ref.billing_accounts": {"created_at"},
    "ref.billing_account_names": {"created_at"},
    "ref.settings": {"updated_at"},
}
RAW_IDENTIFIERS = """
SELECT document_id FROM raw.cases UNION SELECT matter_id FROM raw.cases UNION SELECT matter_tech_id FROM raw.cases
UNION SELECT claim_number FROM raw.cases UNION SELECT claimant_name FROM raw.cases UNION SELECT client_id FROM raw.cases
UNION SELECT related_insurance_id FROM raw.cases UNION SELECT matter_name FROM raw.cases
UNION SELECT attorney_name FROM raw.cases UNION SELECT primary_contact_name FROM raw.cases
UNION SELECT document_id FROM raw.metadata UNION SELECT audit_record_id FROM raw.audit
UNION SELECT document_id FROM raw.audit UNION SELECT archive_comments FROM raw.audit
UNION SELECT request_id::text FROM raw.verifyplus UNION SELECT client_names FROM raw.verifyplus
UNION SELECT reporting_claim_number FROM raw.verifyplus UNION SELECT reporting_policy_number FROM raw.verifyplus
UNION SELECT reporting_insured FROM raw.verifyplus UNION SELECT firm_contact_name FROM raw.verifyplus
UNION SELECT verify_adjuster_name FROM raw.verifyplus UNION SELECT duplicate_exclusion_comments FROM raw.verifyplus
"""
RAW_TIMES = """
SELECT uploaded_at FROM raw.metadata UNION SELECT received_at FROM raw.metadata
UNION SELECT archived_at FROM raw.metadata UNION SELECT created_at FROM raw.cases UNION SELECT created_at FROM raw.audit
UNION SELECT request_created_datetime FROM raw.verifyplus UNION SELECT verify_start_datetime FROM raw.verifyplus
UNION SELECT customer_close_datetime FROM raw.verifyplus UNION SELECT verify_close_datetime FROM raw.verifyplus
UNION SELECT verify_close_datetime_override FROM raw.verifyplus
"""
READABLE_COLUMNS = """
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, NULL)
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname <> ALL(%s)
  AND has_schema_privilege(n.oid, 'USAGE') AND has_column_privilege(c.oid, a.attnum, 'SELECT')
ORDER BY 1, 2, a.attnum
"""
EXECUTABLE_FUNCTIONS = """
SELECT p.oid::regprocedure::text, n.nspname, p.proname, p.pronargs, p.prosecdef, p.prokind, p.prorettype::regtype::text
FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname <> ALL(%s) AND n.nspname NOT LIKE 'pg\\_%%' AND has_function_privilege(p.oid, 'EXECUTE')
ORDER BY 1
"""


@pytest.fixture
def loaded_warehouse(local_sources: dict[str, str], stack_db: Any) -> Any:
    """The local stack after `itc run`: 120 synthetic demands and 60 Verify+ requests loaded through the
    pipelines, views refreshed, and the oldest ended month with usage closed (closed lines exist)."""
    report = commands.run_job(("demand", "verifyplus"), "test-analyst-surface")
    assert not report.failures, report.failures
    with stack_db, stack_db.cursor() as cur:
        cur.execute("SELECT min(l.billing_month) FROM analytics.invoice_lines AS l "
                    "JOIN analytics.months AS m USING (billing_month) WHERE m.has_ended")
        month = cur.fetchone()[0]
        assert month is not None
        cur.execute("SELECT analytics.close_month(%s, 'surface test')", (month,))
    return stack_db


@pytest.fixture
def analyst(loaded_warehouse: Any, priced_db_dsn: str) -> Iterator[psycopg2.extensions.connection]:
    """A real analyst login (`itc access grant`, no PHI), connected."""
    name = f"surface_{uuid.uuid4().hex[:8]}"
    password = access.grant_analyst(loaded_warehouse, name, granted_by="Dana (test)", reason="JIRA-7 surface",
                                    valid_days=1)
    conn = login(priced_db_dsn, name, password)
    yield conn
    conn.close()
    access.revoke_analyst(loaded_warehouse, name, revoked_by="test cleanup", reason="test over")


def _text_values(conn: Any, schema: str, relation: str, columns: list[str]) -> dict[str, set[str]]:
    """Every value of ``columns`` as text, per column."""
    query = sql.SQL("SELECT {} FROM {}.{}").format(
        sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(c)) for c in columns),
        sql.Identifier(schema), sql.Identifier(relation))
    with conn.cursor() as cur:
        cur.execute(query)
        rows = cur.fetchall()
    return {c: {r[i] for r in rows if r[i] is not None} for i, c in enumerate(columns)}


@pytest.mark.slow
def test_analyst_reads_no_raw_identifier_or_exact_time_anywhere(analyst, loaded_warehouse):
    """GIVEN the warehouse after a load of synthetic demands and Verify+ requests, a closed month, and a
    real analyst login
    WHEN every relation column and every function the analyst may SELECT/EXECUTE is found in the catalog
    and read as the analyst
    THEN no column is named like a record id, a person's name or a time, and no date or time says more
    than its month (other than listed operational times); no value equals a raw document, matter,
    matter tech, request or audit id, claim or policy number, name or comment; no time equals a raw
    event time; every *_hash column holds HMAC-SHA256 of its id with the database's key, which the
    analyst cannot read; and no function runs as its owner."""
    with loaded_warehouse.cursor() as cur:
        cur.execute(RAW_IDENTIFIERS)
        identifiers = {r[0] for r in cur.fetchall() if r[0]}
        cur.execute(RAW_TIMES)
        raw_times = {r[0] for r in cur.fetchall() if r[0]}
    loaded_warehouse.rollback()
    assert len(identifiers) > 300 and len(raw_times) > 300  # the load really happened

    with analyst.cursor() as cur:
        cur.execute(READABLE_COLUMNS, (list(SYSTEM_SCHEMAS),))
        columns = cur.fetchall()
        cur.execute(EXECUTABLE_FUNCTIONS, (list(SYSTEM_SCHEMAS),))
        functions = cur.fetchall()
    analyst.rollback()
    relations: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, relation, column, type_name in columns:
        relations.setdefault((schema, relation), []).append((column, type_name))
    assert ("curated_deid", "demands_uploaded") in relations and ("analytics", "invoice_lines") in relations
    assert not [r for r in relations if r[0] in ("raw", "curated", "ops")]

    named, timed, leaked, exact, unhashed = [], [], [], [], []
    for (schema, relation), cols in relations.items():
        allowed_times = OPERATIONAL_TIMES.get(f"{schema}.{relation}", set())
        for column, type_name in cols:
            where = f"{schema}.{relation}.{column}"
            if IDENTIFIER_NAME.search(column):
                named.append(where)
            if TIME_NAME.search(column) and column not in allowed_times:
                timed.append(f"{where} ({type_name})")
        values = _text_values(analyst, schema, relation, [c for c, _ in cols])
        for column, type_name in cols:  # a date or time may only say which month (its first instant)
            if type_name in TIME_TYPES and column not in allowed_times:
                timed += [f"{schema}.{relation}.{column} = {v}" for v in sorted(values[column])
                          if not MONTH_START.match(v)][:3]
        for column, _type_name in cols:
            where = f"{schema}.{relation}.{column}"
            leaked += [f"{where} = {v!r}" for v in sorted(values[column] & identifiers)[:3]]
            if column.endswith("_hash"):
                unhashed += [f"{where} = {v!r}" for v in sorted(values[column]) if not HASH.match(v)][:3]
        time_cols = [c for c, t in cols if t in TIME_TYPES[1:3]]
        if time_cols:
            with analyst.cursor() as cur:
                cur.execute(sql.SQL("SELECT {} FROM {}.{}").format(sql.SQL(", ").join(map(sql.Identifier, time_cols)),
                                                                   sql.Identifier(schema), sql.Identifier(relation)))
                for row in cur.fetchall():
                    exact += [f"{schema}.{relation}.{c} = {v}" for c, v in zip(time_cols, row, strict=True)
                              if v in raw_times]
    for signature, schema, name, nargs, secdef, kind, returns in functions:
        assert not secdef, f"{signature} runs as its owner and is executable by analysts"
        if nargs == 0 and kind == "f" and returns not in ("void", "trigger"):
            with analyst.cursor() as cur:
                cur.execute(sql.SQL("SELECT * FROM {}.{}()").format(sql.Identifier(schema), sql.Identifier(name)))
                out = {str(v) for row in cur.fetchall() for v in row if v is not None}
                leaked += [f"{signature} returns {v!r}" for v in sorted(out & identifiers)]
    analyst.rollback()
    assert named == [], f"identifier-named columns readable by analysts: {named}"
    assert timed == [], f"dates/times finer than a month readable by analysts: {timed}"
    assert leaked == [], f"raw identifiers readable by analysts: {leaked[:10]}"
    assert exact[:10] == [], "raw event times readable by analysts"
    assert unhashed == []

    with loaded_warehouse.cursor() as cur:
        cur.execute("SELECT key FROM ops.deid_key")
        key = bytes(cur.fetchone()[0])
        cur.execute("SELECT document_id FROM curated.demands_uploaded ORDER BY document_id LIMIT 1")
        a_document = cur.fetchone()[0]
    loaded_warehouse.rollback()
    expected = hmac.new(key, a_document.encode(), hashlib.sha256).hexdigest()
    with analyst.cursor() as cur:
        cur.execute("SELECT count(*) FROM curated_deid.demands_uploaded WHERE document_hash = %s", (expected,))
        assert cur.fetchone()[0] == 1
        cur.execute("SELECT count(DISTINCT document_hash) = count(*) FROM curated_deid.demands_uploaded")
        assert cur.fetchone()[0] is True
    analyst.rollback()
    for forbidden in ("SELECT key FROM ops.deid_key", "SELECT unit_id FROM analytics.billable_units",
                      "SELECT unit_id FROM analytics.invoice_units"):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege), analyst.cursor() as cur:
            cur.execute(forbidden)
        analyst.rollback()


def test_months_replace_dates_in_deidentified_views(db):
    """GIVEN a demand uploaded 2025-10-14 14:05 New York time and archived 2025-11-02, and a Verify+ request
    created 2025-10-31 23:30 New York time with its set-up starting 2025-11-01
    WHEN the curated views are refreshed and read through curated_deid
    THEN the de-identified rows show the months (2025-10, 2025-11) and no day or time anywhere."""
    from tests.warehouse.kit import add_audit, add_demand, add_request, ny, refresh_all

    with db, db.cursor() as cur:
        add_demand(cur, "DOC-SH-1", uploaded_at=ny(2025, 10, 14, 14, 5), archived_at=ny(2025, 11, 2))
        add_audit(cur, "AUD-SH-1", "DOC-SH-1", ny(2025, 11, 2), reason="duplicate")
        add_request(cur, 4242, ny(2025, 10, 31, 23, 30), claim_set_up_start_date=date(2025, 11, 1))
    refresh_all(db)
    with db.cursor() as cur:
        cur.execute("SELECT uploaded_month, archived_month, billing_month FROM curated_deid.demands_uploaded")
        assert cur.fetchall() == [("2025-10", "2025-11", "2025-10")]
        cur.execute("SELECT request_created_month, claim_set_up_start_month FROM curated_deid.verifyplus")
        assert cur.fetchall() == [("2025-10", "2025-11")]
        for view in ("demands_uploaded", "demands_archived", "verifyplus"):
            cur.execute(sql.SQL("SELECT * FROM curated_deid.{}").format(sql.Identifier(view)))
            assert not [v for row in cur.fetchall() for v in row if isinstance(v, (date, datetime))]
    db.rollback()


def test_a_curated_column_without_a_treatment_is_refused(db):
    """GIVEN a curated relation with a column that has no recorded de-identification treatment
    WHEN its de-identified view is created
    THEN it is refused, naming the column and ops.deid_columns."""
    with db.cursor() as cur:
        cur.execute("CREATE MATERIALIZED VIEW curated.demands_extra AS "
                    "SELECT 'D1'::text AS document_id, 'x'::text AS new_note")
        cur.execute("INSERT INTO ops.deid_columns VALUES ('demands_extra', 'document_id', 'hash', 'id')")
        with pytest.raises(psycopg2.Error, match=r"curated.demands_extra.new_note has no de-identification "
                                                 r"treatment: record one in ops.deid_columns"):
            cur.execute("CALL ops.create_deidentified_view('curated.demands_extra')")
    db.rollback()
