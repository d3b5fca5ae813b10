"""The local stand-ins as a new user meets them: root in a 0700 home, two runs at once, clean logs."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg2
import pytest

from scripts.itc import demo
from scripts.paths import REPO
from scripts.stack import local_pg, service_logins
from scripts.stack.testdb import create_database, drop_database
from tests.warehouse.kit import add_demand, ny

SERVICE_ROLES = ("itc_loader_demand", "itc_loader_verifyplus", "itc_refresher")


@pytest.mark.slow
def test_root_starts_embedded_database_under_a_0700_folder(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """GIVEN a checkout inside a 0700 root-owned folder (root's home, mktemp -d) WHEN root starts the
    embedded PostgreSQL THEN it runs as its service account, answers SQL, keeps its data outside
    the checkout, and no permission of the user's folders has changed."""
    if os.geteuid() != 0:
        pytest.skip("the 0700-parent case is root's: PostgreSQL runs as another account only when started by root")
    private = tmp_path_factory.mktemp("home")
    private.chmod(0o700)
    checkout = private / "itc"
    checkout.mkdir()
    shutil.copytree(REPO / "scripts", checkout / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    service_dir = Path(tempfile.mkdtemp(prefix="itc-pg-test-"))  # /tmp: traversable, like /var/lib
    service_dir.chmod(0o755)
    env = {**os.environ, "ITC_PG_SERVICE_DIR": str(service_dir / "itc-pg"), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("ITC_PG_PORT", None)

    def local_pg_cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "scripts.stack.local_pg", *args, "--port", "54359"],
                              cwd=checkout, env=env, capture_output=True, text=True, timeout=180)

    started = local_pg_cli("start")
    try:
        assert started.returncode == 0, started.stderr
        dsn = started.stdout.strip()
        with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute("SELECT current_setting('server_version_num')::int / 10000, "
                        "(SELECT usename FROM pg_stat_activity WHERE backend_type = 'checkpointer')")
            major, _ = cur.fetchone()
        conn.close()
        assert major == 16
        status = local_pg_cli("status")
        assert "running" in status.stdout
        assert str(service_dir) in status.stdout, "the data should live in the service folder, outside the checkout"
        assert not (checkout / ".local" / "pg" / "pgserver" / "data").exists()
        owner = (service_dir / "itc-pg").stat()
        assert stat.S_IMODE(owner.st_mode) == 0o755
    finally:
        local_pg_cli("stop")
        removed = local_pg_cli("remove")
    assert removed.returncode == 0, removed.stderr
    assert stat.S_IMODE(private.stat().st_mode) == 0o700, "a folder of the user's had its permissions changed"
    shutil.rmtree(service_dir)


def test_service_account_reaches_0755_but_not_0700_folders() -> None:
    """GIVEN folders owned by us WHEN asked whether the service account (its own uid and group, no
    supplementary groups) may traverse them THEN 0700 is refused and 0755 allowed; a 0710 folder of
    the account's own group is allowed, one of another group is not."""
    account = local_pg.Account("svc", uid=4242, gid=4242)
    base = Path(tempfile.mkdtemp(prefix="itc-reach-"))  # under /tmp, which everyone may traverse
    try:
        base.chmod(0o755)
        shut, open_, group = base / "shut", base / "open", base / "group"
        for folder, mode in ((shut, 0o700), (open_, 0o755), (group, 0o710)):
            folder.mkdir()
            folder.chmod(mode)
        assert local_pg.reachable_by(open_, account)
        assert not local_pg.reachable_by(shut, account)
        assert not local_pg.reachable_by(shut / "inside", account)
        assert not local_pg.reachable_by(group, account)
        assert local_pg.reachable_by(group, local_pg.Account("svc", uid=4242, gid=group.stat().st_gid))
    finally:
        shutil.rmtree(base)


@pytest.mark.slow
def test_binaries_under_a_0700_venv_are_copied_for_the_service(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN the pgserver wheel installed under a 0700 folder (a fresh clone's .venv in root's home)
    WHEN root needs its binaries THEN they are copied, with the wheel's shared libraries, to a
    service folder, and initdb runs from there as the service account."""
    if os.geteuid() != 0:
        pytest.skip("the copy is root's: PostgreSQL runs as another account only when started by root")
    real = local_pg._pgserver_install()
    private = tmp_path_factory.mktemp("home")
    private.chmod(0o700)
    site = private / "site-packages"
    shutil.copytree(real, site / "pgserver" / "pginstall", symlinks=True)
    shutil.copytree(real.parent.parent / "pgserver.libs", site / "pgserver.libs", symlinks=True)
    service_dir = Path(tempfile.mkdtemp(prefix="itc-pg-bin-test-"))
    service_dir.chmod(0o755)
    monkeypatch.setattr(local_pg, "SERVICE_DIR", service_dir)
    try:
        copied = local_pg._reachable_install(site / "pgserver" / "pginstall")
        assert copied.is_relative_to(service_dir)
        account = local_pg._run_as()
        result = subprocess.run([str(copied / "bin" / "initdb"), "--version"], user=account.uid,
                                group=account.gid, extra_groups=[], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        assert "16." in result.stdout
        assert local_pg._reachable_install(site / "pgserver" / "pginstall") == copied  # copied once
    finally:
        shutil.rmtree(service_dir)


def _role_versions(dsn: str) -> dict[str, str]:
    """The row version of each service login in pg_authid: an ALTER ROLE changes it."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT rolname, xmin::text FROM pg_authid WHERE rolname = ANY(%s)", (list(SERVICE_ROLES),))
        rows = dict(cur.fetchall())
    conn.close()
    return rows


def itc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scripts.itc", *args], cwd=REPO, env={**os.environ},
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.slow
def test_two_runs_at_once_succeed_without_altering_logins(
        local_sources: dict[str, str]) -> None:
    """GIVEN the local stack, both sources seeded and loaded once WHEN `itc run --source demand` and
    `itc run --source verifyplus` start together (the daily schedule lands both manifests within
    seconds) THEN both exit 0, each source has a succeeded load, and no service login was altered
    meanwhile (credentials are set once, at `itc stack up` and after migrations, never per call)."""
    warehouse = local_sources["ITC_DATABASE_URL"]
    first = itc("run")  # yesterday's run: both sources
    assert first.returncode == 0, first.stderr + first.stdout
    before = _role_versions(warehouse)

    runs = {source: subprocess.Popen([sys.executable, "-m", "scripts.itc", "run", "--source", source],
                                     cwd=REPO, env={**os.environ}, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
            for source in ("demand", "verifyplus")}
    results = {source: (p.wait(timeout=300), p.stderr.read() + p.stdout.read()) for source, p in runs.items()}
    for p in runs.values():
        p.stdout.close()
        p.stderr.close()

    assert results["demand"][0] == 0, results["demand"][1]
    assert results["verifyplus"][0] == 0, results["verifyplus"][1]
    assert _role_versions(warehouse) == before
    assert _succeeded_loads(warehouse) == {"demand": 2, "verifyplus": 2}


@pytest.mark.slow
def test_demand_snapshot_lands_when_verifyplus_extract_fails(
        local_sources: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN Quickbase refusing the token WHEN `itc run` runs both sources THEN, like the ingest state
    machine, the demand snapshot is still extracted and loaded, and the command exits 1 naming what
    failed and what still landed."""
    monkeypatch.setenv("ITC_QB_TOKEN", "not-the-token")

    result = itc("run")

    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "failed: verifyplus extract" in out
    assert "401" in out and "not-the-token" not in out
    assert "still landed: demand: 1 snapshot(s) loaded" in out
    assert _succeeded_loads(local_sources["ITC_DATABASE_URL"]) == {"demand": 1}


def _succeeded_loads(dsn: str) -> dict[str, int]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT source, count(*) FROM ops.load_runs WHERE status = 'succeeded' GROUP BY source")
        loads = dict(cur.fetchall())
    conn.close()
    return loads


def test_given_a_password_change_that_fails_then_the_server_log_keeps_no_verifier(
        db_dsn: str) -> None:
    """GIVEN the embedded server (failing statements are logged with their text) WHEN a password
    is set for a role that does not exist THEN the error reaches the caller, and the server log
    holds neither the statement nor the SCRAM verifier it carried."""
    if os.environ.get("ITC_DATABASE_URL") or os.environ.get("ITC_ADMIN_DATABASE_URL"):
        pytest.skip("reads the embedded server's log; this run uses another server")
    log = local_pg.cluster().log
    size = log.stat().st_size
    conn = psycopg2.connect(db_dsn)
    try:
        with pytest.raises(psycopg2.errors.UndefinedObject), conn, conn.cursor() as cur:
            service_logins.set_password(cur, "itc_no_such_role_for_log_test", "not-a-real-password")
    finally:
        conn.close()
    written = log.read_bytes()[size:].decode(errors="replace")
    assert "itc_no_such_role_for_log_test" in written or written == "", written  # the error may be logged...
    assert "SCRAM-SHA-256$" not in written and "ALTER ROLE" not in written  # ...its statement never


def test_fresh_demo_empties_warehouse_and_bucket(
        pg_server_dsn: str, moto_s3) -> None:
    """GIVEN a migrated warehouse with demands and a landing bucket with snapshots WHEN `itc demo
    --fresh` starts over THEN the database is new and empty and the bucket holds nothing."""
    name, dsn = create_database(pg_server_dsn, migrate=True)
    try:
        with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
            add_demand(cur, "doc-1", uploaded_at=ny(2026, 10, 1))
        conn.close()
        s3 = moto_s3("itc-local-landing")
        for i in range(3):
            s3.put_object(Bucket="itc-local-landing", Key=f"demand/run=r{i}/_manifest.json", Body=b"{}")

        demo.start_fresh(dsn, s3, "itc-local-landing")

        with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute("SELECT to_regclass('raw.cases') IS NULL")
            assert cur.fetchone()[0] is True
        conn.close()
        assert s3.list_objects_v2(Bucket="itc-local-landing").get("KeyCount") == 0
    finally:
        drop_database(pg_server_dsn, name)
