"""Settings of the Verify+ Lambda: argument → environment variable → default, validated at cold start.

``ExtractSettings`` (mode ``extract``) says which Quickbase report to read and where to land it; an
event's ``overrides`` may set only its tunable fields (page size, timeouts, retries): the Quickbase host
(``ITC_QB_BASE_URL``), the token, the report and the bucket come from configuration only;
the load mode needs only :class:`itc_common_utilities.settings.DatabaseSettings`. The Quickbase user
token comes from Secrets Manager by ARN (``ITC_QB_TOKEN_SECRET_ARN``); ``ITC_QB_TOKEN`` holds the
token itself and is accepted only when ``ITC_ENV`` is a local environment.

:func:`load` is the one way the handler gets them (:class:`Settings` = :class:`ExtractSettings`);
:func:`settings_classes` lists, per mode, every settings class the function reads (the generated env table
of docs/CONTRACTS.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from itc_common_utilities.settings import (
    SettingsError,
    env_field,
    load_settings,
    parse_bool,
    parse_positive_float,
    parse_positive_int,
)

LOCAL_ENVS = frozenset({"local", "test", "dev"})
USER_AGENT = "itc-verifyplus-pipeline/0.1 (ITC Invoice Transactions Collector)"


@dataclass(frozen=True)
class ExtractSettings:
    landing_bucket: str = env_field("ITC_LANDING_BUCKET", doc="landing bucket name")
    qb_realm: str = env_field("ITC_QB_REALM", doc="Quickbase realm of the report to run")
    qb_table_id: str = env_field("ITC_QB_TABLE_ID", doc="Quickbase table of the report")
    qb_report_id: str = env_field("ITC_QB_REPORT_ID", doc="Quickbase report to run")
    qb_base_url: str = env_field(
        "ITC_QB_BASE_URL", default="https://api.quickbase.com",
        doc="Quickbase API base URL without `/v1` (the code adds `/v1/...`; the simulator locally); never an "
            "event override (the token goes to this host)")
    qb_token_secret_arn: str | None = env_field("ITC_QB_TOKEN_SECRET_ARN", default=None,
                                                doc="Secrets Manager secret holding the Quickbase user token (AWS)")
    qb_token: str | None = env_field("ITC_QB_TOKEN", default=None, secret=True,
                                     doc="the Quickbase user token itself (local runs only)")
    qb_page_size: int = env_field("ITC_QB_PAGE_SIZE", default=1000, parse=parse_positive_int, tunable=True,
                                  doc="records per report page")
    qb_timeout_s: float = env_field("ITC_QB_TIMEOUT_S", default=30.0, parse=parse_positive_float, tunable=True,
                                    doc="timeout of one Quickbase request (seconds)")
    qb_max_attempts: int = env_field("ITC_QB_MAX_ATTEMPTS", default=6, parse=parse_positive_int, tunable=True,
                                     doc="retry policy: attempts per request")
    qb_backoff_s: float = env_field("ITC_QB_BACKOFF_S", default=0.5, parse=parse_positive_float, tunable=True,
                                    doc="retry policy: first backoff (seconds, exponential with jitter)")
    qb_max_wait_s: float = env_field("ITC_QB_MAX_WAIT_S", default=60.0, parse=parse_positive_float, tunable=True,
                                     doc="retry policy: the longest single wait, `Retry-After` included (seconds)")
    qb_max_total_s: float = env_field("ITC_QB_MAX_TOTAL_S", default=300.0, parse=parse_positive_float, tunable=True,
                                      doc="retry policy: the longest total wait of one request (seconds)")
    qb_max_response_bytes: int = env_field("ITC_QB_MAX_RESPONSE_BYTES", default=64 << 20, parse=parse_positive_int,
                                           doc="the largest Quickbase response body (see Input limits)")
    allow_empty: bool = env_field(
        "ITC_QB_ALLOW_EMPTY", default=False, parse=parse_bool,
        doc="`true` lets an empty report land (a full snapshot with no rows deletes every Verify+ row)")
    env: str = env_field("ITC_ENV", default="local", doc="environment name (`beta`, `prod`, `local`)")
    user_agent: str = USER_AGENT

    def __post_init__(self) -> None:
        if not (self.qb_token_secret_arn or self.qb_token):
            raise SettingsError("set ITC_QB_TOKEN_SECRET_ARN (the Secrets Manager secret holding the Quickbase "
                                "user token), or ITC_QB_TOKEN for a local run")
        if self.qb_token and not self.qb_token_secret_arn and self.env not in LOCAL_ENVS:
            raise SettingsError(f"ITC_QB_TOKEN is for local runs only (ITC_ENV={self.env!r}); "
                                "set ITC_QB_TOKEN_SECRET_ARN")
        if not self.qb_base_url.startswith(("https://", "http://")):
            raise SettingsError(f"ITC_QB_BASE_URL={self.qb_base_url!r} is not an http(s) URL")
        if self.qb_base_url.startswith("http://") and self.env not in LOCAL_ENVS:
            raise SettingsError(f"ITC_QB_BASE_URL must use https outside local runs (ITC_ENV={self.env!r})")


Settings = ExtractSettings  # the name every Lambda's settings module gives its own


def settings_classes() -> dict[str, tuple[type, ...]]:
    """Mode -> every settings class the function reads in it (the load's classes imported here, not at module
    level: the extract does not load them)."""
    from itc_common_utilities.pipeline_settings import pipeline_settings_classes

    return pipeline_settings_classes(ExtractSettings)


def load(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> ExtractSettings:
    """The extract's settings; ``overrides`` (field name → value, the event's ``overrides``) win over the
    environment; a missing or malformed variable raises SettingsError naming it."""
    return load_settings(ExtractSettings, overrides, environ)
