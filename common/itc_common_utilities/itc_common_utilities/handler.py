"""The one handler shape every ITC Lambda shares: event → mode, one bad-event error, overrides, results.

Every ``<lambda>.main.handler(event, context)`` does the same four things:

1. :func:`parse_event` reads the event into an :class:`Invocation`:

   - **mode**: an explicit ``"mode"`` wins. Without one, an event that names S3 objects (an S3
     notification, an EventBridge "Object Created" event, an SQS message carrying either, or a direct
     ``{"bucket", "key"}``) means ``object_mode``: ``load`` for the pipelines; the orchestrator has
     none, so it always needs a ``mode``.
   - **overrides**: an optional JSON object ``{"<settings field>": value}`` that wins over the
     environment (argument → environment → default). Each name must be a field of the Lambda's settings;
     a text value is parsed as the environment variable's text would be.
   - **run_id**: the log correlation id (``run_id`` of the event, else the Lambda request id).

2. It builds its settings with ``invocation.overrides``.
3. It calls plain functions with plain clients: ``boto3.client(...)`` (which honours
   ``AWS_ENDPOINT_URL`` for a local emulator), a database connection.
4. It returns a small JSON dict ``{"mode": ..., ...}``; a load returns :func:`load_result`:
   ``{"mode": "load", "loads": [<one summary per manifest>]}``, a list even for one manifest.

An event a handler cannot read raises :class:`BadEventError`, a :class:`TerminalError` (no retry fixes
it), with one message form: ``<service>: bad event: <what was wrong>``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from itc_common_utilities.errors import TerminalError
from itc_common_utilities.manifest import MANIFEST_NAME, ManifestError, validate_run_id
from itc_common_utilities.s3 import ObjectRef, parse_object_event

__all__ = ["BadEventError", "Invocation", "is_manifest_of", "is_object_event", "load_result", "parse_event"]


class BadEventError(TerminalError):
    """The event is not one the handler can read; the message names the Lambda and what was wrong."""

    def __init__(self, service: str, problem: str) -> None:
        super().__init__(f"{service}: bad event: {problem}")
        self.service = service
        self.problem = problem


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

    def bad(self, problem: str) -> BadEventError:
        return BadEventError(self.service, problem)

    def objects(self) -> list[ObjectRef]:
        """The S3 objects the event names; an event that names none is a :class:`BadEventError`."""
        try:
            return parse_object_event(dict(self.event))
        except (KeyError, TypeError, ValueError) as exc:
            raise self.bad(f"mode {self.mode!r} needs an S3 notification, an EventBridge 'Object Created' "
                           f"event or {{'bucket', 'key'}} ({type(exc).__name__}: {exc})") from None

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


def parse_event(event: Any, *, service: str, modes: Iterable[str], settings: Iterable[type],
                object_mode: str | None = None, context: Any = None) -> Invocation:
    """Read ``event`` into an :class:`Invocation`; anything unreadable raises :class:`BadEventError`.

    ``modes``: the modes this Lambda has; ``settings``: its settings dataclasses (the fields
    ``overrides`` may name); ``object_mode``: the mode of an S3 object event without a ``mode``.
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
    overrides = _overrides(service, event.get("overrides"), tuple(settings))
    run_id = event.get("run_id") or getattr(context, "aws_request_id", None) or "local"
    return Invocation(service=service, mode=mode, event=event, overrides=overrides, run_id=str(run_id))


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
