"""Settings of the demand pipeline Lambda (argument → environment → default), validated at cold start."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from itc_common_utilities.settings import env_field, load_settings, parse_positive_int

SNAPSHOT_TABLES: tuple[str, ...] = ("documents", "documents_metadata", "templates", "documents_audit")
_TABLE_SUFFIX = {
    "documents": "documents",
    "documents_metadata": "documents-metadata",
    "templates": "templates",
    "documents_audit": "documents-audit",
}


@dataclass(frozen=True)
class DemandSettings:
    landing_bucket: str = env_field("ITC_LANDING_BUCKET")
    env: str = env_field("ITC_ENV", default="local")
    exchange_env: str | None = env_field("ITC_EXCHANGE_ENV", default=None)
    exchange_region: str | None = env_field("ITC_EXCHANGE_REGION", default=None)
    exchange_role_arn: str | None = env_field("ITC_EXCHANGE_ROLE_ARN", default=None)
    exchange_external_id: str | None = env_field("ITC_EXCHANGE_EXTERNAL_ID", default=None, secret=True)
    scan_segments: int = env_field("ITC_SCAN_SEGMENTS", default=4, parse=parse_positive_int)
    scan_page_limit: int = env_field("ITC_SCAN_PAGE_LIMIT", default=500, parse=parse_positive_int)

    def __post_init__(self) -> None:
        from itc_common_utilities.settings import SettingsError

        if self.scan_segments > 64:
            raise SettingsError("ITC_SCAN_SEGMENTS must be at most 64")
        if self.scan_page_limit > 10_000:
            raise SettingsError("ITC_SCAN_PAGE_LIMIT must be at most 10000")

    def table_names(self) -> dict[str, str]:
        """Snapshot table -> Exchange DynamoDB table (``exchange-{env}-...``)."""
        env = self.exchange_env or self.env
        return {table: f"exchange-{env}-{suffix}" for table, suffix in _TABLE_SUFFIX.items()}


def load_demand_settings(overrides: Mapping[str, Any] | None = None) -> DemandSettings:
    """The settings; ``overrides`` (field name → value, the event's ``overrides``) win over the environment."""
    return load_settings(DemandSettings, overrides)
