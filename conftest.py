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

from scripts.stack import local_pg
from scripts.stack.service_logins import set_service_passwords
from scripts.stack.testdb import create_database, drop_database


@pytest.fixture(scope="session")
def pg_server_dsn() -> str:
    """DSN of a PostgreSQL where the tests may create databases (its `postgres` database)."""
    return local_pg.admin_dsn("postgres")


@pytest.fixture(scope="session")
def template_db(pg_server_dsn: str) -> Iterator[str]:
    """Name of a database migrated once per test session; clone it, never write to it. The local
    service logins get their passwords once here, as `itc stack up` and `itc migrate` do."""
    name, _ = create_database(pg_server_dsn, name=f"itc_tmpl_{os.getpid()}", migrate=True)
    set_service_passwords(pg_server_dsn)
    yield name
    drop_database(pg_server_dsn, name)


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


@pytest.fixture(autouse=True)
def manifest_mac_key_id(monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test signs and verifies landing manifests with the local demand key's alias (a test of the other
    source's own key sets it; ``itc`` gives each pipeline its own for the call, scripts/itc/jobs.py), and
    verifies force approvals with the local approval key, as the local stack does; each moto fixture creates
    the keys (``itc_common_utilities.signature.ensure_local_keys``)."""
    from itc_common_utilities.loader.approval import APPROVAL_KEY_ENV
    from itc_common_utilities.signature import LOCAL_APPROVAL_KEY_ALIAS, LOCAL_MAC_KEY_ALIASES, MAC_KEY_ENV

    monkeypatch.setenv(MAC_KEY_ENV, LOCAL_MAC_KEY_ALIASES["demand"])
    monkeypatch.setenv(APPROVAL_KEY_ENV, LOCAL_APPROVAL_KEY_ALIAS)
    return LOCAL_MAC_KEY_ALIASES["demand"]
