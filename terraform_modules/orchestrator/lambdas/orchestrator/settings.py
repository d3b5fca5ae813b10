"""The orchestrator's settings: argument → environment variable → default, validated at cold start."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from itc_common_utilities.settings import (
    DatabaseSettings,
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

    env: str = env_field("ITC_ENV", default="local")
    # billing time zone; when set, `migrate` writes it to ref.settings and `quality` checks they agree
    business_tz: str | None = env_field("ITC_BUSINESS_TZ", default=None, parse=parse_time_zone)
    # a source whose last succeeded load is older than this fails the freshness check
    freshness_hours: float = env_field("ITC_FRESHNESS_HOURS", default=30.0, parse=parse_positive_float)
    # sources the freshness / manifest-count checks cover
    quality_sources: tuple[str, ...] = env_field(
        "ITC_QUALITY_SOURCES", default=KNOWN_SOURCES, parse=parse_sources, tunable=True
    )
    # migration scripts folder; default: orchestrator/sql_scripts in the zip, else the repository's
    sql_scripts_dir: str | None = env_field("ITC_SQL_SCRIPTS_DIR", default=None)
    metrics_namespace: str = env_field("ITC_METRICS_NAMESPACE", default="ITC")


def load(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> tuple[OrchestratorSettings, DatabaseSettings]:
    """Both settings objects; a missing or malformed variable raises SettingsError naming it."""
    return load_settings(OrchestratorSettings, overrides, environ), load_settings(DatabaseSettings, None, environ)


__all__ = ["KNOWN_SOURCES", "OrchestratorSettings", "SettingsError", "load"]
