"""The embedded PostgreSQL of local runs and tests: start, stop, status, DSN.

    python -m scripts.stack.local_pg start     # prints the DSN of the `itc` database
    python -m scripts.stack.local_pg stop | status | dsn | remove
    python -m scripts.stack.local_pg start --engine debian --tls   # TLS-only cluster (prints a verify-full DSN)

Default engine: PostgreSQL 16 (the RDS major) from the ``pgserver`` wheel, so a fresh machine
needs nothing but pip. ``--engine debian`` uses the Debian ``postgresql`` package's binaries
instead (they have TLS support, which the pgserver build lacks). Data lives under
``.local/pg/<engine>/``; the server listens on 127.0.0.1 only (port ``ITC_PG_PORT``, default 54329
for pgserver and 54339 for debian). PostgreSQL refuses to run as root, so when started by root it
runs as the system user ``itcpg`` (created on first use) with its own group and no supplementary
groups. No permission outside the checkout is ever changed: when ``itcpg`` cannot reach the checkout
(root's ``0700`` home, a ``mktemp -d`` folder), the cluster lives in a service-owned folder instead,
``/var/lib/itc-pg/<checkout id>/`` (``ITC_PG_SERVICE_DIR``), and the pgserver binaries are copied
beside it once (``status`` prints where the data is; ``remove`` deletes it).

Authentication: the ``postgres`` superuser is trusted on 127.0.0.1 (a developer machine), every
other role needs its password (scram-sha-256), so role tests exercise real logins.

``--tls`` (Debian engine only; a separate cluster under ``.local/pg/debian-tls/``, port 54349) serves
TLS like RDS with ``rds.force_ssl=1``: a CA and a server certificate for 127.0.0.1/localhost are
generated with the ``openssl`` CLI under ``.local/pg/debian-tls/tls/``, ``ssl = on`` (TLS 1.2+), and
pg_hba accepts TCP logins only as ``hostssl`` (``hostnossl ... reject``). Its DSN carries
``sslmode=verify-full`` and the generated CA as ``sslrootcert``.
Set ``ITC_DATABASE_URL`` to use any other PostgreSQL instead; nothing here is then started.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import hashlib
import importlib.metadata
import importlib.util
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from scripts import paths

LOCAL = paths.LOCAL / "pg"
SERVICE_DIR = Path(os.environ.get("ITC_PG_SERVICE_DIR", "/var/lib/itc-pg"))
SYSTEM_USER = "itcpg"
DEFAULT_PORTS = {"pgserver": 54329, "debian": 54339}
TLS_PORT = int(os.environ.get("ITC_PG_TLS_PORT", "54349"))
DATABASE = "itc"


class LocalPgError(RuntimeError):
    pass


@dataclass(frozen=True)
class Cluster:
    engine: str
    port: int
    tls: bool = False

    @property
    def root(self) -> Path:
        return base_dir() / (f"{self.engine}-tls" if self.tls else self.engine)

    @property
    def ca_file(self) -> Path:
        """The CA certificate clients verify the server with (TLS clusters)."""
        return self.root / "tls" / "ca.crt"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def dsn(self, dbname: str = DATABASE, user: str = "postgres") -> str:
        base = f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"
        return f"{base}?sslmode=verify-full&sslrootcert={self.ca_file}" if self.tls else base

    @property
    def bin_dir(self) -> Path:
        if self.engine == "pgserver":
            return _reachable_install(_pgserver_install()) / "bin"
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
        if not candidates:
            raise LocalPgError("Debian PostgreSQL is not installed: apt-get install -y postgresql")
        return Path(candidates[-1]).parent


def cluster(engine: str = "pgserver", port: int | None = None, tls: bool = False) -> Cluster:
    if engine not in DEFAULT_PORTS:
        raise LocalPgError(f"unknown engine {engine!r}: use pgserver or debian")
    if tls and engine != "debian":
        raise LocalPgError("--tls needs --engine debian (the pgserver build has no OpenSSL)")
    if tls:
        return Cluster(engine, port or TLS_PORT, tls=True)
    port = port or int(os.environ.get("ITC_PG_PORT", DEFAULT_PORTS[engine]))
    return Cluster(engine, port)


@dataclass(frozen=True)
class Account:
    """The system account PostgreSQL runs as when we are root: its own uid and primary group only."""

    name: str
    uid: int
    gid: int


def _run_as() -> Account | None:
    """Who runs PostgreSQL: ourselves (None), or the ``itcpg`` account when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        SYSTEM_USER], check=True)
        entry = pwd.getpwnam(SYSTEM_USER)
    return Account(entry.pw_name, entry.pw_uid, entry.pw_gid)


def reachable_by(path: Path, account: Account) -> bool:
    """Whether ``account`` (its uid and its one group, nothing else) may traverse every folder down to
    ``path``: the owner, group or other execute bit that applies to it, as the kernel decides."""
    for folder in [*reversed(path.parents), path]:
        st = folder.stat()
        if st.st_uid == account.uid:
            allowed = st.st_mode & 0o100
        elif st.st_gid == account.gid:
            allowed = st.st_mode & 0o010
        else:
            allowed = st.st_mode & 0o001
        if not allowed:
            return False
    return True


