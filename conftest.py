"""Test fixtures shared by every test in the repository: a real, migrated PostgreSQL.

The session starts the embedded PostgreSQL (``scripts/stack/local_pg.py``), or uses ``ITC_DATABASE_URL``
when set (it must allow CREATE DATABASE), migrates a template database once, and gives each test
that asks for ``db_dsn`` its own fresh copy of it (``CREATE DATABASE ... TEMPLATE``), dropped after.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg2
import pytest

from scripts.paths import SQL_SCRIPTS
from scripts.stack.testdb import admin_connection, create_database, drop_database, with_dbname


@pytest.fixture(scope="session")
def pg_server_dsn() -> str:
    """DSN of a PostgreSQL where the tests may create databases (its `postgres` database)."""
    url = os.environ.get("ITC_DATABASE_URL")
    if url:
        return with_dbname(url, "postgres")
    from scripts.stack import local_pg

    return local_pg.start().dsn("postgres")


@pytest.fixture(scope="session")
def template_db(pg_server_dsn: str) -> Iterator[str]:
    """Name of a database migrated once per test session; clone it, never write to it."""
    from itc_common_utilities.migrations import apply_migrations

    name = f"itc_tmpl_{os.getpid()}"
    admin = admin_connection(pg_server_dsn)
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn = psycopg2.connect(with_dbname(pg_server_dsn, name))
    try:
        apply_migrations(conn, SQL_SCRIPTS)
    finally:
        conn.close()
    yield name
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def db_dsn(pg_server_dsn: str, template_db: str) -> Iterator[str]:
    """DSN of a fresh, fully migrated database of this test's own."""
    name, dsn = create_database(pg_server_dsn, template_db)
    yield dsn
    drop_database(pg_server_dsn, name)


@pytest.fixture
def empty_db_dsn(pg_server_dsn: str) -> Iterator[str]:
    """DSN of a fresh, empty (unmigrated) database of this test's own."""
    name, dsn = create_database(pg_server_dsn)
    yield dsn
    drop_database(pg_server_dsn, name)


@pytest.fixture
def db(db_dsn: str) -> Iterator[psycopg2.extensions.connection]:
    """A connection to this test's fresh migrated database."""
    conn = psycopg2.connect(db_dsn)
    yield conn
    conn.close()
