"""The analysts' route, rehearsed locally (docs/access.md "Reaching the warehouse"): a BI tool's
SQLAlchemy engine reaches the TLS-only PostgreSQL through a local TCP forward, as it reaches RDS through
the Session Manager tunnel, and still verifies the server by name (sslmode=verify-full, libpq's
``host=<server name> hostaddr=127.0.0.1``), with the login and the connection `itc access grant` prints
for route ``ssm``. The forward is a plain TCP relay, like Session Manager's port forwarding: TLS is
between the client and PostgreSQL, end to end. The local server's certificate names ``localhost``
(scripts/stack/local_pg.py), so ``localhost`` stands for the RDS endpoint's name here.
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
import pytest
import sqlalchemy

from scripts.itc import access
from scripts.itc.access_route import load_route, start_session_command
from scripts.stack import local_pg
from tests.security.test_tls import pytestmark as tls_only
from tests.security.test_tls import tls_server  # noqa: F401  (the TLS-only server fixture, shared)
from tests.warehouse.test_metric_layer import (
    analysts_doc_queries,
    check_analysts_doc_answers,
    seed_analysts_doc_examples,
)

pytestmark = tls_only
SERVER_NAME = "localhost"  # the name in the local server certificate, standing for the RDS endpoint's
INSTANCE = "i-0123456789abcdef0"
DOCUMENT = "itc-test-warehouse-port-forward"


class Forward:
    """A TCP relay on 127.0.0.1:<free port> to ``target``: what Session Manager port forwarding is to a
    client (bytes in, bytes out, no TLS of its own). Counts the connections it relayed."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            upstream = socket.create_connection(self.target)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._listener.close()


@pytest.fixture
def forward() -> Iterator[Forward]:
    relay = Forward(("127.0.0.1", local_pg.TLS_PORT))
    yield relay
    relay.close()


