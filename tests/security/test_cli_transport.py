"""The CLI's database connections (itc_common_utilities.dsn, scripts/itc/env.check_database_targets): a server
not on this machine is reached only with sslmode=verify-full, by every `itc` command; and `itc migrate`
sets the service logins' passwords only on a cluster on this machine (on RDS they use IAM authentication)."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

import psycopg2
import psycopg2.extensions
import pytest

from itc_common_utilities.dsn import InsecureDsnError, is_local, require_verified_tls, transport_refusal
from scripts.itc import cli
from scripts.itc.env import check_database_targets
from scripts.stack.service_logins import SERVICE_LOGINS, ServiceLoginError, set_service_passwords
from tests.cli.test_itc_cli import REPO, assert_one_line_error, itc

REMOTE = "postgresql://itcadmin:s3cret-pw@warehouse.example.invalid:5432/itc"
# one run of each command, with the arguments it needs to get past argument parsing
COMMANDS = {
    "migrate": (), "demo": (), "run": (), "status": (), "invoice": ("--month", "2026-10"),
    "replay": ("s3://itc-landing/demand/run=x/_manifest.json",), "stack": ("status",),
    "docs": ("--output", "/nonexistent/dd.md"), "dashboard": ("--output", "/nonexistent/d.html"),
    "access": ("list",),
    "approve-force": ("--manifest", "s3://itc-landing/demand/run=x/_manifest.json", "--reason", "restore"),
}


def test_the_parametrized_commands_are_every_itc_command():
    """GIVEN `itc --help` WHEN its command list is read THEN it is exactly the commands tested below."""
    result = subprocess.run([sys.executable, "-m", "scripts.itc", "--help"], cwd=REPO, capture_output=True,
                            text=True, check=True)
    listed = set(re.findall(r"^ {4}([a-z][a-z-]*)\b", result.stdout, flags=re.MULTILINE))
    assert listed == set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(("variable", "query", "mode"), [
    ("ITC_DATABASE_URL", "", "prefer"),
    ("ITC_ADMIN_DATABASE_URL", "?sslmode=require", "require"),
])
def test_every_command_refuses_a_remote_dsn_without_verify_full(command, variable, query, mode):
    """GIVEN a DSN naming a remote server without sslmode=verify-full (none: libpq's prefer; or require)
    WHEN any `itc` command runs
    THEN it exits 1 before connecting, with one error line naming the variable, the host, the sslmode and
    the fix, and never the password."""
    result = itc(command, *COMMANDS[command], env={variable: REMOTE + query})
    assert_one_line_error(result, f"error: {variable} reaches warehouse.example.invalid with sslmode={mode}",
                          f"add sslmode=verify-full&sslrootcert=<CA bundle, e.g. RDS global-bundle.pem> to {variable}")
    assert "s3cret" not in result.stdout + result.stderr and "itcadmin" not in result.stderr


@pytest.mark.parametrize(("dsn", "env", "refused"), [
    ("postgresql://u@127.0.0.1:5432/itc", {}, False),
    ("postgresql://u@localhost/itc?sslmode=disable", {}, False),
    ("host=127.0.0.2 dbname=itc", {}, False),
    ("postgresql://u@[::1]:5432/itc", {}, False),
    ("dbname=itc", {}, False),  # a Unix socket
    ("host=/var/run/postgresql dbname=itc", {}, False),
    ("postgresql://u@db.example.invalid/itc?sslmode=verify-full&sslrootcert=/ca.pem", {}, False),
    ("postgresql://u@db.example.invalid/itc", {"PGSSLMODE": "verify-full"}, False),
    ("postgresql://u@db.example.invalid/itc?sslmode=verify-ca", {}, True),
    ("postgresql://u@db.example.invalid/itc", {"PGSSLMODE": "require"}, True),
    ("host=db.example.invalid hostaddr=127.0.0.1 dbname=itc", {}, True),  # the name decides, not the address
    ("hostaddr=10.0.0.5 dbname=itc", {}, True),
    ("dbname=itc", {"PGHOST": "db.example.invalid"}, True),
    ("host=localhost,db.example.invalid dbname=itc", {}, True),
])
def test_the_dsn_rule_decides_by_host_name_and_sslmode(monkeypatch, dsn, env, refused):
    """GIVEN a DSN (and libpq's PG* variables) WHEN the transport rule reads it THEN a DSN whose every host is
    this machine (socket, localhost, loopback) is accepted whatever its sslmode, and a remote one only with
    verify-full (hostaddr does not make a remote name local)."""
    for name in ("PGSSLMODE", "PGHOST", "PGHOSTADDR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert (transport_refusal(dsn, source="X") is not None) == refused
    if refused:
        with pytest.raises(InsecureDsnError, match="X reaches .* needs sslmode=verify-full"):
            require_verified_tls(dsn, source="X")


def test_itc_db_sslmode_overrides_the_dsn_and_itc_db_host_defaults_to_verify_full(monkeypatch):
    """GIVEN ITC_DATABASE_URL with verify-full but ITC_DB_SSLMODE=require (which wins in db.connect), or
    ITC_DB_HOST alone WHEN the environment is checked THEN the first is refused naming ITC_DATABASE_URL and
    require, the second (connect's default verify-full) is accepted, and with ITC_DB_SSLMODE=prefer refused."""
    for name in ("ITC_ADMIN_DATABASE_URL", "ITC_DATABASE_URL", "ITC_DB_HOST", "ITC_DB_SSLMODE", "PGSSLMODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ITC_DATABASE_URL", REMOTE + "?sslmode=verify-full")
    check_database_targets()
    monkeypatch.setenv("ITC_DB_SSLMODE", "require")
    with pytest.raises(InsecureDsnError, match="ITC_DATABASE_URL reaches warehouse.example.invalid with sslmode=requ"):
        check_database_targets()
    monkeypatch.delenv("ITC_DATABASE_URL")
    monkeypatch.delenv("ITC_DB_SSLMODE")
    monkeypatch.setenv("ITC_DB_HOST", "itc.cluster-x.us-east-1.rds.amazonaws.com")
    check_database_targets()
    monkeypatch.setenv("ITC_DB_SSLMODE", "prefer")
    with pytest.raises(InsecureDsnError, match="ITC_DB_HOST reaches itc.cluster-x"):
        check_database_targets()


def _service_verifiers(admin_dsn: str) -> dict[str, str | None]:
    conn = psycopg2.connect(admin_dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY(%s)", (list(SERVICE_LOGINS),))
            return dict(cur.fetchall())
    finally:
        conn.close()


def test_migrate_sets_service_passwords_only_on_a_cluster_on_this_machine(empty_db_dsn, monkeypatch):
    """GIVEN an empty database reached under a remote host name (libpq hostaddr routes it to this machine)
    WHEN `itc migrate`'s command runs against it (below the CLI's transport check: no local server has a
    certificate for a remote name)
    THEN the scripts are applied and no service login's password changes (pg_authid.rolpassword: every
    ALTER ROLE … PASSWORD would give a new SCRAM salt); and against the same server as 127.0.0.1 they do."""
    params = psycopg2.extensions.parse_dsn(empty_db_dsn)
    remote = psycopg2.extensions.make_dsn(host="warehouse.example.invalid", hostaddr="127.0.0.1",
                                          port=params.get("port"), dbname=params["dbname"], user=params.get("user"))
    assert not is_local(remote)
    monkeypatch.delenv("ITC_DATABASE_URL", raising=False)
    monkeypatch.setenv("ITC_ADMIN_DATABASE_URL", remote)
    set_service_passwords(empty_db_dsn)  # the roles may be new on this cluster: give them a verifier first
    before = _service_verifiers(empty_db_dsn)

    assert cli.cmd_migrate(argparse.Namespace()) == 0

    conn = psycopg2.connect(empty_db_dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM ops.schema_migrations")
            assert cur.fetchone()[0] > 30
    finally:
        conn.close()
    assert _service_verifiers(empty_db_dsn) == before
    with pytest.raises(ServiceLoginError, match="not on warehouse.example.invalid"):
        set_service_passwords(remote)

    monkeypatch.setenv("ITC_ADMIN_DATABASE_URL", empty_db_dsn)
    assert cli.cmd_migrate(argparse.Namespace()) == 0
    after = _service_verifiers(empty_db_dsn)
    assert set(after) == set(SERVICE_LOGINS) and all(after[r] != before[r] for r in SERVICE_LOGINS)
