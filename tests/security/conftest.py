"""Fixtures of the security tests: a warehouse migrated from scratch (so database-level grants are
applied as in production, not inherited from a template clone), and logins for every role, each
connecting with its own password over TCP like a real client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
import pytest

from itc_common_utilities.migrations import apply_migrations
from scripts import access

REPO = Path(__file__).resolve().parents[2]
SQL_SCRIPTS = REPO / "terraform_modules" / "itc_data_warehouse" / "sql_scripts"


@dataclass(frozen=True)
class SecuredWarehouse:
    name: str
    admin_dsn: str


def login_dsn(admin_dsn: str, user: str, password: str) -> str:
    parts = urlsplit(admin_dsn)
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
def secured_warehouse(empty_db_dsn: str) -> Iterator[SecuredWarehouse]:
    """A database built by the migration runner from an empty database, matviews populated."""
    dsn = empty_db_dsn
    conn = psycopg2.connect(dsn)
    try:
        apply_migrations(conn, SQL_SCRIPTS)
        with conn, conn.cursor() as cur:
            cur.execute(
                "INSERT INTO ops.load_runs (source, run_id, manifest_bucket, manifest_key, manifest_sha256, status, "
                "started_at) VALUES ('demand', 'r1', 'b', 'k', repeat('a', 64), 'succeeded', now()) RETURNING load_id"
            )
            load_id = cur.fetchone()[0]
            cur.execute(
                "INSERT INTO raw.cases (document_id, version, sending_firm_name, claimant_name, claim_number, "
                "_load_id, _source_key) VALUES ('doc-1', 1, 'Roe & Partners', 'Jane Roe', 'CLM-1', %s, 'k')",
                (load_id,),
            )
            cur.execute(
                "INSERT INTO raw.metadata (document_id, uploaded_at, _load_id, _source_key) "
                "VALUES ('doc-1', now(), %s, 'k')", (load_id,),
            )
            cur.execute("SELECT schemaname, matviewname FROM pg_matviews "
                        "WHERE schemaname IN ('curated', 'analytics') ORDER BY schemaname = 'analytics', 2")
            for schema, view in cur.fetchall():
                cur.execute(f'REFRESH MATERIALIZED VIEW "{schema}"."{view}"')
    finally:
        conn.close()
    yield SecuredWarehouse(urlsplit(dsn).path.lstrip("/"), dsn)


@pytest.fixture
def role_logins(secured_warehouse: SecuredWarehouse) -> Iterator[dict[str, str]]:
    """DSN per login: the three service logins, an analyst, and an analyst who also holds phi_reader."""
    admin = secured_warehouse.admin_dsn
    dsns = {role: access.local_login_dsn(admin, role) for role in access.SERVICE_LOGINS}
    suffix = uuid.uuid4().hex[:8]
    analyst, phi_analyst = f"analyst_{suffix}", f"phi_analyst_{suffix}"
    conn = psycopg2.connect(admin)
    try:
        for user in (analyst, phi_analyst):
            password = access.grant_analyst(conn, user, granted_by="security tests", reason="privilege matrix",
                                            valid_days=1)
            dsns[user] = login_dsn(admin, user, password)
        with conn, conn.cursor() as cur:
            cur.execute(f'GRANT phi_reader TO "{phi_analyst}"')
        yield {"itc_migrator": dsns["itc_migrator"], "itc_loader": dsns["itc_loader"],
               "itc_refresher": dsns["itc_refresher"], "analyst": dsns[analyst],
               "analyst+phi_reader": dsns[phi_analyst]}
    finally:
        for user in (analyst, phi_analyst):
            access.revoke_analyst(conn, user, revoked_by="security tests", reason="test over")
        conn.close()
