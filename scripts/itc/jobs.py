"""The steps of an ITC run, called the way the state machines call the Lambdas.

Every step goes through a Lambda handler (``demand_pipeline.main.handler``,
``verifyplus_pipeline.main.handler``, ``orchestrator.main.handler``) with the event its state
machine would pass, so a local run exercises exactly the deployed code paths:

- ingest: ``{"mode": "extract", "run_id": ...}`` to each pipeline (the ingest state machine);
- load: the EventBridge "Object Created" event of each *new* ``_manifest.json`` in the landing
  bucket, then ``{"mode": "refresh"}`` and ``{"mode": "quality"}`` (the load state machine).

A manifest is new when no succeeded ``ops.load_runs`` row has its key. The handlers read their
settings from the environment (docs/CONTRACTS.md), which the caller prepares.
"""

from __future__ import annotations

import csv
import importlib
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg2.extensions

from itc_common_utilities.manifest import MANIFEST_NAME, SOURCES
from itc_common_utilities.signature import LOCAL_MAC_KEY_ALIASES, MAC_KEY_ENV
from scripts.itc.errors import ItcError, MissingPieceError, first_line
from scripts.paths import LOG_DIR
from scripts.stack.service_logins import local_login_dsn

HANDLERS = {
    "demand": ("demand_pipeline.main", "terraform_modules/demand_pipeline/lambdas/demand_pipeline/main.py"),
    "verifyplus": ("verifyplus_pipeline.main",
                   "terraform_modules/verifyplus_pipeline/lambdas/verifyplus_pipeline/main.py"),
    "orchestrator": ("orchestrator.main", "terraform_modules/orchestrator/lambdas/orchestrator/main.py"),
}


LAMBDA_LOG = LOG_DIR / "lambdas.log"


@contextmanager
def lambda_output(path: Path = LAMBDA_LOG) -> Iterator[Path]:
    """Send what the handlers write to stdout (JSON log lines, embedded-metric lines) to ``path``.

    In Lambda those lines go to CloudWatch; in a terminal they would bury the summary. Every
    ``logging.StreamHandler`` (Powertools' loggers hold their own stream) is pointed at the file for
    the duration, and ``print`` output with it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        swapped: list[tuple[logging.StreamHandler, Any]] = []
        loggers = [logging.getLogger()] + [lg for lg in logging.root.manager.loggerDict.values()
                                           if isinstance(lg, logging.Logger)]
        for lg in loggers:
            for h in lg.handlers:
                if type(h) is logging.StreamHandler:
                    # swapped directly, not with setStream(): that flushes the old stream, which may
                    # be closed already (e.g. an earlier test's captured stdout)
                    h.acquire()
                    try:
                        swapped.append((h, h.stream))
                        h.stream = log
                    finally:
                        h.release()
        try:
            with redirect_stdout(log):
                yield path
        finally:
            for h, stream in swapped:
                h.acquire()
                try:
                    h.stream = stream
                finally:
                    h.release()


def handler(component: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda handler of ``component``, wrapped so its stdout goes to the Lambda log file."""
    module_name, path = HANDLERS[component]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise MissingPieceError(f"the {component} Lambda ({path}) is not in this checkout") from None
        raise

    def call(event: dict[str, Any], context: Any) -> dict[str, Any]:
        with lambda_output(), step(f"{component} {event.get('mode', '')}".strip()), \
                service_login(component, event.get("mode")), source_mac_key(component):
            return module.handler(event, context)

    return call


# what each Lambda logs in as (docs/design.md §6: pipelines never connect as the owner or master user)
# each source loads as its own login (ops.apply_loader_login_grants): DML on its own raw tables and ops rows only
SERVICE_LOGINS = {"demand": "itc_loader_demand", "verifyplus": "itc_loader_verifyplus", "orchestrator": "itc_refresher"}


