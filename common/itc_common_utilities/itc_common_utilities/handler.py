"""The one handler shape every ITC Lambda shares: event → mode, one bad-event error, overrides, results.

Every ``<lambda>.main.handler(event, context)`` is :func:`handle` with its own modes, and does the
same four things:

1. :func:`parse_event` reads the event into an :class:`Invocation`:

   - **mode**: an explicit ``"mode"`` wins. Without one, an event that names S3 objects (an S3
     notification, an EventBridge "Object Created" event, an SQS message carrying either, or a direct
     ``{"bucket", "key"}``) means ``object_mode``: ``load`` for the pipelines; the orchestrator has
     none, so it always needs a ``mode``. A function deployed for one step (``ITC_FUNCTION_MODE``,
     e.g. the pipeline's ``extract`` function and its ``load`` function, each with its own role) refuses
     every other mode: an extract function never loads, a load function never extracts.
   - **overrides**: an optional JSON object ``{"<settings field>": value}`` that wins over the
     environment (argument → environment → default). Each name must be a **tunable** field of the
     Lambda's settings (``env_field(..., tunable=True)``: a page size, a timeout, a worker count); any
     other field (an endpoint, the environment name, a secret, a key, a bucket, a script path) is refused
     with a :class:`BadEventError` naming it, before any client is built: where a function reads, writes
     and signs comes from its configuration only. A text value is parsed as the environment variable's
     text would be.
   - **run_id**: the log correlation id (``run_id`` of the event, else the Lambda request id).
   - **force**: ``{"approval": {...}}``, a load only, of one manifest: the one override of the load
     guards (:mod:`itc_common_utilities.loader.guards`); it also reloads a manifest loaded already (the
     restore path). The approval is made by ``itc approve-force`` and verified by the load
     (:mod:`itc_common_utilities.loader.approval`): who forced and why come from it, never from the event.

2. It builds its settings with ``invocation.overrides``.
3. It calls plain functions with plain clients: ``aws.client(...)`` (botocore; it honours
   ``AWS_ENDPOINT_URL`` for a local emulator), a database connection.
4. It returns a small JSON dict ``{"mode": ..., ...}``; a load (:func:`load_manifests`) returns
   ``{"mode": "load", "loads": [<one summary per manifest>]}``, a list even for one manifest; a key
   that is not the source's ``_manifest.json`` is listed as ``{"status": "ignored", "manifest_key": ...}``.

An event a handler cannot read raises :class:`BadEventError`, a :class:`TerminalError` (no retry fixes
it), with one message form: ``<service>: bad event: <what was wrong>``.

Whatever a handler raises leaves it redacted (:func:`~itc_common_utilities.errors.redact_for_alert`):
same class, one line, no secrets, no quoted values of a foreign exception. Step Functions publishes
that message, and only it, in the SNS alert (never the Cause text or its stack trace).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from itc_common_utilities import aws
from itc_common_utilities.errors import TerminalError, redact_for_alert
from itc_common_utilities.logger.logger_setup import set_run_id
from itc_common_utilities.manifest import MANIFEST_NAME, ManifestError, validate_run_id
from itc_common_utilities.s3 import ObjectRef, parse_object_event
from itc_common_utilities.settings import (
    DatabaseSettings,
    FunctionSettings,
    SettingsError,
    load_settings,
    tunable_fields,
)

if TYPE_CHECKING:
    from itc_common_utilities.loader.approval import ForceRequest

__all__ = [
    "FUNCTION_MODE_VARIABLE", "BadEventError", "Invocation", "deployed_mode",
    "handle", "is_manifest_of", "is_object_event", "load_manifests", "load_result",
    "parse_event", "snapshot_run_id_of",
]


FUNCTION_MODE_VARIABLE = "ITC_FUNCTION_MODE"  # FunctionSettings.mode


class BadEventError(TerminalError):
    """The event is not one the handler can read; the message names the Lambda and what was wrong."""

    def __init__(self, service: str, problem: str) -> None:
        super().__init__(f"{service}: bad event: {problem}")
        self.service = service
        self.problem = problem


class MissingModuleError(TerminalError):
    """A mode's code cannot be imported from the deployed artefact (a mode imports its code at its first
    call, docs/adr/0016): names the module, which is never PHI; no retry fixes it."""

    def __init__(self, service: str, mode: str, module: str | None) -> None:
        super().__init__(f"{service} cannot run mode {mode}: module {module or '(unnamed)'} is not in its package "
                         "or layer (imported at the mode's first call)")


def is_object_event(event: Mapping[str, Any]) -> bool:
    """Whether ``event`` names S3 objects (S3 notification, EventBridge, SQS, or ``{"bucket", "key"}``)."""
    detail = event.get("detail")
    return ("Records" in event or event.get("detail-type") == "Object Created"
            or (isinstance(detail, Mapping) and "bucket" in detail) or ("bucket" in event and "key" in event))


@dataclass(frozen=True)
class Invocation:
    """What a handler was asked to do: the mode, the settings overrides, the event itself."""

    service: str
    mode: str
    event: Mapping[str, Any]
    overrides: dict[str, Any] = field(default_factory=dict)
    run_id: str = "local"
    objects: tuple[ObjectRef, ...] = ()  # the S3 objects of an ``object_mode`` (load) event
    force: ForceRequest | None = None  # the load guards' override (a load of one manifest only), unverified

    def bad(self, problem: str) -> BadEventError:
        return BadEventError(self.service, problem)

    def snapshot_run_id(self) -> str:
        """The extract's snapshot run id: ``run_id`` of the event (validated), else the current UTC time."""
        run_id = self.event.get("run_id")
        if run_id is None:
            return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        if not isinstance(run_id, str):
            raise self.bad(f"'run_id' must be a string (got {type(run_id).__name__})")
        try:
            return validate_run_id(run_id)
        except ManifestError as exc:
            raise self.bad(f"'run_id': {exc}") from None


