"""The local stack of ``itc demo`` / ``itc stack up``: stand-ins for everything ITC talks to.

- the embedded PostgreSQL 16 (:mod:`scripts.stack.local_pg`), port 54329;
- a moto server (AWS emulator: S3 landing bucket, the Exchange DynamoDB tables, the KMS HMAC key that
  signs landing manifests), port 54330;
- the Quickbase API simulator (:mod:`scripts.stack.quickbase_simulator`), port 54331.

Each background service runs in its own process group on 127.0.0.1; its pid and port are kept in
``.local/stack/state.json`` so ``itc stack down`` stops exactly the processes it started.
:func:`stack_env` gives the environment variables (docs/CONTRACTS.md) that point ITC at the stack.
Ports can be moved with ``ITC_MOTO_PORT`` / ``ITC_QB_PORT`` / ``ITC_PG_PORT``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from itc_common_utilities.loader.approval import APPROVAL_KEY_ENV
from itc_common_utilities.signature import LOCAL_APPROVAL_KEY_ALIAS
from itc_common_utilities.signature import ensure_local_keys as create_local_keys
from scripts.paths import LOCAL, REPO
from scripts.stack.service_logins import set_service_passwords

STACK_DIR = LOCAL / "stack"
STATE_FILE = STACK_DIR / "state.json"
SOURCES_FILE = STACK_DIR / "sources.json"  # what the demo seeded the stand-ins with; kept by `stack down`
HOST = "127.0.0.1"
DEFAULT_MOTO_PORT = 54330
DEFAULT_QB_PORT = 54331

# Fixed, non-secret values of the local stand-ins (moto accepts any credentials; the simulator
# accepts this token). They are what a developer's emulator expects, never real credentials.
LOCAL_REGION = "us-east-1"
LOCAL_BUCKET = "itc-local-landing"
LOCAL_EXCHANGE_ENV = "local"
LOCAL_QB_REALM = "itc-local.quickbase.com"
LOCAL_QB_TABLE_ID = "bq7vrfy2x"
LOCAL_QB_REPORT_ID = "12"
LOCAL_QB_TOKEN = "local-simulator-token"  # noqa: S105 - the simulator's fixed local token, not a secret


class StackError(RuntimeError):
    """A local service could not be started or reached; the message says which and why."""


@dataclass
class Service:
    name: str
    port: int
    pid: int | None = None
    log: str | None = None
    argv: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


@dataclass
class StackState:
    services: dict[str, Service] = field(default_factory=dict)
    database_url: str | None = None

    def to_json(self) -> str:
        return json.dumps({"database_url": self.database_url,
                           "services": {k: asdict(v) for k, v in self.services.items()}}, indent=2)

    @classmethod
    def load(cls) -> StackState:
        if not STATE_FILE.exists():
            return cls()
        try:
            body = json.loads(STATE_FILE.read_text())
            services = {k: Service(**v) for k, v in body.get("services", {}).items()}
        except (ValueError, TypeError) as exc:
            raise StackError(f"{STATE_FILE} is not readable ({exc}); delete it and run `itc stack up`") from None
        return cls(services=services, database_url=body.get("database_url"))

    def save(self) -> None:
        STACK_DIR.mkdir(parents=True, exist_ok=True)
        STATE_FILE.write_text(self.to_json())


def port_open(port: int, host: str = HOST, timeout: float = 0.3) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_for_port(service: Service, proc: subprocess.Popen, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if port_open(service.port):
            return
        if proc.poll() is not None:
            tail = Path(service.log).read_text(errors="replace")[-800:] if service.log else ""
            raise StackError(f"{service.name} exited with code {proc.returncode} while starting:\n{tail}")
        time.sleep(0.1)
    raise StackError(f"{service.name} did not open port {service.port} within {timeout_s:.0f}s (log: {service.log})")


def _wait_port_free(port: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while port_open(port) and time.monotonic() < deadline:
        time.sleep(0.1)


def _start_process(name: str, port: int, argv: list[str]) -> Service:
    STACK_DIR.mkdir(parents=True, exist_ok=True)
    log = STACK_DIR / f"{name}.log"
    service = Service(name=name, port=port, log=str(log), argv=argv)
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=str(REPO), start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    service.pid = proc.pid
    _wait_for_port(service, proc)
    return service


def _ensure(state: StackState, name: str, port: int, argv: list[str]) -> Service:
    """Reuse the recorded service when its process is alive and its port answers; else start it."""
    known = state.services.get(name)
    if known and known.port == port and pid_alive(known.pid) and port_open(port):
        if known.argv == argv:
            return known
        _stop_process(known)  # same service, other data or options: restart it
        _wait_port_free(port)
    if port_open(port):
        raise StackError(f"port {port} on {HOST} is taken by another program; free it or set "
                         f"ITC_{name.upper().replace('-', '_')}_PORT to another port")
    service = _start_process(name, port, argv)
    state.services[name] = service
    state.save()
    return service


def moto_port() -> int:
    return int(os.environ.get("ITC_MOTO_PORT", DEFAULT_MOTO_PORT))


def qb_port() -> int:
    return int(os.environ.get("ITC_QB_PORT", DEFAULT_QB_PORT))


def simulator_available() -> bool:
    return importlib.util.find_spec("scripts.stack.quickbase_simulator") is not None


@dataclass(frozen=True)
class SimulatorData:
    """What the Quickbase simulator process serves (it generates its synthetic Verify+ report itself)."""

    records: int = 250
    seed: int = 7
    start_month: str = "2026-08"
    months: int = 3
    firms: int = 12


def simulator_argv(port: int, data: SimulatorData) -> list[str]:
    return [sys.executable, "-m", "scripts.stack.quickbase_simulator", "--host", HOST, "--port", str(port),
            "--realm", LOCAL_QB_REALM, "--table-id", LOCAL_QB_TABLE_ID, "--report-id", LOCAL_QB_REPORT_ID,
            "--token", LOCAL_QB_TOKEN, "--records", str(data.records), "--seed", str(data.seed),
            "--start-month", data.start_month, "--months", str(data.months), "--firms", str(data.firms)]


@dataclass(frozen=True)
class SourceSeed:
    """What the stand-ins' sources were filled with (``itc demo``): moto keeps no state and the simulator
    generates its report at start, so a restarted stack is filled again from this record."""

    demands: int
    seed: int
    simulator: SimulatorData

    def save(self) -> None:
        STACK_DIR.mkdir(parents=True, exist_ok=True)
        SOURCES_FILE.write_text(json.dumps({"demands": self.demands, "seed": self.seed,
                                            "simulator": asdict(self.simulator)}, indent=2))

    @classmethod
    def load(cls) -> SourceSeed | None:
        """The recorded seed, or None when no demo ever seeded this checkout's stack (or the record is unreadable)."""
        try:
            body = json.loads(SOURCES_FILE.read_text())
            return cls(demands=int(body["demands"]), seed=int(body["seed"]),
                       simulator=SimulatorData(**body["simulator"]))
        except (OSError, ValueError, TypeError, KeyError):
            return None


