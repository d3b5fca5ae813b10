"""Throw-away databases for tests: each test gets its own, cloned from a migrated template.

Used by the fixtures in the repository's ``conftest.py`` and by tests that need a second database.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg2


def with_dbname(dsn: str, dbname: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + dbname))


def admin_connection(dsn: str) -> psycopg2.extensions.connection:
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    return conn


def create_database(pg_server_dsn: str, template: str | None = None) -> tuple[str, str]:
    """Create a uniquely named database (optionally cloned from ``template``); return (name, dsn)."""
    name = f"itc_t_{uuid.uuid4().hex[:12]}"
    admin = admin_connection(pg_server_dsn)
    try:
        with admin.cursor() as cur:
            clause = f' TEMPLATE "{template}"' if template else ""
            cur.execute(f'CREATE DATABASE "{name}"{clause}')
    finally:
        admin.close()
    return name, with_dbname(pg_server_dsn, name)


def drop_database(pg_server_dsn: str, name: str) -> None:
    admin = admin_connection(pg_server_dsn)
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()