def _chown(path: Path, account: Account | None) -> None:
    if account:
        os.chown(path, account.uid, account.gid)


def base_dir() -> Path:
    """Where this checkout's clusters live: ``.local/pg`` when the service account can reach it, else a
    service-owned folder outside the checkout (no permission of the user's folders is changed)."""
    account = _run_as()
    if account is None or reachable_by(paths.REPO, account):
        return LOCAL
    checkout = hashlib.sha256(str(paths.REPO).encode()).hexdigest()[:12]
    return SERVICE_DIR / checkout


def _service_dir(path: Path) -> Path:
    """Create ``path`` (and SERVICE_DIR) traversable by everyone, writable by root only."""
    for folder in (SERVICE_DIR, path):
        folder.mkdir(mode=0o755, parents=True, exist_ok=True)
        folder.chmod(0o755)
    account = _run_as()
    if account and not reachable_by(path, account):
        raise LocalPgError(f"{SYSTEM_USER} cannot reach {path}: set ITC_PG_SERVICE_DIR to a folder whose "
                           "parents others may traverse (default /var/lib/itc-pg)")
    return path


def _pgserver_install() -> Path:
    spec = importlib.util.find_spec("pgserver")  # located, not imported (its import is slow and noisy)
    if spec is None or not spec.submodule_search_locations:
        raise LocalPgError("the pgserver package is not installed: run `make venv`")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


def _reachable_install(install: Path) -> Path:
    """The pgserver install itself, or (root, unreachable venv) a copy the service account can run.

    The wheel's binaries find their shared libraries through ``$ORIGIN/../../../pgserver.libs`` (the
    wheel's repaired-library folder beside the package), so the copy keeps that layout:
    ``<SERVICE_DIR>/pgserver-<version>/pgserver/pginstall`` beside ``…/pgserver.libs``."""
    account = _run_as()
    if account is None or reachable_by(install / "bin", account):
        return install
    version = importlib.metadata.version("pgserver")
    target = SERVICE_DIR / f"pgserver-{version}"
    copied = target / "pgserver" / "pginstall"
    if not (copied / "bin" / "postgres").exists():
        _service_dir(SERVICE_DIR)
        staging = Path(tempfile.mkdtemp(prefix=f".pgserver-{version}-", dir=SERVICE_DIR))
        shutil.copytree(install, staging / "pgserver" / "pginstall", symlinks=True)
        libs = install.parent.parent / "pgserver.libs"
        if libs.is_dir():
            shutil.copytree(libs, staging / "pgserver.libs", symlinks=True)
        for folder in (staging, staging / "pgserver"):
            folder.chmod(0o755)
        if target.exists():  # an incomplete or older copy
            shutil.rmtree(target)
        try:
            staging.rename(target)  # atomic: a concurrent start sees all or nothing
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not (copied / "bin" / "postgres").exists():
                raise
    return copied


