"""Throw-away databases (tests and benches): create one, optionally migrated or cloned, drop it.

Used by the fixtures in the repository's ``conftest.py``, by tests that need a second database and
by ``make bench``. ``server_dsn`` is any DSN of the server (see :func:`scripts.stack.local_pg.admin_dsn`).
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from scripts.paths import SQL_SCRIPTS


def with_dbname(dsn: str, dbname: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + dbname))


def admin_connection(dsn: str) -> psycopg2.extensions.connection:
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    return conn


def create_database(server_dsn: str, template: str | None = None, *, name: str | None = None,
                    migrate: bool = False) -> tuple[str, str]:
    """Create a database (``name`` replaces any database of that name; default a unique one), cloned
    from ``template`` or migrated with the numbered SQL scripts when asked; return (name, dsn)."""
    from itc_common_utilities.migrations import apply_migrations

    name = name or f"itc_t_{uuid.uuid4().hex[:12]}"
    admin = admin_connection(server_dsn)
    try:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template:
                statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            cur.execute(statement)
    finally:
        admin.close()
    dsn = with_dbname(server_dsn, name)
    if migrate:
        conn = psycopg2.connect(dsn)
        try:
            apply_migrations(conn, SQL_SCRIPTS)
        finally:
            conn.close()
    return name, dsn


def drop_database(server_dsn: str, name: str) -> None:
    admin = admin_connection(server_dsn)
    try:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    finally:
        admin.close()
