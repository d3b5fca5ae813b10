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

This module is the only place ITC code reads the process environment (a test walks the code and fails on
any other ``os.environ`` / ``os.getenv``): every variable a Lambda or ``common`` reads is a field of a
settings dataclass, declared with :func:`env_field` and read by :func:`load_settings` (or, for one
field, :func:`read_setting`). Each Lambda's ``settings.load(overrides)`` is its one way to get its
settings; the ones every Lambda shares live here (:class:`DatabaseSettings`, :class:`LoaderSettings`,
:class:`FunctionSettings`, :class:`LoggingSettings`, ...). The env table of docs/CONTRACTS.md is
generated from these declarations (``scripts/build/env_table.py``; docs/adr/0014).
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
    doc: str = "",
) -> Any:
    """A dataclass field read from environment variable ``env``; ``default`` omitted = required.

    ``tunable``: a deployed function lets an event's ``overrides`` set it (a page size, a timeout, a worker
    count: how the work is done, never where it goes). Everything else (an endpoint, the environment name,
    a secret, a key, a bucket, a table, a script path) comes from configuration only
    (:mod:`itc_common_utilities.handler`).

    ``doc``: what the variable means, for the generated env table of docs/CONTRACTS.md."""
    metadata = {"env": env, "parse": parse, "secret": secret, "required": default is _REQUIRED,
                "tunable": tunable, "doc": doc}
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
        value = _from_environment(f, environ)
        if value is _UNSET:
            if f.metadata["required"]:
                missing.append(env)
            continue
        values[f.name] = value
    if missing:
        raise SettingsError(f"missing required environment variable(s): {', '.join(missing)}")
    return cls(**values)


_UNSET = object()


def _from_environment(f: dataclasses.Field, environ: Mapping[str, str]) -> Any:
    """Field ``f``'s variable parsed, or ``_UNSET`` when it is unset or empty; a bad value raises SettingsError."""
    env = f.metadata["env"]
    raw = environ.get(env)
    if raw is None or raw == "":
        return _UNSET
    try:
        return f.metadata["parse"](raw)
    except (TypeError, ValueError) as exc:
        if f.metadata["secret"]:  # the parser's message may quote the value: say nothing of it
            raise SettingsError(f"{env}=<hidden> is not valid") from None
        raise SettingsError(f"{env}={raw!r} is not valid: {exc}") from None


def read_setting(cls: type, name: str, environ: Mapping[str, str] | None = None) -> Any:
    """One field of settings class ``cls`` from the environment (else its default), parsed like
    :func:`load_settings` does, without building the whole object: for a caller that needs one value of
    a class whose other fields it does not have (a connection made from a bare DSN needs
    ``ITC_DB_CONNECT_TIMEOUT_S``, not the rest of :class:`DatabaseSettings`)."""
    environ = os.environ if environ is None else environ
    f = next((f for f in dataclasses.fields(cls) if f.name == name), None)  # type: ignore[arg-type]
    if f is None or "env" not in f.metadata:
        raise SettingsError(f"{cls.__name__} has no setting {name!r}")
    value = _from_environment(f, environ)
    if value is not _UNSET:
        return value
    if f.metadata["required"]:
        raise SettingsError(f"missing required environment variable(s): {f.metadata['env']}")
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


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

    database_url: str | None = env_field(
        "ITC_DATABASE_URL", default=None, secret=True,
        doc="a libpq DSN (local runs); when set it wins over the host/secret/IAM settings")
    host: str | None = env_field("ITC_DB_HOST", default=None, doc="warehouse host (AWS)")
    port: int = env_field("ITC_DB_PORT", default=5432, parse=parse_positive_int, doc="warehouse port")
    dbname: str = env_field("ITC_DB_NAME", default="itc", doc="warehouse database name")
    user: str | None = env_field("ITC_DB_USER", default=None, doc="the login (IAM database authentication)")
    secret_arn: str | None = env_field(
        "ITC_DB_SECRET_ARN", default=None,
        doc="Secrets Manager secret with `username`/`password` (used when IAM auth is off)")
    iam_auth: bool = env_field("ITC_DB_IAM_AUTH", default=False, parse=parse_bool,
                               doc="`true` = generate an RDS IAM auth token for `ITC_DB_USER`")
    sslmode: str | None = env_field(
        "ITC_DB_SSLMODE", default=None,
        doc="libpq sslmode: `verify-full` by default in AWS (with `ITC_DATABASE_URL`: the DSN's own, else libpq's "
            "`prefer`; set, it wins over the DSN's). A DSN reaching a host not on this machine needs `verify-full` "
            "(the rule: `itc_common_utilities/dsn.py`)")
    sslrootcert: str | None = env_field(
        "ITC_DB_SSLROOTCERT", default=None,
        doc="path of the RDS CA bundle (shipped in the layer at `/opt/python/rds-ca/global-bundle.pem`)")
    statement_timeout_ms: int = env_field(
        "ITC_DB_STATEMENT_TIMEOUT_MS", default=15 * 60 * 1000, parse=parse_positive_int,
        doc="statement timeout of every connection (milliseconds)")
    connect_timeout_s: int = env_field(
        "ITC_DB_CONNECT_TIMEOUT_S", default=10, parse=parse_positive_int,
        doc="libpq `connect_timeout` of every connection `db.connect` opens (see Input limits)")
    region: str | None = env_field("AWS_REGION", default=None,
                                   doc="region of the RDS IAM token and the database secret (set by Lambda)")

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

    start: str = env_field("ITC_TIME_WINDOW_START", default=WINDOW_START,
                           doc="start of the plausible window of source times (time contract below)")
    future_days: int = env_field("ITC_TIME_WINDOW_FUTURE_DAYS", default=WINDOW_FUTURE_DAYS,
                                 parse=parse_non_negative_int,
                                 doc="the window ends this many days after the load's start")

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

    max_delete_share: float = env_field(
        "ITC_MAX_DELETE_SHARE", default=0.05, parse=parse_share,
        doc="load guard: the largest share of a raw table's rows one load may delete")
    max_reject_share: float = env_field(
        "ITC_MAX_REJECT_SHARE", default=0.01, parse=parse_share,
        doc="load guard: the largest share of a table's records one load may reject")
    lock_wait_seconds: float = env_field(
        "ITC_LOCK_WAIT_SECONDS", default=60.0, parse=parse_positive_float,
        doc="how long a load waits for its source's lock before a `TransientError` (at most 600)")

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