@contextmanager
def service_login(component: str, mode: str | None) -> Iterator[None]:
    """Run a handler as its service login, as in AWS, when an admin DSN is known (the local stack).

    With ``ITC_ADMIN_DATABASE_URL`` set (the local stack sets it to the embedded superuser), the
    handler's ``ITC_DATABASE_URL`` is, for the call, a DSN of the source's loader login (loads) or
    ``itc_refresher`` (refresh, quality); migrations keep the admin DSN. Otherwise nothing changes.
    """
    admin = os.environ.get("ITC_ADMIN_DATABASE_URL")
    if not admin or mode in ("extract", "migrate") or component not in SERVICE_LOGINS:
        yield
        return
    previous = os.environ.get("ITC_DATABASE_URL")
    os.environ["ITC_DATABASE_URL"] = local_login_dsn(admin, SERVICE_LOGINS[component])
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("ITC_DATABASE_URL", None)
        else:
            os.environ["ITC_DATABASE_URL"] = previous


@contextmanager
def source_mac_key(component: str) -> Iterator[None]:
    """On the local stack (``ITC_ENV=local``), give a pipeline's handler its own source's manifest key
    (``ITC_MANIFEST_MAC_KEY_ID`` = ``LOCAL_MAC_KEY_ALIASES[source]``) for the call, as each function has its
    own in AWS: a manifest signed with one source's key is refused by the other's load. Otherwise nothing
    changes."""
    alias = LOCAL_MAC_KEY_ALIASES.get(component)
    if alias is None or os.environ.get("ITC_ENV", "local") != "local":
        yield
        return
    previous = os.environ.get(MAC_KEY_ENV)
    os.environ[MAC_KEY_ENV] = alias
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(MAC_KEY_ENV, None)
        else:
            os.environ[MAC_KEY_ENV] = previous


@contextmanager
def step(name: str) -> Iterator[None]:
    """Name the step in an error from a handler (``extract demand: ...``); adds a hint for a missing bucket."""
    import botocore.exceptions

    try:
        yield
    except botocore.exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") == "NoSuchBucket":
            bucket = error.get("BucketName") or os.environ.get("ITC_LANDING_BUCKET", "?")
            raise ItcError(f"{name}: the landing bucket {bucket!r} does not exist (ITC_LANDING_BUCKET)") from exc
        raise ItcError(f"{name}: {first_line(exc)}") from exc
    except (botocore.exceptions.BotoCoreError, OSError) as exc:
        raise ItcError(f"{name}: {first_line(exc)}") from exc
    except Exception as exc:
        # the handlers' own errors (TerminalError, TransientError, SettingsError, ...) keep their type,
        # so the CLI's error handling and the tests still see them; only the step name is added
        if exc.args and isinstance(exc.args[0], str) and not exc.args[0].startswith(name):
            exc.args = (f"{name}: {exc.args[0]}", *exc.args[1:])
        raise


