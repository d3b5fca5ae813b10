"""TLS in transit (docs/design.md §6): the local TLS cluster (Debian engine, `--tls`) behaves like
RDS with rds.force_ssl=1. A TCP login without TLS is refused; a `sslmode=verify-full` login that
trusts the generated CA is accepted and encrypted; a client trusting another CA refuses the server;
the shared `db.connect` passes sslmode/sslrootcert from the settings (ITC_DB_SSLMODE/ITC_DB_SSLROOTCERT).

Needs the Debian `postgresql` package and `openssl` (`.ci/run` installs them); skipped, saying so, when
absent on a developer machine.
"""

from __future__ import annotations

import glob
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest

from itc_common_utilities.db import connect
from itc_common_utilities.errors import TerminalError, TransientError
from itc_common_utilities.migrations import apply_migrations
from itc_common_utilities.settings import DatabaseSettings, load_settings
from scripts.paths import SQL_SCRIPTS
from scripts.stack import local_pg, service_logins

pytestmark = pytest.mark.skipif(
    not glob.glob("/usr/lib/postgresql/*/bin/postgres") or shutil.which("openssl") is None,
    reason="TLS tests need the Debian postgresql package and openssl (apt-get install -y postgresql openssl)",
)


@dataclass(frozen=True)
class TlsServer:
    ca_file: Path
    dbname: str
    loader_password: str

    def url(self, sslmode: str, *, user: str = "itc_loader_demand", password: str | None = None) -> str:
        secret = password if password is not None else self.loader_password
        return (f"postgresql://{user}:{quote(secret, safe='')}@127.0.0.1:{local_pg.TLS_PORT}/{self.dbname}"
                f"?sslmode={sslmode}")


@pytest.fixture(scope="module")
def tls_server(tls_cluster: local_pg.Cluster) -> Iterator[TlsServer]:
    """A migrated warehouse of this module's own on the TLS-only cluster (tests/security/conftest.py);
    itc_loader_demand has its local password."""
    c = tls_cluster
    dbname = f"itc_tls_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(c.dsn("postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{dbname}"')
    conn = psycopg2.connect(c.dsn(dbname))
    try:
        apply_migrations(conn, SQL_SCRIPTS)
    finally:
        conn.close()
    password = service_logins.local_password("itc_loader_demand")
    service_logins.set_service_passwords(c.dsn(dbname))
    try:
        yield TlsServer(c.ca_file, dbname, password)
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.close()


def test_given_tls_only_server_when_login_without_tls_then_refused(tls_server):
    """GIVEN the TLS-only server WHEN itc_loader_demand logs in over TCP with sslmode=disable (right password)
    THEN the server refuses the connection for lack of encryption, and the error holds no password."""
    with pytest.raises(psycopg2.OperationalError) as refused:
        psycopg2.connect(tls_server.url("disable"))
    message = str(refused.value)
    assert "no encryption" in message
    assert tls_server.loader_password not in message


def test_given_generated_ca_when_verify_full_login_then_accepted_and_encrypted(tls_server):
    """GIVEN the generated CA WHEN itc_loader_demand logs in with sslmode=verify-full THEN the session is TLS 1.2+."""
    conn = psycopg2.connect(tls_server.url("verify-full"), sslrootcert=str(tls_server.ca_file))
    with conn.cursor() as cur:
        cur.execute("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        ssl, version = cur.fetchone()
        cur.execute("SELECT current_user")
        assert cur.fetchone()[0] == "itc_loader_demand"
    conn.close()
    assert ssl is True
    assert version in ("TLSv1.2", "TLSv1.3")


def test_given_client_trusting_another_ca_when_verify_full_then_server_refused(tls_server, tmp_path):
    """GIVEN a client that trusts some other CA WHEN it connects with verify-full
    THEN the client refuses the server's certificate (no man in the middle)."""
    other = local_pg.make_certificates(tmp_path / "other", common_name="Some other CA")
    with pytest.raises(psycopg2.OperationalError) as refused:
        psycopg2.connect(tls_server.url("verify-full"), sslrootcert=str(other / "ca.crt"))
    assert "certificate verify failed" in str(refused.value)


def test_given_settings_with_sslmode_when_shared_connect_then_tls_is_used(tls_server):
    """GIVEN ITC_DATABASE_URL without TLS options, ITC_DB_SSLMODE=verify-full and ITC_DB_SSLROOTCERT=<CA>
    WHEN the shared db.connect opens the connection THEN it is verified TLS; and with ITC_DB_SSLMODE=disable
    THEN the connection fails with an error naming the refusal, without the password."""
    base = tls_server.url("prefer").split("?")[0]
    settings = load_settings(DatabaseSettings, environ={
        "ITC_DATABASE_URL": base, "ITC_DB_SSLMODE": "verify-full", "ITC_DB_SSLROOTCERT": str(tls_server.ca_file),
    })
    conn = connect(settings)
    with conn.cursor() as cur:
        cur.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        assert cur.fetchone()[0] is True
    conn.close()

    plain = load_settings(DatabaseSettings, environ={"ITC_DATABASE_URL": base, "ITC_DB_SSLMODE": "disable"})
    with pytest.raises((TerminalError, TransientError)) as refused:
        connect(plain)
    assert "no encryption" in str(refused.value)
    assert tls_server.loader_password not in str(refused.value)