MAX_LOAD_WORKERS = 16
FAST_OFF = ("0", "false", "no", "off")


def parse_load_workers(text: str) -> int:
    """``ITC_LOAD_WORKERS``: a whole number from 1 to :data:`MAX_LOAD_WORKERS`."""
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError("expected a whole number") from None
    if not 1 <= value <= MAX_LOAD_WORKERS:
        raise ValueError(f"must be between 1 and {MAX_LOAD_WORKERS}")
    return value


def parse_fast(text: str) -> bool:
    """``ITC_LOAD_FAST``: on unless ``0``/``false``/``no``/``off`` (any other text keeps it on, as it always did)."""
    return text.strip().lower() not in FAST_OFF


@dataclass(frozen=True)
class LoaderSettings:
    """How a snapshot load builds its rows (:mod:`itc_common_utilities.loader`): read once per load."""

    workers: int = env_field("ITC_LOAD_WORKERS", default=1, parse=parse_load_workers,
                             doc="worker processes building rows in parallel (1 = in the loading process, the "
                                 "right choice in a Lambda; at most 16)")
    fast: bool = env_field("ITC_LOAD_FAST", default=True, parse=parse_fast,
                           doc="the fast paths: the demand tables' (compiled row builder in front, "
                               "docs/adr/0012) and Verify+'s (default on; `0` = every record through its "
                               "builder; docs/adr/0007)")


@dataclass(frozen=True)
class FunctionSettings:
    """How a deployed function was configured to run (:mod:`itc_common_utilities.handler`)."""

    mode: str | None = env_field(
        "ITC_FUNCTION_MODE", default=None, parse=str.strip,
        doc="the one mode a deployed function runs (each pipeline is deployed as an `extract` and a `load` "
            "function with separate roles; the orchestrator's migrate function `migrate`); any other mode is "
            "refused as a bad event. Unset (local runs): every mode runs")


@dataclass(frozen=True)
class LoggingSettings:
    """The common logger's and metrics' settings (:mod:`itc_common_utilities.logger`, :mod:`~.metrics`)."""

    level: str = env_field("LOG_LEVEL", default="INFO", doc="log level of the JSON logger")
    service: str | None = env_field("POWERTOOLS_SERVICE_NAME", default=None,
                                    doc="the `service` key of log lines and metrics (default: the Lambda's name)")
    metrics_namespace: str | None = env_field(
        "ITC_METRICS_NAMESPACE", default=None,
        doc="CloudWatch embedded-metric namespace (unset: `POWERTOOLS_METRICS_NAMESPACE`, else `ITC`)")
    powertools_metrics_namespace: str | None = env_field(
        "POWERTOOLS_METRICS_NAMESPACE", default=None,
        doc="Powertools' own metric namespace variable, used when `ITC_METRICS_NAMESPACE` is unset")

    def namespace(self, default: str = "ITC") -> str:
        """``ITC_METRICS_NAMESPACE``, else ``POWERTOOLS_METRICS_NAMESPACE``, else ``default``."""
        return self.metrics_namespace or self.powertools_metrics_namespace or default


@dataclass(frozen=True)
class LibpqEnvironment:
    """libpq's own variables, which ITC never sets: libpq reads them when it connects, and
    :mod:`itc_common_utilities.dsn` reads the three that decide where a DSN goes and how (the host, and
    the sslmode when the DSN has none), so the transport rule judges the connection libpq will make."""

    host: str | None = env_field("PGHOST", default=None,
                                 doc="libpq's default host: where a DSN without a host goes (the transport rule)")
    hostaddr: str | None = env_field("PGHOSTADDR", default=None,
                                     doc="libpq's default host address, when neither the DSN nor `PGHOST` names one")
    sslmode: str | None = env_field("PGSSLMODE", default=None,
                                    doc="libpq's default sslmode, when neither `ITC_DB_SSLMODE` nor the DSN sets one")

