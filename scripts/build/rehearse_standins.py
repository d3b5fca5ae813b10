"""The stand-ins `make rehearse` runs the deployed artefacts against (scripts/build/rehearse.py): the warehouse,
PostgreSQL over TLS only with a certificate for the RDS name, and the Quickbase simulator over TLS with a
certificate for the API host, both issued by the generated stand-in CA the rehearsal build ships in the layer.
"""

from __future__ import annotations

import shutil
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from scripts.build.standin_ca import StandinCA

QB_API_HOST = "api.quickbase.com"


class RehearsalFailed(RuntimeError):
    """A step of the rehearsal failed; the message names it and its cause."""


# ------------------------------------------------------------------------------------------ warehouse
class Warehouse:
    """The RDS stand-in: Debian PostgreSQL, TLS only (like rds.force_ssl=1), its certificate for the RDS name."""

    def __init__(self, root: Path, port: int, rds_name: str, tls: StandinCA) -> None:
        from scripts.stack import local_pg

        self.local_pg = local_pg
        self.root, self.port, self.rds_name, self.tls = root, port, rds_name, tls
        self.cluster = local_pg.Cluster("debian", port, tls=True)
        self.account = local_pg._run_as()

    @property
    def data(self) -> Path:
        return self.root / "data"

    def admin_dsn(self, dbname: str = "itc") -> str:
        """The rehearsal's own administration login (not a deployed one): verify-full, the RDS name via hostaddr."""
        return (f"host={self.rds_name} hostaddr=127.0.0.1 port={self.port} dbname={dbname} user=postgres "
                f"sslmode=verify-full sslrootcert={self.tls.ca_cert}")

    def start(self, master: str) -> None:
        lp = self.local_pg
        if self.root.exists():
            self.stop()
            shutil.rmtree(self.root)
        if lp.base_dir() == lp.LOCAL:
            self.root.mkdir(parents=True)
        else:
            lp._service_dir(self.root)
        certs = self.root / "tls"
        certs.mkdir(mode=0o700)
        for source in (self.tls.server_cert, self.tls.server_key):
            assert source is not None
            shutil.copy2(source, certs / source.name)
        self.data.mkdir(mode=0o700)
        for path in (self.root, certs, *certs.iterdir(), self.data):
            lp._chown(path, self.account)
        result = lp._pg(self.cluster, "initdb", "-D", str(self.data), "-U", "postgres", "--auth-local=trust",
                        "--auth-host=reject", "--encoding=UTF8", "--locale=C", check=False)
        if result.returncode:
            raise RehearsalFailed(f"initdb failed: {result.stderr.strip()[-400:]}")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\ntimezone = 'UTC'\n"
                       f"ssl = on\nssl_cert_file = '{certs / 'server.pem'}'\nssl_key_file = '{certs / 'server.key'}'\n"
                       "ssl_min_protocol_version = 'TLSv1.2'\n")
        self.write_hba(master, [])
        log = self.root / "server.log"
        log.touch()
        lp._chown(log, self.account)
        result = lp._pg(self.cluster, "pg_ctl", "-D", str(self.data), "-l", str(log), "-w", "-t", "60",
                        "-o", f"-p {self.port}", "start", check=False)
        if result.returncode:
            raise RehearsalFailed(f"the warehouse stand-in did not start: {log.read_text()[-800:]}")
        import psycopg2
        from psycopg2 import sql

        conn = psycopg2.connect(self.admin_dsn("postgres"))
        conn.autocommit = True
        with conn.cursor() as cur:
            # what RDS creates with the instance: the master login (rds_superuser there) and the database
            cur.execute(sql.SQL("CREATE ROLE {} LOGIN SUPERUSER").format(sql.Identifier(master)))
            cur.execute("CREATE ROLE rds_iam NOLOGIN")
            cur.execute(sql.SQL("CREATE DATABASE itc OWNER {}").format(sql.Identifier(master)))
        conn.close()

    def write_hba(self, master: str, iam_logins: list[str]) -> None:
        """TLS only; the master by password (scram); the IAM-auth logins trusted (the IAM auth stand-in)."""
        lines = ["hostnossl all all 0.0.0.0/0 reject", "hostssl all postgres 127.0.0.1/32 trust",
                 f"hostssl itc {master} 127.0.0.1/32 scram-sha-256"]
        lines += [f"hostssl itc {login} 127.0.0.1/32 trust" for login in iam_logins]
        lines += ["hostssl all all 127.0.0.1/32 scram-sha-256"]
        hba = self.data / "pg_hba.conf"
        hba.write_text("\n".join(lines) + "\n")
        self.local_pg._chown(hba, self.account)
        if (self.data / "postmaster.pid").exists():
            self.local_pg._pg(self.cluster, "pg_ctl", "-D", str(self.data), "reload")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.local_pg._pg(self.cluster, "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)


# ------------------------------------------------------------------------------------------ quickbase
def start_quickbase(dataset: Any, tls: StandinCA, *, token: str, realm: str, table_id: str, report_id: str) -> Any:
    """The Quickbase simulator (scripts/stack/quickbase_simulator.py) serving HTTPS with the API host's certificate."""
    import ssl

    from scripts.stack import quickbase_simulator as qs

    sim = qs.QuickbaseSimulator(dataset, token=token, realm=realm, table_id=table_id, report_id=report_id)

    class Handler(qs._Handler):
        pass

    Handler.sim = sim
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    assert tls.server_cert is not None and tls.server_key is not None
    context.load_cert_chain(tls.server_cert, tls.server_key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    sim._server = server
    sim._thread = threading.Thread(target=server.serve_forever, name="quickbase-simulator", daemon=True)
    sim._thread.start()
    return sim


# ------------------------------------------------------------------------------------------ AWS calls