def deployed_mode(service: str, modes: Iterable[str], environ: Mapping[str, str] | None = None) -> str | None:
    """The one mode this function is deployed for (``ITC_FUNCTION_MODE``), or None when it runs every mode
    (local tooling, tests). A value that is not one of ``modes`` is a :class:`SettingsError` naming it."""
    value = load_settings(FunctionSettings, None, environ).mode
    if not value:
        return None
    modes = tuple(modes)
    if value not in modes:
        raise SettingsError(f"{service}: {FUNCTION_MODE_VARIABLE}={value!r} is not valid: "
                            f"expected one of {', '.join(modes)}")
    return value


def parse_event(event: Any, *, service: str, modes: Iterable[str], settings: Iterable[type],
                object_mode: str | None = None, context: Any = None, fixed_mode: str | None = None) -> Invocation:
    """Read ``event`` into an :class:`Invocation`; anything unreadable raises :class:`BadEventError`.

    ``modes``: the modes this Lambda has; ``settings``: its settings dataclasses (the fields
    ``overrides`` may name); ``object_mode``: the mode of an S3 object event without a ``mode``, whose
    event must name S3 objects (read into ``Invocation.objects``); ``fixed_mode``: the one mode this
    function is deployed for (:func:`deployed_mode`): any other is refused before anything else is read.
    """
    modes = tuple(modes)
    if not isinstance(event, Mapping):
        raise BadEventError(service, f"the event must be a JSON object (got {type(event).__name__})")
    mode = event.get("mode")
    if mode is None and object_mode is not None and is_object_event(event):
        mode = object_mode
    if mode is None:
        raise BadEventError(service, f"no 'mode' (expected one of {', '.join(modes)})")
    if mode not in modes:
        raise BadEventError(service, f"'mode' must be one of {', '.join(modes)} (got {mode!r})")
    if fixed_mode is not None and mode != fixed_mode:
        raise BadEventError(service, f"this function runs mode {fixed_mode!r} only ({FUNCTION_MODE_VARIABLE}); "
                                     f"it refuses mode {mode!r}")
    overrides = _overrides(service, event.get("overrides"), tuple(settings))
    objects = _objects(service, mode, event) if mode == object_mode else ()
    force = _force(service, mode, event, objects) if "force" in event else None
    run_id = event.get("run_id") or getattr(context, "aws_request_id", None) or "local"
    return Invocation(service=service, mode=mode, event=event, overrides=overrides, run_id=str(run_id),
                      objects=objects, force=force)


def _force(service: str, mode: str, event: Mapping[str, Any], objects: tuple[ObjectRef, ...]) -> ForceRequest:
    if not objects:
        raise BadEventError(service, f"'force' applies to a load of one manifest, not to mode {mode!r}")
    if len(objects) != 1:
        raise BadEventError(service, f"'force' applies to one manifest; the event names {len(objects)} objects")
    from itc_common_utilities.loader.approval import ForceRequest  # a forced load only: not at cold start

    try:
        return ForceRequest.from_event(event["force"])
    except ValueError as exc:
        raise BadEventError(service, str(exc)) from None


def _objects(service: str, mode: str, event: Mapping[str, Any]) -> tuple[ObjectRef, ...]:
    try:
        return tuple(parse_object_event(dict(event)))
    except (KeyError, TypeError, ValueError) as exc:
        raise BadEventError(service, f"mode {mode!r} needs an S3 notification, an EventBridge 'Object Created' "
                                     f"event or {{'bucket', 'key'}} ({type(exc).__name__}: {exc})") from None


