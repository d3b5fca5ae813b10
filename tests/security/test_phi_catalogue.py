"""The PHI catalogue (itc_common_utilities.phi), the warehouse's copy (ops.phi_columns), the data
dictionary (column comments) and the grants agree, so a new PHI column cannot be exposed silently."""

from __future__ import annotations

import re
import shutil

import psycopg2
import pytest

from itc_common_utilities.migrations import apply_migrations
from itc_common_utilities.phi import (
    CATALOGUE,
    PHI_COLUMNS,
    PHI_SOURCE_FIELDS,
    REJECT_VALUE_FIELDS,
    is_phi,
    redact_value,
)
from scripts.paths import SQL_SCRIPTS

SAYS_PHI = re.compile(r"\b(PHI|PII)\b")
SAYS_NOT_PHI = re.compile(r"\bNot PHI\b", re.IGNORECASE)
ANALYST_SCHEMAS = ("curated_deid", "analytics", "ref", "compat")


def columns(conn, schemas) -> list[tuple[str, str, str, str | None]]:
    with conn.cursor() as cur:
        cur.execute(
            """
            SELECT n.nspname, c.relname, a.attname, col_description(c.oid, a.attnum)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm')
            ORDER BY 1, 2, a.attnum
            """,
            (list(schemas),),
        )
        return cur.fetchall()


def test_warehouse_catalogue_equals_the_python_catalogue(db):
    """GIVEN a migrated warehouse WHEN ops.phi_columns is read THEN it lists exactly phi.CATALOGUE."""
    with db.cursor() as cur:
        cur.execute("SELECT table_schema || '.' || table_name, column_name, category FROM ops.phi_columns")
        in_db = set(cur.fetchall())
    assert in_db == {(c.table, c.column, c.category) for c in CATALOGUE}


def test_data_dictionary_says_phi_exactly_where_the_catalogue_does(db):
    """GIVEN every raw and curated column WHEN its comment (the data dictionary) is read
    THEN a comment that says PHI/PII belongs to a catalogued column, every catalogued column says so,
    and every catalogued column exists."""
    found = {(f"{s}.{t}", col): comment for s, t, col, comment in columns(db, ("raw", "curated"))}
    says = {key for key, comment in found.items()
            if comment and SAYS_PHI.search(comment) and not SAYS_NOT_PHI.search(comment)}
    catalogued = {(c.table, c.column) for c in CATALOGUE}
    assert catalogued <= set(found), f"catalogued columns missing from the warehouse: {catalogued - set(found)}"
    assert says - catalogued == set(), "comments say PHI/PII but the catalogue does not list them"
    assert catalogued - says == set(), "catalogued columns whose comment does not say PHI/PII"


def test_no_analyst_visible_column_is_phi(db):
    """GIVEN the de-identified views, analytics, ref and compat WHEN their columns are listed
    THEN none is a catalogued PHI column name, and none is described as PHI/PII."""
    phi_names = {c.column for c in CATALOGUE}
    offending = [(s, t, col) for s, t, col, comment in columns(db, ANALYST_SCHEMAS)
                 if col in phi_names or (comment and SAYS_PHI.search(comment) and not SAYS_NOT_PHI.search(comment))]
    assert offending == []


def test_grants_follow_the_catalogue_column_by_column(db):
    """GIVEN every raw and curated column WHEN the grants are read
    THEN raw_read_only/curated_read_only read exactly the uncatalogued columns, phi_reader reads all,
    and the analysts, loader and refresher reach no PHI column outside what their role needs."""
    wrong = []
    with db.cursor() as cur:
        for schema, table, col, _comment in columns(db, ("raw", "curated")):
            qualified = f"{schema}.{table}"
            protected = col in PHI_COLUMNS.get(qualified, frozenset())
            cur.execute(
                "SELECT has_column_privilege(%s, %s, %s, 'SELECT'),"
                " has_column_privilege('phi_reader', %s, %s, 'SELECT'),"
                " has_column_privilege('itc_analyst', %s, %s, 'SELECT'),"
                " has_column_privilege('itc_refresher', %s, %s, 'SELECT')",
                (f"{schema}_read_only", qualified, col, qualified, col, qualified, col, qualified, col),
            )
            group, phi_reader, analyst, refresher = cur.fetchone()
            if group == protected:
                wrong.append(f"{schema}_read_only {'reads' if group else 'cannot read'} {qualified}.{col}")
            if not phi_reader:
                wrong.append(f"phi_reader cannot read {qualified}.{col}")
            if analyst:
                wrong.append(f"itc_analyst reads {qualified}.{col}")
            if refresher == protected:
                wrong.append(f"itc_refresher {'reads' if refresher else 'cannot read'} {qualified}.{col}")
    assert wrong == []


