"""Settings of the demand pipeline Lambda (argument → environment → default), validated at cold start.

:func:`load` is the one way the handler gets them (:class:`Settings`, the extract's; an event's ``overrides``
may set its tunable fields). A load reads the settings every load shares from ``itc_common_utilities``
(the connection, the guards, the limits, the time window, the keys); :func:`settings_classes` lists, per
mode, every settings class the function reads (the generated env table of docs/CONTRACTS.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from itc_common_utilities.settings import (
    SettingsError,
    env_field,
    load_settings,
    parse_positive_int,
)

SNAPSHOT_TABLES: tuple[str, ...] = ("documents", "documents_metadata", "templates", "documents_audit")
_TABLE_SUFFIX = {
    "documents": "documents",
    "documents_metadata": "documents-metadata",
    "templates": "templates",
    "documents_audit": "documents-audit",
}
EXTRACT_MODES = ("scan", "export")
DEFAULT_EXTRACT_MODE = "scan"


def parse_extract_modes(text: str | Mapping[str, Any]) -> dict[str, str]:
    """``ITC_EXTRACT_MODE``: how each Exchange table is extracted, ``scan`` (the default: a parallel scan in the
    Lambda) or ``export`` (DynamoDB ExportTableToPointInTime, demand_pipeline.export). One word sets every table
    (``export``); a JSON object sets tables by name (``{"documents": "export", "documents_audit": "export"}``), the
    others keep ``scan``."""
    if isinstance(text, str):
        stripped = text.strip()
        if stripped in EXTRACT_MODES:
            return dict.fromkeys(SNAPSHOT_TABLES, stripped)
        try:
            text = json.loads(stripped)
        except json.JSONDecodeError:
            raise ValueError(f"expected {' or '.join(EXTRACT_MODES)}, or a JSON object such as "
                             '{"documents": "export"}') from None
    if not isinstance(text, Mapping):
        raise ValueError("expected a JSON object of table -> mode")
    unknown = sorted(set(text) - set(SNAPSHOT_TABLES))
    if unknown:
        raise ValueError(f"unknown table(s) {', '.join(unknown)} (tables: {', '.join(SNAPSHOT_TABLES)})")
    bad = sorted(t for t, m in text.items() if m not in EXTRACT_MODES)
    if bad:
        raise ValueError(f"the mode of {', '.join(bad)} must be {' or '.join(EXTRACT_MODES)}")
    return {t: str(text.get(t, DEFAULT_EXTRACT_MODE)) for t in SNAPSHOT_TABLES}


@dataclass(frozen=True)
class DemandSettings:
    """The demand Lambda's settings; an event's ``overrides`` may set only the scan's tuning (segments, page
    size): the bucket, the Exchange tables and role, the keys come from configuration only."""

    landing_bucket: str = env_field("ITC_LANDING_BUCKET", doc="landing bucket name")
    env: str = env_field("ITC_ENV", default="local", doc="environment name (`beta`, `prod`, `local`)")
    exchange_env: str | None = env_field(
        "ITC_EXCHANGE_ENV", default=None,
        doc="Exchange env (default `ITC_ENV`): the tables are `exchange-{env}-documents`, `-documents-metadata`, "
            "`-templates`, `-documents-audit`")
    exchange_region: str | None = env_field("ITC_EXCHANGE_REGION", default=None,
                                            doc="region of the Exchange tables")
    exchange_role_arn: str | None = env_field("ITC_EXCHANGE_ROLE_ARN", default=None,
                                              doc="cross-account role of the Exchange account (optional)")
    exchange_external_id: str | None = env_field("ITC_EXCHANGE_EXTERNAL_ID", default=None, secret=True,
                                                 doc="external id of that role (optional)")
    scan_segments: int = env_field("ITC_SCAN_SEGMENTS", default=4, parse=parse_positive_int, tunable=True,
                                   doc="parallel scan: segments per table (at most 64)")
    scan_page_limit: int = env_field("ITC_SCAN_PAGE_LIMIT", default=500, parse=parse_positive_int, tunable=True,
                                     doc="parallel scan: items per page (at most 10000)")
    scan_part_items: int = env_field(
        "ITC_SCAN_PART_ITEMS", default=1_000_000, parse=parse_positive_int, tunable=True,
        doc="scan in parts: items per part (DescribeTable ItemCount); a table with more is scanned by several "
            "Lambdas, the ingest state machine's Distributed Map (docs/adr/0013-segmented-scan-extract.md)")
    extract_modes: dict[str, str] = field(default_factory=dict, metadata={
        "env": "ITC_EXTRACT_MODE", "parse": parse_extract_modes, "secret": False, "required": False,
        "tunable": False, "doc": "per Exchange table `scan` (default) or `export` (DynamoDB "
        "ExportTableToPointInTime): one word for every table, or JSON `{\"documents\": \"export\"}` (unnamed "
        "tables scan); demand_pipeline README \"Extract by DynamoDB export\""})
    landing_bucket_owner: str | None = env_field(
        "ITC_LANDING_BUCKET_OWNER", default=None,
        doc="export mode: the export's `S3BucketOwner` (default: the caller's account)")
    landing_kms_key_arn: str | None = env_field("ITC_LANDING_KMS_KEY_ARN", default=None,
                                                doc="export mode: the export's SSE-KMS key (the landing key)")

    def __post_init__(self) -> None:
        try:  # an override skips the parser: normalise (every table named) and check it here
            object.__setattr__(self, "extract_modes", parse_extract_modes(self.extract_modes or {}))
        except ValueError as exc:
            raise SettingsError(f"ITC_EXTRACT_MODE={self.extract_modes!r} is not valid: {exc}") from None
        if self.landing_bucket_owner is not None and not (
                len(self.landing_bucket_owner) == 12 and self.landing_bucket_owner.isdigit()):
            raise SettingsError(f"ITC_LANDING_BUCKET_OWNER={self.landing_bucket_owner!r} is not valid: expected a "
                                "12-digit AWS account id")
        if self.scan_segments > 64:
            raise SettingsError("ITC_SCAN_SEGMENTS must be at most 64")
        if self.scan_page_limit > 10_000:
            raise SettingsError("ITC_SCAN_PAGE_LIMIT must be at most 10000")

    def table_names(self) -> dict[str, str]:
        """Snapshot table -> Exchange DynamoDB table (``exchange-{env}-...``)."""
        env = self.exchange_env or self.env
        return {table: f"exchange-{env}-{suffix}" for table, suffix in _TABLE_SUFFIX.items()}

    def tables_in_mode(self, mode: str) -> dict[str, str]:
        """The tables (snapshot table -> Exchange table) extracted in ``mode`` (``scan`` or ``export``)."""
        return {t: name for t, name in self.table_names().items() if self.extract_modes[t] == mode}


Settings = DemandSettings  # the name every Lambda's settings module gives its own


def settings_classes() -> dict[str, tuple[type, ...]]:
    """Mode -> every settings class the function reads in it (the load's classes imported here, not at module
    level: the extract does not load them)."""
    from itc_common_utilities.pipeline_settings import pipeline_settings_classes

    return pipeline_settings_classes(DemandSettings)


def load(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> DemandSettings:
    """The settings; ``overrides`` (field name → value, the event's ``overrides``) win over the environment."""
    return load_settings(DemandSettings, overrides, environ)
