"""The migration runner and combined.sql, against real PostgreSQL."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from itc_common_utilities.migrations import MigrationError, apply_migrations, discover, render_combined
from scripts.stack.testdb import create_database, drop_database

REPO = Path(__file__).resolve().parents[3]
SQL_SCRIPTS = REPO / "terraform_modules" / "itc_data_warehouse" / "sql_scripts"

CATALOG_QUERY = """
SELECT 'column', table_schema || '.' || table_name || '.' || column_name || ':' || data_type || ':' || is_nullable
  FROM information_schema.columns WHERE table_schema IN ('raw','curated','analytics','ref','ops')
UNION ALL
SELECT 'relation', n.nspname || '.' || c.relname || ':' || c.relkind::text
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('raw','curated','analytics','ref','ops')
UNION ALL
SELECT 'index', schemaname || '.' || indexname || ':' || indexdef
  FROM pg_indexes WHERE schemaname IN ('raw','curated','analytics','ref','ops')
UNION ALL
SELECT 'constraint', conrelid::regclass::text || ':' || conname || ':' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace::regnamespace::text IN ('raw','curated','analytics','ref','ops')
UNION ALL
SELECT 'comment', c.relname || '.' || coalesce(a.attname, '') || ':' || d.description
  FROM pg_description d JOIN pg_class c ON c.oid = d.objoid
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname IN ('raw','curated','analytics','ref','ops')
  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
UNION ALL
SELECT 'function', p.oid::regprocedure::text || ':' || md5(pg_get_functiondef(p.oid))
  FROM pg_proc p WHERE p.pronamespace::regnamespace::text IN ('raw','curated','analytics','ref','ops')
UNION ALL
SELECT 'grant', table_schema || '.' || table_name || ':' || grantee || ':' || privilege_type
  FROM information_schema.role_table_grants WHERE table_schema IN ('raw','curated','analytics','ref','ops')
UNION ALL
SELECT 'migration', filename || ':' || sha256 FROM ops.schema_migrations
ORDER BY 1, 2
"""


def _catalog(dsn: str) -> list[tuple[str, str]]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(CATALOG_QUERY)
        return cur.fetchall()


def _history(dsn: str) -> list[str]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT filename FROM ops.schema_migrations ORDER BY filename")
        return [r[0] for r in cur.fetchall()]


def test_given_fresh_database_when_migrated_twice_then_second_run_is_a_noop(empty_db_dsn):
    conn = psycopg2.connect(empty_db_dsn)
    first = apply_migrations(conn, SQL_SCRIPTS)
    second = apply_migrations(conn, SQL_SCRIPTS)
    conn.close()
    assert first == [s.name for s in discover(SQL_SCRIPTS)]
    assert second == []
    assert _history(empty_db_dsn) == sorted(first)


def test_given_applied_script_edited_when_migrating_then_error_names_the_file(empty_db_dsn, tmp_path):
    scripts = tmp_path / "sql"
    shutil.copytree(SQL_SCRIPTS, scripts)
    conn = psycopg2.connect(empty_db_dsn)
    apply_migrations(conn, scripts)
    edited = scripts / "03_create_raw_cases_table.sql"
    edited.write_text(edited.read_text() + "\n-- a quiet edit\n")
    with pytest.raises(MigrationError, match=r"03_create_raw_cases_table\.sql was applied with sha256"):
        apply_migrations(conn, scripts)
    conn.close()


def test_given_new_script_when_migrating_then_only_it_is_applied(empty_db_dsn, tmp_path):
    scripts = tmp_path / "sql"
    shutil.copytree(SQL_SCRIPTS, scripts)
    conn = psycopg2.connect(empty_db_dsn)
    apply_migrations(conn, scripts)
    (scripts / "99_add_note.sql").write_text("CREATE TABLE ops.note (id int);\nCOMMENT ON TABLE ops.note IS 'x';\n")
    assert apply_migrations(conn, scripts) == ["99_add_note.sql"]
    conn.close()


def test_given_failing_script_when_migrating_then_it_is_rolled_back_and_named(empty_db_dsn, tmp_path):
    scripts = tmp_path / "sql"
    scripts.mkdir()
    (scripts / "01_ok.sql").write_text("CREATE SCHEMA IF NOT EXISTS ops;\nCREATE TABLE ops.ok (id int);\n")
    (scripts / "02_bad.sql").write_text("CREATE TABLE ops.half (id int);\nSELECT no_such_function();\n")
    conn = psycopg2.connect(empty_db_dsn)
    with pytest.raises(MigrationError, match="02_bad.sql failed"):
        apply_migrations(conn, scripts)
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('ops.ok') IS NOT NULL, to_regclass('ops.half') IS NOT NULL")
        assert cur.fetchone() == (True, False)
    conn.close()
    assert _history(empty_db_dsn) == ["01_ok.sql"]


def test_given_badly_named_script_when_discovered_then_error(tmp_path):
    (tmp_path / "create_things.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="NN_description.sql"):
        discover(tmp_path)


def test_given_combined_sql_when_checked_then_it_is_fresh():
    """combined.sql is generated; a stale one fails here (run `make combined-sql`)."""
    script = SQL_SCRIPTS / "combine_sql_files.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (SQL_SCRIPTS / "combined.sql").read_text() == render_combined(SQL_SCRIPTS)


def test_given_runner_db_and_combined_db_when_compared_then_catalogs_are_identical(empty_db_dsn, pg_server_dsn):
    conn = psycopg2.connect(empty_db_dsn)
    apply_migrations(conn, SQL_SCRIPTS)
    conn.close()
    name, combined_dsn = create_database(pg_server_dsn)
    try:
        with psycopg2.connect(combined_dsn) as conn, conn.cursor() as cur:
            cur.execute((SQL_SCRIPTS / "combined.sql").read_text())
        runner_catalog = _catalog(empty_db_dsn)
        assert len(runner_catalog) > 100
        assert _catalog(combined_dsn) == runner_catalog
        conn = psycopg2.connect(combined_dsn)
        assert apply_migrations(conn, SQL_SCRIPTS) == []  # combined.sql is recognised as fully migrated
        conn.close()
    finally:
        drop_database(pg_server_dsn, name)