def test_given_deid_view_exposing_phi_when_baseline_runs_then_refused_naming_it(db):
    """GIVEN someone adds a de-identified view that shows claimant_name
    WHEN the security baseline runs THEN it fails naming the view and the column, and nothing is granted."""
    with db.cursor() as cur:
        cur.execute("CREATE VIEW curated_deid.leaky AS SELECT document_id, claimant_name FROM curated.demands_uploaded")
        with pytest.raises(psycopg2.Error, match=r"curated_deid.leaky exposes claimant_name"):
            cur.execute("CALL ops.apply_security_baseline()")
    db.rollback()


def test_baseline_owns_and_grants_a_new_scripts_objects(db, db_dsn, tmp_path):
    """GIVEN a migrated warehouse and a new script creating a raw table (one catalogued-later column) and an
    analytics table WHEN the runner applies it THEN itc_migrator owns both, analysts read the analytics
    table, no loader login writes the raw table until ops.apply_loader_login_grants names it, and raw_read_only reads
    its columns (PHI review is the catalogue's job: the data-dictionary test above fails when its comment says PHI)."""
    scripts = tmp_path / "sql"
    shutil.copytree(SQL_SCRIPTS, scripts)
    (scripts / "90_add_things.sql").write_text(
        "CREATE TABLE raw.things (thing_id text PRIMARY KEY, note text);\n"
        "CREATE TABLE analytics.thing_counts (month text PRIMARY KEY, things bigint);\n"
    )
    assert apply_migrations(db, scripts) == ["90_add_things.sql"]
    with db.cursor() as cur:
        cur.execute("SELECT relname, pg_get_userbyid(relowner) FROM pg_class "
                    "WHERE oid IN ('raw.things'::regclass, 'analytics.thing_counts'::regclass) ORDER BY 1")
        assert cur.fetchall() == [("thing_counts", "itc_migrator"), ("things", "itc_migrator")]
        cur.execute("SELECT has_table_privilege('itc_analyst', 'analytics.thing_counts', 'SELECT'),"
                    " has_table_privilege('itc_analyst', 'analytics.thing_counts', 'INSERT'),"
                    " has_table_privilege('itc_loader_demand', 'raw.things', 'INSERT'),"
                    " has_column_privilege('raw_read_only', 'raw.things', 'note', 'SELECT'),"
                    " has_table_privilege('itc_analyst', 'raw.things', 'SELECT')")
        assert cur.fetchone() == (True, False, False, True, False)


def test_redaction_stores_values_only_for_the_allow_list():
    """GIVEN rejected values WHEN redacted for ops.rejected_records THEN a scalar of an allow-listed
    field (ids, timestamps, flags, counts) is kept (NUL bytes made visible), and anything else, PHI or
    merely not listed, is reduced to its JSON type and length."""
    assert is_phi("raw.cases", "claimant_name")
    assert redact_value("raw.cases", "claimant_name", "Jane Roe") == "string, 8 chars"
    assert redact_value("raw.verifyplus", "Reporting Policy Number", "POL-1") == "string, 5 chars"
    assert redact_value("raw.cases", "claimInfo", "Claimant Jane Roe") == "string, 17 chars"  # not listed
    assert redact_value("raw.cases", "claimInfo", {"claimant": "Jane Roe"}) == "object, 1 keys"
    assert redact_value("raw.cases", "documentId", ["Jane", "Roe"]) == "array, 2 items"  # listed, not a scalar
    assert redact_value("raw.cases", "documentId", "d\x00-1") == "d\\0-1"
    assert redact_value("raw.cases", "createdTs", 99999999999999) == "99999999999999"
    assert redact_value("raw.templates", "template_id,version", "t1/1") == "t1/1"
    assert redact_value("raw.templates", "template_id,template_name", "t1/x") == "string, 4 chars"


def test_no_catalogued_field_or_column_is_on_the_reject_value_allow_list():
    """GIVEN the allow-list of fields whose rejected values may be stored
    WHEN compared with the PHI catalogue THEN none of them is a PHI
    source field or a catalogued column of any table (the catalogue wins)."""
    catalogued = {c.column for c in CATALOGUE} | set(PHI_SOURCE_FIELDS)
    assert REJECT_VALUE_FIELDS.isdisjoint(catalogued), sorted(REJECT_VALUE_FIELDS & catalogued)