def ensure_local_bucket(moto_url: str) -> str:
    """The landing bucket in the moto server at ``moto_url``: created when missing (moto forgets it when it
    restarts, and `itc run` would then fail with NoSuchBucket); returns its name."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_url, region_name=LOCAL_REGION, aws_access_key_id="testing",
                      aws_secret_access_key="testing")  # noqa: S106 - moto's fixed local credentials
    if LOCAL_BUCKET not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=LOCAL_BUCKET)
    return LOCAL_BUCKET


def up(*, database: bool = True, moto: bool = True, simulator: bool = True,
       simulator_data: SimulatorData | None = None) -> StackState:
    """Start (or reuse) the stack's services; idempotent. Returns the recorded state. A restarted moto gets
    the landing bucket and the manifest key back; a simulator started without ``simulator_data`` serves
    what the last demo recorded (:class:`SourceSeed`), else the default dataset."""
    state = StackState.load()
    if database:
        from scripts.stack import local_pg

        try:
            state.database_url = local_pg.start().dsn()
        except (local_pg.LocalPgError, OSError, subprocess.CalledProcessError) as exc:
            raise StackError(f"embedded PostgreSQL did not start: {exc}") from None
        set_service_passwords(state.database_url)  # once here (and after migrations), never per call
        state.save()
    if moto:
        _ensure(state, "moto", moto_port(),
                [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(moto_port())])
        ensure_local_keys(state.services["moto"].url)
        ensure_local_bucket(state.services["moto"].url)
    if simulator:
        if not simulator_available():
            raise StackError("the Quickbase simulator (scripts/stack/quickbase_simulator.py) is not in this checkout")
        known = state.services.get("quickbase")
        if simulator_data is None and known and pid_alive(known.pid) and port_open(known.port):
            pass  # keep whatever data the running simulator serves
        else:
            recorded = SourceSeed.load()
            data = simulator_data or (recorded.simulator if recorded else SimulatorData())
            _ensure(state, "quickbase", qb_port(), simulator_argv(qb_port(), data))
    return state


def _stop_process(service: Service, timeout_s: float = 10.0) -> bool:
    if not pid_alive(service.pid):
        return False
    assert service.pid is not None
    with contextlib.suppress(ProcessLookupError):
        os.killpg(service.pid, signal.SIGTERM)  # its own session: the group is the service and its children
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and pid_alive(service.pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(service.pid, os.WNOHANG)
        time.sleep(0.1)
    if pid_alive(service.pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(service.pid, signal.SIGKILL)
    return True


def down(*, database: bool = True) -> list[str]:
    """Stop the services this stack started (by recorded pid) and the embedded database."""
    state = StackState.load()
    stopped = [name for name, service in state.services.items() if _stop_process(service)]
    if database:
        from scripts.stack import local_pg

        c = local_pg.cluster()
        if local_pg.is_running(c):
            local_pg.stop()
            stopped.append("postgres")
    if STATE_FILE.exists():
        STATE_FILE.unlink()
    return stopped


def stack_env(state: StackState) -> dict[str, str]:
    """The environment (docs/CONTRACTS.md names) that points ITC at this local stack."""
    env = {
        "ITC_ENV": "local",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": LOCAL_REGION,
        "AWS_REGION": LOCAL_REGION,
        "ITC_LANDING_BUCKET": LOCAL_BUCKET,
        "ITC_EXCHANGE_ENV": LOCAL_EXCHANGE_ENV,
        "ITC_EXCHANGE_REGION": LOCAL_REGION,
        "ITC_QB_REALM": LOCAL_QB_REALM,
        "ITC_QB_TABLE_ID": LOCAL_QB_TABLE_ID,
        "ITC_QB_REPORT_ID": LOCAL_QB_REPORT_ID,
        "ITC_QB_TOKEN": LOCAL_QB_TOKEN,
        "ITC_DB_SSLMODE": "prefer",
        # the force approvals' key, created in moto by ensure_local_keys; each source's manifest key
        # (ITC_MANIFEST_MAC_KEY_ID) is given to its pipeline's handler for the call by itc (scripts/itc/jobs.py)
        APPROVAL_KEY_ENV: LOCAL_APPROVAL_KEY_ALIAS,
    }
    if state.database_url:
        # the embedded cluster's superuser: migrations and `itc access` use it; the pipelines' handlers
        # are run as their own service logins (itc_loader_demand / _verifyplus, itc_refresher) by itc_jobs
        env["ITC_DATABASE_URL"] = state.database_url
        env["ITC_ADMIN_DATABASE_URL"] = state.database_url
    if "moto" in state.services:
        env["AWS_ENDPOINT_URL"] = state.services["moto"].url
    if "quickbase" in state.services:
        env["ITC_QB_BASE_URL"] = state.services["quickbase"].url
    return env


def ensure_local_keys(moto_url: str) -> dict[str, str]:
    """The HMAC keys of the local stack in the moto server at ``moto_url``: each source's manifest key
    (``ITC_MANIFEST_MAC_KEY_ID``) and the force approvals' (``ITC_FORCE_APPROVAL_KEY_ID``), created when
    missing (moto forgets them when it restarts); returns their aliases by name (demand, verifyplus, approval)."""
    import boto3

    kms = boto3.client("kms", endpoint_url=moto_url, region_name=LOCAL_REGION, aws_access_key_id="testing",
                       aws_secret_access_key="testing")  # noqa: S106 - moto's fixed local credentials
    return create_local_keys(kms)


def running_state() -> StackState | None:
    """The recorded stack when its services are still up, else None (used to fill in defaults)."""
    state = StackState.load()
    alive = {k: s for k, s in state.services.items() if pid_alive(s.pid) and port_open(s.port)}
    if not alive and not state.database_url:
        return None
    state.services = alive
    return state


@contextlib.contextmanager
def threaded_moto() -> Iterator[str]:
    """An in-process moto server on a free port, for tests; yields its URL.

    moto keeps its state per process, not per server: the state is reset on the way in and out,
    so one test's buckets and tables never show up in the next one's server.
    """
    import requests
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one INFO line per request otherwise
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    url = f"http://{HOST}:{port}"

    def reset() -> None:
        requests.post(f"{url}/moto-api/reset", timeout=10).raise_for_status()

    reset()
    ensure_local_keys(url)
    try:
        yield url
    finally:
        reset()
        server.stop()