def _pg(c: Cluster, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    account = _run_as()
    run_as: dict = {} if account is None else {"user": account.uid, "group": account.gid, "extra_groups": []}
    return subprocess.run([str(c.bin_dir / tool), *args], check=check, capture_output=True, text=True, cwd="/",
                          **run_as)


def is_running(c: Cluster) -> bool:
    if not (c.data / "PG_VERSION").exists():
        return False
    return _pg(c, "pg_ctl", "-D", str(c.data), "status", check=False).returncode == 0


def _openssl(*args: str, cwd: Path) -> None:
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LocalPgError(f"openssl {args[0]} failed: {result.stderr.strip()[-500:]}")


def make_certificates(directory: Path, *, common_name: str = "ITC local CA") -> Path:
    """A CA (``ca.crt``/``ca.key``) and a server certificate for 127.0.0.1 and localhost signed by it
    (``server.crt``/``server.key``), with the openssl CLI; returns the directory. Idempotent."""
    if shutil.which("openssl") is None:
        raise LocalPgError("the openssl command is needed for --tls: apt-get install -y openssl")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if (directory / "server.crt").exists() and (directory / "ca.crt").exists():
        return directory
    curve = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl("req", "-x509", *curve, "-days", "3650", "-subj", f"/CN={common_name}",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-keyout", "ca.key", "-out", "ca.crt", cwd=directory)
    _openssl("req", "-new", *curve, "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr",
             cwd=directory)
    (directory / "server.ext").write_text(
        "subjectAltName = IP:127.0.0.1, DNS:localhost\nbasicConstraints = CA:FALSE\n"
        "keyUsage = critical, digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth\n"
    )
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial",
             str(int.from_bytes(os.urandom(8), "big")), "-days", "825", "-extfile", "server.ext",
             "-out", "server.crt", cwd=directory)
    for name in ("ca.key", "server.key"):
        (directory / name).chmod(0o600)
    return directory


def _configure_tls(c: Cluster, account: Account | None) -> None:
    """ssl = on with the generated certificate; TCP logins only over TLS (like rds.force_ssl=1)."""
    tls_dir = make_certificates(c.root / "tls")
    for path in (tls_dir, *(tls_dir / name for name in ("server.crt", "server.key", "ca.crt"))):
        _chown(path, account)
    hba = c.data / "pg_hba.conf"
    hba.write_text(
        "# ITC local TLS cluster: TCP logins only over TLS; superuser trusted on loopback, others scram\n"
        "hostnossl all all 0.0.0.0/0 reject\n"
        "hostnossl all all ::/0 reject\n"
        "hostssl   all postgres 127.0.0.1/32 trust\n"
        "hostssl   all all 127.0.0.1/32 scram-sha-256\n"
    )
    with (c.data / "postgresql.conf").open("a") as conf:
        conf.write(f"\n# ITC TLS\nssl = on\nssl_cert_file = '{tls_dir / 'server.crt'}'\n"
                   f"ssl_key_file = '{tls_dir / 'server.key'}'\nssl_ca_file = '{tls_dir / 'ca.crt'}'\n"
                   "ssl_min_protocol_version = 'TLSv1.2'\n")
    _chown(hba, account)


def _initdb(c: Cluster, account: Account | None) -> None:
    if c.data.exists():
        shutil.rmtree(c.data)
    c.data.mkdir(mode=0o700)
    _chown(c.data, account)
    result = _pg(c, "initdb", "-D", str(c.data), "-U", "postgres", "--auth-local=trust",
                 "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C", check=False)
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
    for path in (hba, c.data / "postgresql.conf"):
        _chown(path, account)
    if c.tls:
        _configure_tls(c, account)


def start(engine: str = "pgserver", port: int | None = None, tls: bool = False) -> Cluster:
    """Initialise (once) and start the cluster; create the ``itc`` database. Idempotent."""
    c = cluster(engine, port, tls)
    account = _run_as()
    if base_dir() == LOCAL:
        c.root.mkdir(parents=True, exist_ok=True)
    else:
        _service_dir(c.root.parent)
        _service_dir(c.root)
    if not (c.data / "PG_VERSION").exists():
        _initdb(c, account)
    if not is_running(c):
        c.log.touch()
        _chown(c.log, account)
        result = _pg(c, "pg_ctl", "-D", str(c.data), "-l", str(c.log), "-w", "-t", "60",
                     "-o", f"-p {c.port}", "start", check=False)
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


def admin_dsn(dbname: str | None = None) -> str:
    """The DSN to administer the warehouse with: ``ITC_ADMIN_DATABASE_URL``, else ``ITC_DATABASE_URL``,
    else the embedded PostgreSQL's superuser (started if needed); with ``dbname``, that database on
    the same server (``postgres`` for creating throw-away databases)."""
    from scripts.stack.testdb import with_dbname

    url = os.environ.get("ITC_ADMIN_DATABASE_URL") or os.environ.get("ITC_DATABASE_URL")
    if not url:
        return start().dsn(dbname or DATABASE)
    return with_dbname(url, dbname) if dbname else url


def stop(engine: str = "pgserver", port: int | None = None, tls: bool = False) -> None:
    c = cluster(engine, port, tls)
    if is_running(c):
        _pg(c, "pg_ctl", "-D", str(c.data), "-m", "fast", "-w", "stop")


def remove() -> Path:
    """Stop every cluster of this checkout and delete their data (``make clean``); returns the folder."""
    for engine, tls in (("pgserver", False), ("debian", False), ("debian", True)):
        c = cluster(engine, tls=tls)
        with contextlib.suppress(LocalPgError, OSError):
            if (c.data / "PG_VERSION").exists():
                stop(engine, tls=tls)
    folder = base_dir()
    shutil.rmtree(folder, ignore_errors=True)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Embedded PostgreSQL for ITC (local runs and tests).")
    parser.add_argument("action", choices=["start", "stop", "status", "dsn", "remove"])
    parser.add_argument("--engine", choices=sorted(DEFAULT_PORTS), default=os.environ.get("ITC_PG_ENGINE", "pgserver"))
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--tls", action="store_true", help="TLS-only cluster (Debian engine): hostssl logins only")
    args = parser.parse_args(argv)
    try:
        if args.action == "start":
            c = start(args.engine, args.port, args.tls)
            print(c.dsn())
        elif args.action == "stop":
            stop(args.engine, args.port, args.tls)
            print("stopped")
        elif args.action == "status":
            c = cluster(args.engine, args.port, args.tls)
            print(f"{'running' if is_running(c) else 'stopped'}: {c.dsn()} (data {c.data})")
        elif args.action == "remove":
            print(f"removed {remove()}")
        else:
            print(cluster(args.engine, args.port, args.tls).dsn())
    except LocalPgError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