@pytest.fixture
def granted(tls_server, forward, monkeypatch, capsys) -> Iterator[dict[str, str]]:  # noqa: F811
    """`itc access grant` for route ssm against the TLS server, its printed lines parsed; revoked after."""
    monkeypatch.setenv("ITC_ADMIN_DATABASE_URL", local_pg.cluster("debian", tls=True).dsn(tls_server.dbname))
    for name, value in {"ITC_ANALYST_ROUTE": "ssm", "ITC_ANALYST_SSM_TARGET": INSTANCE,
                        "ITC_ANALYST_SSM_DOCUMENT": DOCUMENT, "ITC_ANALYST_DB_HOST": SERVER_NAME,
                        "ITC_ANALYST_LOCAL_PORT": str(forward.port)}.items():
        monkeypatch.setenv(name, value)
    name = f"bi_{uuid.uuid4().hex[:8]}"
    assert access.main(["grant", name, "--granted-by", "Dana", "--reason", "JIRA-7 BI tunnel", "--days", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()

    def field(label: str) -> str:
        return next(x for x in lines if x.startswith(label)).split(":", 1)[1].strip()

    try:
        yield {"name": name, "password": lines[1], "out": "\n".join(lines), "uri": field("  URI:"),
               "keywords": field("  key=value:")}
    finally:
        assert access.main(["revoke", name, "--revoked-by", "Dana", "--reason", "test over"]) == 0


def sqlalchemy_url(libpq_uri: str, password: str) -> str:
    """The printed libpq URI as a SQLAlchemy URL (what Superset and other BI tools take), password added."""
    parts = urlsplit(libpq_uri)
    netloc = f"{parts.username}:{quote(password, safe='')}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(scheme="postgresql+psycopg2", netloc=netloc))


def test_grant_for_route_ssm_prints_the_tunnel_and_a_verify_full_connection(granted, forward, tls_server):  # noqa: F811
    """GIVEN route ssm (instance, document, local port, the server's name) in the environment
    WHEN `itc access grant` runs
    THEN it prints the exact start-session command, then a connection to the server's name with
    hostaddr=127.0.0.1 on the tunnel's port, sslmode=verify-full and the CA, and the hosts-file line."""
    out = granted["out"]
    assert (f"aws ssm start-session --target {INSTANCE} --document-name {DOCUMENT} "
            f"--parameters localPortNumber={forward.port}") in out
    ca = tls_server.ca_file
    assert granted["keywords"] == (f"host={SERVER_NAME} hostaddr=127.0.0.1 port={forward.port} "
                                   f"dbname={tls_server.dbname} user={granted['name']} sslmode=verify-full "
                                   f"sslrootcert={ca}")
    assert granted["uri"] == (f"postgresql://{granted['name']}@{SERVER_NAME}:{forward.port}/{tls_server.dbname}"
                              f"?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert={quote(str(ca))}")
    assert f"`127.0.0.1 {SERVER_NAME}`" in out
    assert out.count(granted["password"]) == 1


def test_a_sqlalchemy_engine_through_the_tunnel_runs_the_analysts_doc_queries(granted, forward, tls_server):  # noqa: F811
    """GIVEN the warehouse holding the analysts' doc examples, a granted analyst and a local TCP forward
    WHEN a SQLAlchemy engine connects with the printed URI (through the forward, verify-full) and runs every
    query of docs/analysts.md in a UTC session
    THEN each gives the documented answer, over TLS, as the analyst, through the forward; raw is refused."""
    admin = psycopg2.connect(local_pg.cluster("debian", tls=True).dsn(tls_server.dbname))
    try:
        seed_analysts_doc_examples(admin)
    finally:
        admin.close()
    url = sqlalchemy_url(granted["uri"], granted["password"])
    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SET TimeZone = 'UTC'")
            who = conn.exec_driver_sql(
                "SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").one()
            answers = {name: [tuple(r) for r in conn.execute(sqlalchemy.text(query))]
                       for name, query in analysts_doc_queries().items()}
            conn.rollback()
            with pytest.raises(sqlalchemy.exc.ProgrammingError, match="permission denied"):
                conn.exec_driver_sql("SELECT count(*) FROM raw.cases")
    finally:
        engine.dispose()
    assert tuple(who) == (granted["name"], True)
    assert forward.connections >= 1
    check_analysts_doc_answers(answers)


def test_through_the_tunnel_a_server_name_that_the_certificate_lacks_is_refused(granted, forward):
    """GIVEN the same forward and login
    WHEN the client names another server (warehouse.example.invalid) with hostaddr=127.0.0.1
    THEN verify-full refuses the certificate: the tunnel does not turn name checking off."""
    keywords = granted["keywords"].replace(f"host={SERVER_NAME} ", "host=warehouse.example.invalid ")
    with pytest.raises(psycopg2.OperationalError, match="does not match host name"):
        psycopg2.connect(keywords, password=granted["password"])
    assert forward.connections >= 1


@pytest.mark.parametrize("settings,message", [
    ({"ITC_ANALYST_ROUTE": "ssm"}, "route ssm needs ITC_ANALYST_SSM_TARGET and ITC_ANALYST_SSM_DOCUMENT"),
    ({"ITC_ANALYST_ROUTE": "ssm", "ITC_ANALYST_SSM_TARGET": "bastion", "ITC_ANALYST_SSM_DOCUMENT": DOCUMENT},
     "ITC_ANALYST_SSM_TARGET must be an EC2 instance id"),
    ({"ITC_ANALYST_ROUTE": "vpn"}, "ITC_ANALYST_ROUTE must be one of ssm, client_vpn, direct"),
    ({"ITC_ANALYST_ROUTE": "ssm", "ITC_ANALYST_SSM_TARGET": INSTANCE, "ITC_ANALYST_SSM_DOCUMENT": DOCUMENT,
      "ITC_ANALYST_LOCAL_PORT": "80"}, "ITC_ANALYST_LOCAL_PORT must be a port between 1024 and 65535"),
])
def test_a_bad_route_setting_is_a_usage_error_before_any_connection(settings, message, monkeypatch, capsys):
    """GIVEN a route setting that is missing or malformed, and an admin URL no connection could reach
    WHEN `itc access grant` runs
    THEN it exits 2 with one error line naming the variable, before connecting (else it would exit 1)."""
    monkeypatch.setenv("ITC_ADMIN_DATABASE_URL", "postgresql://admin@warehouse.example.invalid/itc?sslmode=verify-full")
    for name in ("ITC_ANALYST_SSM_TARGET", "ITC_ANALYST_SSM_DOCUMENT", "ITC_ANALYST_LOCAL_PORT",
                 "ITC_ANALYST_DB_HOST"):
        monkeypatch.delenv(name, raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    assert access.main(["grant", "jdoe", "--granted-by", "Dana", "--reason", "JIRA-8"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_the_start_session_command_takes_the_region_from_the_rds_name():
    """GIVEN route ssm and an RDS endpoint in eu-west-2 WHEN the tunnel command is built
    THEN it is the exact aws ssm start-session call with that region, target, document and local port."""
    route = load_route(env={"ITC_ANALYST_ROUTE": "ssm", "ITC_ANALYST_SSM_TARGET": INSTANCE,
                            "ITC_ANALYST_SSM_DOCUMENT": DOCUMENT, "ITC_ANALYST_LOCAL_PORT": "25432"})
    assert start_session_command(route, "itc-beta.abc123.eu-west-2.rds.amazonaws.com") == (
        f"aws ssm start-session --region eu-west-2 --target {INSTANCE} --document-name {DOCUMENT} "
        "--parameters localPortNumber=25432")
