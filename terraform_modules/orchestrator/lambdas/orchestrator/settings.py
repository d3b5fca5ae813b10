"""The orchestrator's settings: argument → environment variable → default, validated at cold start.

:func:`load` is the one way the handler gets them: a :class:`Settings` holding the orchestrator's own
(:class:`OrchestratorSettings`, whose tunable fields an event's ``overrides`` may set) and the warehouse
connection's (:class:`~itc_common_utilities.settings.DatabaseSettings`). :func:`settings_classes` lists every
settings class the function reads (the generated env table of docs/CONTRACTS.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from itc_common_utilities.settings import (
    DatabaseSettings,
    FunctionSettings,
    LoggingSettings,
    SettingsError,
    env_field,
    load_settings,
    parse_positive_float,
)

KNOWN_SOURCES = ("demand", "verifyplus")


def parse_sources(text: str) -> tuple[str, ...]:
    """``demand,verifyplus`` → ("demand", "verifyplus"); an unknown source is an error."""
    sources = tuple(s.strip() for s in text.split(",") if s.strip())
    unknown = [s for s in sources if s not in KNOWN_SOURCES]
    if not sources or unknown:
        raise ValueError(f"expected a comma-separated subset of {', '.join(KNOWN_SOURCES)}")
    return sources


def parse_time_zone(text: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not an IANA time zone name (e.g. America/New_York)") from None
    return text


@dataclass(frozen=True)
class OrchestratorSettings:
    """What the orchestrator needs besides the database connection. An event's ``overrides`` may narrow
    ``quality_sources`` (a quality run of one source) and nothing else; mode ``migrate`` takes none."""

    env: str = env_field("ITC_ENV", default="local", doc="environment name (`beta`, `prod`, `local`)")
    business_tz: str | None = env_field(
        "ITC_BUSINESS_TZ", default=None, parse=parse_time_zone,
        doc="billing time zone (IANA name); when set, `migrate` writes it to `ref.settings` and `quality` checks "
            "they agree. The warehouse's `ref.business_time_zone()` is the one every reader uses (default "
            "`America/New_York`)")
    freshness_hours: float = env_field(
        "ITC_FRESHNESS_HOURS", default=30.0, parse=parse_positive_float,
        doc="a source whose last succeeded load is older than this many hours fails the freshness check")
    quality_sources: tuple[str, ...] = env_field(
        "ITC_QUALITY_SOURCES", default=KNOWN_SOURCES, parse=parse_sources, tunable=True,
        doc="the sources (`demand,verifyplus`) the freshness and manifest-count checks cover")
    sql_scripts_dir: str | None = env_field(
        "ITC_SQL_SCRIPTS_DIR", default=None,
        doc="folder of the migration scripts (default: `orchestrator/sql_scripts` in the zip, else the "
            "repository's)")


@dataclass(frozen=True)
class Settings:
    """Everything the orchestrator reads: its own settings and the warehouse connection's."""

    orchestrator: OrchestratorSettings
    database: DatabaseSettings


def settings_classes() -> dict[str, tuple[type, ...]]:
    """Mode -> every settings class the function reads in it (the env table of docs/CONTRACTS.md is generated
    from them)."""
    return dict.fromkeys(("refresh", "quality", "migrate"),
                         (OrchestratorSettings, DatabaseSettings, FunctionSettings, LoggingSettings))


def load(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """The orchestrator's settings (``overrides``: the event's, by field name, win over the environment);
    a missing or malformed variable raises SettingsError naming it."""
    return Settings(load_settings(OrchestratorSettings, overrides, environ),
                    load_settings(DatabaseSettings, None, environ))


__all__ = ["KNOWN_SOURCES", "OrchestratorSettings", "Settings", "SettingsError", "load", "settings_classes"]
