"""Settings: argument → environment variable → default, in one frozen object, validated up front.

Declare a frozen dataclass whose fields use :func:`env_field`, then build it with
:func:`load_settings`. A missing required variable or a malformed value raises
:class:`SettingsError` naming the variable, at cold start, instead of failing deep in a run::

    @dataclass(frozen=True)
    class Settings:
        bucket: str = env_field("ITC_LANDING_BUCKET")
        segments: int = env_field("ITC_SCAN_SEGMENTS", default=4, parse=parse_positive_int, tunable=True)

    settings = load_settings(Settings, {"segments": 8})

Only a field declared ``tunable=True`` may be set by an event's ``overrides`` (:func:`tunable_fields`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

T = TypeVar("T")
_REQUIRED = object()


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable (never its secret value)."""


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true/false")


def parse_positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError("expected a positive integer")
    return value


def parse_positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise ValueError("expected a positive number")
    return value


def parse_share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise ValueError("expected a share between 0 and 1")
    return value


def env_field(
    env: str,
    *,
    default: Any = _REQUIRED,
    parse: Callable[[str], Any] = str,
    secret: bool = False,
    tunable: bool = False,
) -> Any:
    """A dataclass field read from environment variable ``env``; ``default`` omitted = required.

    ``tunable``: a deployed function lets an event's ``overrides`` set it (a page size, a timeout, a worker
    count: how the work is done, never where it goes). Everything else (an endpoint, the environment name,
    a secret, a key, a bucket, a table, a script path) comes from configuration only
    (:mod:`itc_common_utilities.handler`)."""
    metadata = {"env": env, "parse": parse, "secret": secret, "required": default is _REQUIRED,
                "tunable": tunable}
    if default is _REQUIRED:
        return dataclasses.field(default=None, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def load_settings(
    cls: type[T],
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> T:
    """Build ``cls``: an override (by field name) wins, then the environment, then the default."""
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    environ = os.environ if environ is None else environ
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
    values: dict[str, Any] = {}
    missing: list[str] = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        env = f.metadata.get("env")
        if f.name in overrides:
            values[f.name] = overrides[f.name]
            continue
        if env is None:
            continue
        raw = environ.get(env)
        if raw is None or raw == "":
            if f.metadata["required"]:
                missing.append(env)
            continue
        try:
            values[f.name] = f.metadata["parse"](raw)
        except (TypeError, ValueError) as exc:
            if f.metadata["secret"]:  # the parser's message may quote the value: say nothing of it
                raise SettingsError(f"{env}=<hidden> is not valid") from None
            raise SettingsError(f"{env}={raw!r} is not valid: {exc}") from None
    if missing:
        raise SettingsError(f"missing required environment variable(s): {', '.join(missing)}")
    return cls(**values)


def tunable_fields(cls: type) -> tuple[str, ...]:
    """The fields of settings class ``cls`` an event's ``overrides`` may set (declared ``tunable=True``)."""
    return tuple(f.name for f in dataclasses.fields(cls) if f.metadata.get("tunable"))  # type: ignore[arg-type]


def describe(settings: Any) -> dict[str, Any]:
    """The settings as a dict fit for a log line: secret fields are masked."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        out[f.name] = "***" if f.metadata.get("secret") and value else value
    return out


@dataclass(frozen=True)
class DatabaseSettings:
    """Where and how to connect to the warehouse (shared by every Lambda and local command)."""

    database_url: str | None = env_field("ITC_DATABASE_URL", default=None, secret=True)
    host: str | None = env_field("ITC_DB_HOST", default=None)
    port: int = env_field("ITC_DB_PORT", default=5432, parse=parse_positive_int)
    dbname: str = env_field("ITC_DB_NAME", default="itc")
    user: str | None = env_field("ITC_DB_USER", default=None)
    secret_arn: str | None = env_field("ITC_DB_SECRET_ARN", default=None)
    iam_auth: bool = env_field("ITC_DB_IAM_AUTH", default=False, parse=parse_bool)
    sslmode: str | None = env_field("ITC_DB_SSLMODE", default=None)
    sslrootcert: str | None = env_field("ITC_DB_SSLROOTCERT", default=None)
    statement_timeout_ms: int = env_field(
        "ITC_DB_STATEMENT_TIMEOUT_MS", default=15 * 60 * 1000, parse=parse_positive_int
    )
    connect_timeout_s: int = env_field("ITC_DB_CONNECT_TIMEOUT_S", default=10, parse=parse_positive_int)  # db.py
    region: str | None = env_field("AWS_REGION", default=None)

    def __post_init__(self) -> None:
        if self.database_url is None and self.host is None:
            raise SettingsError("set ITC_DATABASE_URL, or ITC_DB_HOST with ITC_DB_SECRET_ARN or ITC_DB_IAM_AUTH")
        if self.database_url is None and not (self.secret_arn or (self.iam_auth and self.user)):
            raise SettingsError("ITC_DB_HOST needs ITC_DB_SECRET_ARN, or ITC_DB_IAM_AUTH=true with ITC_DB_USER")
        allowed = {None, "disable", "allow", "prefer", "require", "verify-ca", "verify-full"}
        if self.sslmode not in allowed:
            raise SettingsError(f"ITC_DB_SSLMODE={self.sslmode!r} is not a libpq sslmode")


WINDOW_START = "2015-01-01"  # the plausible window of source times: its default start ...
WINDOW_FUTURE_DAYS = 1       # ... and how many days after a load's start it ends (the time contract)


def parse_window_start(text: str) -> datetime:
    """``2015-01-01`` (a UTC midnight) or a zoned ISO 8601 time."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError("expected an ISO 8601 date such as 2015-01-01") from None
    if moment.tzinfo is None:
        if len(text.strip()) > 10:
            raise ValueError("a time needs a zone (e.g. 2015-01-01T00:00:00Z); a plain date means UTC midnight")
        moment = moment.replace(tzinfo=UTC)
    return moment


def parse_non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("expected a whole number >= 0")
    return value


@dataclass(frozen=True)
class TimeWindowSettings:
    """The plausible window of source times (the time contract, :mod:`itc_common_utilities.timestamps`).

    A source time before ``start`` or after the load's now + ``future_days`` is rejected as
    ``implausible_timestamp``. Read by both pipelines' loads, once per load.
    """

    start: str = env_field("ITC_TIME_WINDOW_START", default=WINDOW_START)
    future_days: int = env_field("ITC_TIME_WINDOW_FUTURE_DAYS", default=WINDOW_FUTURE_DAYS,
                                 parse=parse_non_negative_int)

    def __post_init__(self) -> None:
        try:
            start = parse_window_start(str(self.start))
        except ValueError as exc:
            raise SettingsError(f"ITC_TIME_WINDOW_START={self.start!r} is not valid: {exc}") from None
        if start >= datetime.now(UTC):
            raise SettingsError(f"ITC_TIME_WINDOW_START={self.start!r} is not in the past: every time would be "
                                "rejected")
        if not isinstance(self.future_days, int) or not 0 <= self.future_days <= 3660:
            raise SettingsError(f"ITC_TIME_WINDOW_FUTURE_DAYS={self.future_days!r} must be a whole number of days "
                                "from 0 to 3660")


@dataclass(frozen=True)
class LoadGuardSettings:
    """The limits of the load guards (docs/CONTRACTS.md "Load guards"), read by every snapshot load.

    A load that would delete more than ``max_delete_share`` of a raw table's rows, or reject more than
    ``max_reject_share`` of a table's records, is refused (unless forced); a load waits at most
    ``lock_wait_seconds`` for its source's lock (well inside the 900 s Lambda timeout), then fails with
    a ``TransientError`` that Step Functions retries.
    """

    max_delete_share: float = env_field("ITC_MAX_DELETE_SHARE", default=0.05, parse=parse_share)
    max_reject_share: float = env_field("ITC_MAX_REJECT_SHARE", default=0.01, parse=parse_share)
    lock_wait_seconds: float = env_field("ITC_LOCK_WAIT_SECONDS", default=60.0, parse=parse_positive_float)

    def __post_init__(self) -> None:  # arguments skip the parsers: check them here, naming the variable
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            try:
                f.metadata["parse"](str(value))
            except (TypeError, ValueError) as exc:
                raise SettingsError(f"{f.metadata['env']}={value!r} is not valid: {exc}") from None
        if self.lock_wait_seconds > 600:
            raise SettingsError(f"ITC_LOCK_WAIT_SECONDS={self.lock_wait_seconds!r} is not valid: at most 600 "
                                f"(the wait must end well inside the 900 s Lambda timeout)")
