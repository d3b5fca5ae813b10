"""Audited PHI reads (docs/design.md §6): pgAudit object auditing on the Debian PostgreSQL with pgAudit.

A cluster of its own (the Debian engine of scripts/stack/local_pg.py, run as its service account) started
as the RDS parameter group configures RDS: ``shared_preload_libraries=pgaudit``, ``pgaudit.role=itc_auditor``
and no session read logging (``pgaudit.log`` without ``read``, as ``var.pgaudit_log_classes``). The
warehouse is migrated onto it (42_enable_pgaudit.sql creates the extension,
ops.apply_phi_audit_grants gives itc_auditor its grants from the PHI catalogue, through the security
baseline). A PHI reader's read of a PHI column is logged as ``AUDIT: OBJECT``; a read of non-PHI data
is not; a PHI column added to the catalogue is audited after the next baseline run.

Needs the Debian ``postgresql`` and ``postgresql-15-pgaudit`` packages (scripts/build/system_packages.sh).
"""

from __future__ import annotations

import glob
import secrets
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest

from itc_common_utilities.migrations import apply_migrations
from scripts.paths import SQL_SCRIPTS
from scripts.stack import local_pg
from tests.warehouse.kit import refresh_all

pytestmark = pytest.mark.skipif(
    not glob.glob("/usr/lib/postgresql/*/lib/pgaudit.so"),
    reason="the PHI audit test needs Debian's postgresql and postgresql-15-pgaudit "
           "(bash scripts/build/system_packages.sh test installs them)",
)
SETTINGS = {"shared_preload_libraries": "pgaudit", "pgaudit.role": "itc_auditor", "pgaudit.log": "ddl,role",
            "pgaudit.log_parameter": "off"}


@dataclass(frozen=True)
class AuditCluster(local_pg.Cluster):
    """The Debian engine in a folder of its own, so the shared Debian clusters keep their settings."""

    @property
    def root(self) -> Path:
        return local_pg.base_dir() / "debian-pgaudit"