def _overrides(service: str, given: Any, settings: tuple[type, ...]) -> dict[str, Any]:
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise BadEventError(service, f"'overrides' must be a JSON object of settings (got {type(given).__name__})")
    fields = {f.name: f for cls in settings for f in dataclasses.fields(cls)}
    unknown = sorted(str(name) for name in given if name not in fields)
    if unknown:
        raise BadEventError(service, f"'overrides' names unknown setting(s) {', '.join(unknown)} "
                                     f"(known: {', '.join(sorted(fields))})")
    fixed = sorted(str(name) for name in given if not fields[name].metadata.get("tunable"))
    if fixed:
        tunable = sorted(name for cls in settings for name in tunable_fields(cls))
        raise BadEventError(service, f"'overrides' may set only tuning settings ({', '.join(tunable) or 'none'}); "
                                     f"refusing {', '.join(fixed)}: endpoints, the environment, secrets, keys, "
                                     f"buckets and script paths come from the function's configuration only")
    values: dict[str, Any] = {}
    for name, given_value in given.items():
        parse = fields[name].metadata.get("parse")
        if not (isinstance(given_value, str) and parse is not None and parse is not str):
            values[name] = given_value
            continue
        try:
            values[name] = parse(given_value)
        except (TypeError, ValueError) as exc:
            if fields[name].metadata.get("secret"):  # the parser's message may quote the value
                raise BadEventError(service, f"'overrides.{name}'=<hidden> is not valid") from None
            raise BadEventError(service, f"'overrides.{name}'={given_value!r} is not valid: {exc}") from None
    return values


def is_manifest_of(source: str, ref: ObjectRef) -> bool:
    """Whether ``ref`` is a ``<source>/run=<run_id>/_manifest.json`` (a load ignores any other key)."""
    return ref.key.startswith(f"{source}/") and ref.key.endswith(f"/{MANIFEST_NAME}")


def load_result(summaries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The result of a load: ``{"mode": "load", "loads": [...]}``, one summary per manifest (always a list)."""
    return {"mode": "load", "loads": [dict(s) for s in summaries]}


def load_manifests(invocation: Invocation, *, source: str, logger: Any,
                   load_one: Callable[[Any, Any, ObjectRef], Mapping[str, Any]]) -> dict[str, Any]:
    """Load each ``<source>`` manifest the event names: ``load_one(conn, s3_client, ref)`` on its own
    connection (``itc-<source>-load``), the snapshot's run id as the log correlation id, with the event's
    ``force`` (:func:`~itc_common_utilities.loader.guards.forcing`). Any other key is listed as ignored.
    Returns :func:`load_result`."""
    from itc_common_utilities.db import connect  # the load's only: an extract function never loads psycopg2 for it
    from itc_common_utilities.loader.guards import forcing

    db_settings = load_settings(DatabaseSettings)
    s3 = aws.client("s3")
    results: list[Mapping[str, Any]] = []
    for ref in invocation.objects:
        if not is_manifest_of(source, ref):
            logger.info(f"not a {source} manifest: ignored", extra={"key": ref.key})
            results.append({"status": "ignored", "manifest_key": ref.key})
            continue
        set_run_id(logger, snapshot_run_id_of(ref.key))
        conn = connect(db_settings, application_name=f"itc-{source}-load")
        try:
            with forcing(invocation.force):
                results.append(load_one(conn, s3, ref))
        finally:
            conn.close()
    return load_result(results)


def snapshot_run_id_of(key: str) -> str:
    """``<source>/run=<run_id>/_manifest.json`` → ``<run_id>`` (the key itself if it has no run= part)."""
    for part in key.split("/"):
        if part.startswith("run="):
            return part[len("run="):]
    return key


def handle(event: Any, context: Any, *, service: str, logger: Any, settings: Iterable[type],
           runs: Mapping[str, Callable[[Invocation], dict[str, Any]]],
           object_mode: str | None = None) -> dict[str, Any]:
    """The handler of every ITC Lambda: read the event (:func:`parse_event`), set the log correlation id,
    run the mode's function (``runs[mode]``) and return its JSON dict. A function deployed for one mode
    (``ITC_FUNCTION_MODE``) refuses the others. Any error leaves redacted (:func:`redact_for_alert`)."""
    try:
        invocation = parse_event(event, service=service, modes=runs, settings=settings, object_mode=object_mode,
                                 context=context, fixed_mode=deployed_mode(service, runs))
        set_run_id(logger, invocation.run_id)
        logger.info(f"{service} invoked", extra={"mode": invocation.mode})
        try:
            return runs[invocation.mode](invocation)
        except ImportError as exc:
            raise MissingModuleError(service, invocation.mode, exc.name) from None
    except Exception as exc:  # noqa: BLE001 - not swallowed: re-raised, same class, message redacted
        raise redact_for_alert(exc) from None