def new_run_id(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")


# --------------------------------------------------------------------------------------- ingest

def extract(source: str, run_id: str) -> dict[str, Any]:
    """One extract, as the ingest state machine's branch for ``source`` runs it."""
    return handler(source)({"mode": "extract", "run_id": run_id}, None)


# ----------------------------------------------------------------------------------------- load

@dataclass(frozen=True)
class ManifestObject:
    bucket: str
    key: str
    last_modified: datetime
    version_id: str | None = None

    @property
    def source(self) -> str:
        return self.key.split("/", 1)[0]

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def list_manifests(s3: Any, bucket: str, sources: tuple[str, ...] = SOURCES) -> list[ManifestObject]:
    """Every ``_manifest.json`` of ``sources`` in the landing bucket, oldest first."""
    found: list[ManifestObject] = []
    paginator = s3.get_paginator("list_objects_v2")
    for source in sources:
        for page in paginator.paginate(Bucket=bucket, Prefix=f"{source}/"):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith("/" + MANIFEST_NAME):
                    found.append(ManifestObject(bucket, obj["Key"], obj["LastModified"]))
    return sorted(found, key=lambda m: (m.last_modified, m.key))


def loaded_manifest_keys(conn: psycopg2.extensions.connection, bucket: str, *,
                         statuses: tuple[str, ...] = ("succeeded",)) -> set[str]:
    with conn.cursor() as cur:
        cur.execute("SELECT manifest_key FROM ops.load_runs WHERE status = ANY(%s) AND manifest_bucket = %s",
                    (list(statuses), bucket))
        keys = {row[0] for row in cur.fetchall()}
    conn.rollback()
    return keys


def latest_extracted_at(conn: psycopg2.extensions.connection) -> dict[str, datetime]:
    """Per source, the extraction time of the snapshot the warehouse holds (ops.latest_loads)."""
    with conn.cursor() as cur:
        cur.execute("SELECT source, extracted_at FROM ops.latest_loads WHERE extracted_at IS NOT NULL")
        latest = dict(cur.fetchall())
    conn.rollback()
    return latest


def new_manifests(s3: Any, conn: psycopg2.extensions.connection, bucket: str,
                  sources: tuple[str, ...] = SOURCES) -> list[ManifestObject]:
    """The manifests to load: never loaded nor refused by a load guard, and written after the snapshot
    the warehouse holds was extracted. A refused snapshot, or one older than what the warehouse holds
    (the ordering guard would refuse it), would only be refused again on every run: only a forced
    ``itc replay`` loads it. A load that failed for another reason (the database was down) is retried."""
    done = loaded_manifest_keys(conn, bucket, statuses=("succeeded", "refused"))
    latest = latest_extracted_at(conn)
    return [m for m in list_manifests(s3, bucket, sources)
            if m.key not in done and (m.source not in latest or m.last_modified > latest[m.source])]


def object_created_event(manifest: ManifestObject) -> dict[str, Any]:
    """The EventBridge event S3 sends when a manifest is written (what the load state machine gets)."""
    return {
        "version": "0",
        "id": f"itc-local-{manifest.key}",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "time": manifest.last_modified.isoformat(),
        "resources": [f"arn:aws:s3:::{manifest.bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": manifest.bucket},
            "object": {"key": manifest.key, **({"version-id": manifest.version_id} if manifest.version_id else {})},
            "reason": "PutObject",
        },
    }


def load(manifest: ManifestObject, *, approval: dict[str, Any] | None = None) -> dict[str, Any]:
    """The load state machine's Load task: the source's pipeline, mode load, on the manifest's event.

    ``approval`` (made by ``itc approve-force``) makes the event's ``force`` (``{"approval": {...}}``): the
    one override of the load guards, which also reloads a manifest that was loaded already
    (docs/CONTRACTS.md "Load guards"); the load verifies it.
    """
    if manifest.source not in SOURCES:
        raise ItcError(f"{manifest.url}: the key must start with one of {', '.join(SOURCES)}/")
    event = object_created_event(manifest)
    event["mode"] = "load"
    if approval is not None:
        event["force"] = {"approval": approval}
    return handler(manifest.source)(event, None)


def refresh() -> dict[str, Any]:
    return handler("orchestrator")({"mode": "refresh"}, None)


def quality() -> dict[str, Any]:
    return handler("orchestrator")({"mode": "quality"}, None)


# -------------------------------------------------------------------------------------- invoice

def relation_exists(conn: psycopg2.extensions.connection, name: str) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (name,))
        exists = bool(cur.fetchone()[0])
    conn.rollback()
    return exists


def populated(conn: psycopg2.extensions.connection, name: str) -> bool:
    """Whether relation ``name`` exists and, if a materialized view, has been refreshed once."""
    with conn.cursor() as cur:
        cur.execute("SELECT CASE c.relkind WHEN 'm' THEN c.relispopulated ELSE true END "
                    "FROM pg_class c WHERE c.oid = to_regclass(%s)", (name,))
        row = cur.fetchone()
    return bool(row and row[0])


def require_relation(conn: psycopg2.extensions.connection, name: str, owner: str) -> None:
    if not relation_exists(conn, name):
        raise MissingPieceError(f"{name} does not exist in this database: {owner} is not applied "
                                f"(run `itc migrate`, or it is not in this checkout yet)")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return
    first: OWASP's CSV injection list) gets a leading apostrophe, so it is shown as text. Firm names are
    typed by customers. Numbers are left alone: a negative adjustment stays a number."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(path: Path, header: list[str], rows: list[tuple[Any, ...]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([spreadsheet_safe(h) for h in header])
        writer.writerows([spreadsheet_safe(v) for v in row] for row in rows)
    return path
