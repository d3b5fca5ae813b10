"""The embedded PostgreSQL of local runs and tests: start, stop, status, DSN.

    python -m scripts.local_pg start     # prints the DSN of the `itc` database
    python -m scripts.local_pg stop | status | dsn

Default engine: PostgreSQL 16 (the RDS major) from the ``pgserver`` wheel, so a fresh machine
needs nothing but pip. ``--engine debian`` uses the Debian ``postgresql`` package's binaries
instead (they have TLS support, which the pgserver build lacks). Data lives under
``.local/pg/<engine>/``; the server listens on 127.0.0.1 only (port ``ITC_PG_PORT``, default 54329
for pgserver and 54339 for debian). PostgreSQL refuses to run as root, so when started by root it
runs as the system user ``itcpg`` (created on first use).

Authentication: the ``postgres`` superuser is trusted on 127.0.0.1 (a developer machine), every
other role needs its password (scram-sha-256), so role tests exercise real logins.
Set ``ITC_DATABASE_URL`` to use any other PostgreSQL instead; nothing here is then started.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import os
import pwd
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOCAL = REPO / ".local" / "pg"
SYSTEM_USER = "itcpg"
DEFAULT_PORTS = {"pgserver": 54329, "debian": 54339}
DATABASE = "itc"


class LocalPgError(RuntimeError):
    pass


@dataclass(frozen=True)
class Cluster:
    engine: str
    port: int

    @property
    def root(self) -> Path:
        return LOCAL / self.engine

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def dsn(self, dbname: str = DATABASE, user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    @property
    def bin_dir(self) -> Path:
        if self.engine == "pgserver":
            spec = importlib.util.find_spec("pgserver")  # located, not imported (its import is slow and noisy)
            if spec is None or not spec.submodule_search_locations:
                raise LocalPgError("the pgserver package is not installed: run `make venv`")
            return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
        if not candidates:
            raise LocalPgError("Debian PostgreSQL is not installed: apt-get install -y postgresql")
        return Path(candidates[-1]).parent


def cluster(engine: str = "pgserver", port: int | None = None) -> Cluster:
    if engine not in DEFAULT_PORTS:
        raise LocalPgError(f"unknown engine {engine!r}: use pgserver or debian")
    port = port or int(os.environ.get("ITC_PG_PORT", DEFAULT_PORTS[engine]))
    return Cluster(engine, port)


def _run_as() -> str | None:
    """The user to run PostgreSQL as: ourselves, or ``itcpg`` when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
                       check=True)
    return SYSTEM_USER


def _make_reachable(path: Path, user: str) -> None:
    """Give ``user`` traverse rights down to ``path`` and to the binaries (root-owned checkouts)."""
    for parent in reversed(path.parents):
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)
    shutil.chown(path, user=user)


def _pg(c: Cluster, tool: str, *args: str, user: str | None, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(c.bin_dir / tool), *args], user=user, check=check,
                          capture_output=True, text=True, cwd="/")


def is_running(c: Cluster) -> bool:
    if not (c.data / "PG_VERSION").exists():
        return False
    result = _pg(c, "pg_ctl", "-D", str(c.data), "status", user=_run_as(), check=False)
    return result.returncode == 0


def start(engine: str = "pgserver", port: int | None = None) -> Cluster:
    """Initialise (once) and start the cluster; create the ``itc`` database. Idempotent."""
    c = cluster(engine, port)
    user = _run_as()
    c.root.mkdir(parents=True, exist_ok=True)
    if user:
        _make_reachable(c.root, user)
        _make_reachable(c.bin_dir, "root")  # only the traverse bits matter for the binaries
    if not (c.data / "PG_VERSION").exists():
        if c.data.exists():
            shutil.rmtree(c.data)
        c.data.mkdir(mode=0o700)
        if user:
            shutil.chown(c.data, user=user)
        result = _pg(c, "initdb", "-D", str(c.data), "-U", "postgres", "--auth-local=trust",
                     "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C", user=user, check=False)
        if result.returncode != 0:
            raise LocalPgError(f"initdb failed: {result.stderr.strip()[-500:]}")
        hba = c.data / "pg_hba.conf"
        hba.write_text(
            "# ITC local cluster: superuser trusted on loopback, every other role needs its password\n"
            "local all postgres trust\n"
            "host  all postgres 127.0.0.1/32 trust\n"
            "local all all scram-sha-256\n"
            "host  all all 127.0.0.1/32 scram-sha-256\n"
        )
        with (c.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# ITC local settings\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
                       "max_connections = 100\nshared_buffers = 256MB\nmax_wal_size = 4GB\n"
                       "fsync = on\ntimezone = 'UTC'\nlog_min_messages = warning\n")
        if user:
            for p in (hba, c.data / "postgresql.conf"):
                shutil.chown(p, user=user)
    if not is_running(c):
        if user:
            c.log.touch()
            shutil.chown(c.log, user=user)
        result = _pg(c, "pg_ctl", "-D", str(c.data), "-l", str(c.log), "-w", "-t", "60",
                     "-o", f"-p {c.port}", "start", user=user, check=False)
        if result.returncode != 0:
            tail = c.log.read_text(errors="replace")[-1500:] if c.log.exists() else ""
            raise LocalPgError(f"PostgreSQL did not start on port {c.port}: {result.stderr.strip()}\n{tail}")
    _ensure_database(c)
    return c


def _ensure_database(c: Cluster) -> None:
    import psycopg2

    deadline = time.monotonic() + 30
    while True:
        try:
            conn = psycopg2.connect(c.dsn("postgres"))
            break
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
        if cur.fetchone() is None:
            cur.execute(f"CREATE DATABASE {DATABASE}")
    conn.close()


def stop(engine: str = "pgserver", port: int | None = None) -> None:
    c = cluster(engine, port)
    if is_running(c):
        _pg(c, "pg_ctl", "-D", str(c.data), "-m", "fast", "-w", "stop", user=_run_as())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Embedded PostgreSQL for ITC (local runs and tests).")
    parser.add_argument("action", choices=["start", "stop", "status", "dsn"])
    parser.add_argument("--engine", choices=sorted(DEFAULT_PORTS), default=os.environ.get("ITC_PG_ENGINE", "pgserver"))
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        if args.action == "start":
            c = start(args.engine, args.port)
            print(c.dsn())
        elif args.action == "stop":
            stop(args.engine, args.port)
            print("stopped")
        elif args.action == "status":
            c = cluster(args.engine, args.port)
            print(f"{'running' if is_running(c) else 'stopped'}: {c.dsn()} (data {c.data})")
        else:
            print(cluster(args.engine, args.port).dsn())
    except LocalPgError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