@dataclass(frozen=True)
class AuditedWarehouse:
    cluster: AuditCluster
    dbname: str
    reader: str
    password: str

    def reader_dsn(self) -> str:
        return (f"postgresql://{self.reader}:{quote(self.password, safe='')}@127.0.0.1:{self.cluster.port}/"
                f"{self.dbname}")

    def audit_lines(self, marker: str) -> list[str]:
        """The server log's pgAudit lines of the statement tagged ``marker`` (waits briefly for the write)."""
        deadline = time.monotonic() + 5
        while True:
            found = [line for line in self.cluster.log.read_text(errors="replace").splitlines()
                     if "AUDIT:" in line and marker in line]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def warehouse() -> Iterator[AuditedWarehouse]:
    c = AuditCluster("debian", _free_port())
    account = local_pg._run_as()
    if local_pg.base_dir() == local_pg.LOCAL:
        c.root.mkdir(parents=True, exist_ok=True)
    else:
        local_pg._service_dir(c.root.parent)
        local_pg._service_dir(c.root)
    local_pg._initdb(c, account)
    c.log.unlink(missing_ok=True)
    c.log.touch()
    local_pg._chown(c.log, account)
    options = " ".join([f"-p {c.port}", *(f"-c {name}={value}" for name, value in SETTINGS.items())])
    started = local_pg._pg(c, "pg_ctl", "-D", str(c.data), "-l", str(c.log), "-w", "-t", "60", "-o", options,
                           "start", check=False)
    assert started.returncode == 0, f"pgAudit cluster did not start: {started.stderr}\n{c.log.read_text()[-1500:]}"
    dbname, reader, password = "itc", f"phi_audit_{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(16)
    try:
        admin = psycopg2.connect(c.dsn("postgres"))
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE {dbname}")
        admin.close()
        conn = psycopg2.connect(c.dsn(dbname))
        apply_migrations(conn, SQL_SCRIPTS)
        refresh_all(conn)
        with conn, conn.cursor() as cur:  # a person granted PHI access (itc access grant --phi)
            cur.execute(f"CREATE ROLE {reader} LOGIN PASSWORD %s IN ROLE phi_reader, itc_analyst", (password,))
        conn.close()
        yield AuditedWarehouse(c, dbname, reader, password)
    finally:
        local_pg._pg(c, "pg_ctl", "-D", str(c.data), "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(c.root, ignore_errors=True)


def run_as_reader(warehouse: AuditedWarehouse, query: str) -> str:
    """Run ``query`` as the PHI reader, tagged with a unique comment; return the tag."""
    marker = f"audit-test-{uuid.uuid4().hex[:12]}"
    conn = psycopg2.connect(warehouse.reader_dsn())
    with conn.cursor() as cur:
        cur.execute(f"{query} /* {marker} */")
        cur.fetchall()
    conn.close()
    return marker


def test_itc_auditor_is_the_pgaudit_role(warehouse):
    """GIVEN the server as RDS runs it WHEN migrated THEN the pgaudit extension exists and pgaudit.role is
    itc_auditor, a NOLOGIN role nobody is a member of."""
    conn = psycopg2.connect(warehouse.cluster.dsn(warehouse.dbname))
    with conn.cursor() as cur:
        cur.execute("SELECT extname FROM pg_extension WHERE extname = 'pgaudit'")
        assert cur.fetchone() == ("pgaudit",)
        cur.execute("SELECT current_setting('pgaudit.role'), rolcanlogin, "
                    "(SELECT count(*) FROM pg_auth_members WHERE roleid = r.oid) FROM pg_roles r "
                    "WHERE rolname = 'itc_auditor'")
        assert cur.fetchone() == ("itc_auditor", False, 0)
    conn.close()


def test_phi_column_read_is_logged_as_audit_object(warehouse):
    """GIVEN a PHI reader WHEN SELECT claimant_name FROM raw.cases runs THEN the server log has one AUDIT:
    OBJECT line naming the READ of raw.cases and the statement; the same for a curated PHI column."""
    marker = run_as_reader(warehouse, "SELECT claimant_name FROM raw.cases")
    curated = run_as_reader(warehouse, "SELECT claimant_name FROM curated.demands_uploaded")

    lines = warehouse.audit_lines(marker)
    assert len(lines) == 1, lines
    assert "AUDIT: OBJECT," in lines[0]
    assert ",READ,SELECT,TABLE,raw.cases,SELECT claimant_name FROM raw.cases" in lines[0]
    assert any("AUDIT: OBJECT," in line and "curated.demands_uploaded" in line
               for line in warehouse.audit_lines(curated))


@pytest.mark.parametrize("query", [
    "SELECT document_id FROM raw.metadata",
    "SELECT document_id, sending_firm_name FROM raw.cases",  # the PHI table, but none of its PHI columns
    "SELECT * FROM analytics.demands_summary",
    "SELECT * FROM curated_deid.demands_uploaded",
], ids=["raw.metadata", "non-PHI columns of raw.cases", "analytics", "de-identified view"])
def test_given_a_phi_reader_when_non_phi_data_is_read_then_nothing_is_audited(warehouse, query):
    """GIVEN a PHI reader WHEN a query reads no PHI column THEN no AUDIT line is written for it."""
    marker = run_as_reader(warehouse, query)

    assert warehouse.audit_lines(marker) == []


def test_new_catalogued_phi_column_reads_are_audited(warehouse):
    """GIVEN raw.templates.default_demand_config catalogued as PHI (as a new script would) WHEN the baseline
    runs (after every migration) THEN a read of it is logged as AUDIT OBJECT."""
    before = run_as_reader(warehouse, "SELECT default_demand_config FROM raw.templates")
    conn = psycopg2.connect(warehouse.cluster.dsn(warehouse.dbname))
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO ops.phi_columns VALUES ('raw', 'templates', 'default_demand_config', 'PHI', 'test')")
        cur.execute("CALL ops.apply_security_baseline()")
    try:
        after = run_as_reader(warehouse, "SELECT default_demand_config FROM raw.templates")

        assert warehouse.audit_lines(before) == []
        assert any("AUDIT: OBJECT," in line and "raw.templates" in line for line in warehouse.audit_lines(after))
    finally:
        with conn, conn.cursor() as cur:
            cur.execute("DELETE FROM ops.phi_columns WHERE column_name = 'default_demand_config'")
            cur.execute("CALL ops.apply_security_baseline()")
        conn.close()
