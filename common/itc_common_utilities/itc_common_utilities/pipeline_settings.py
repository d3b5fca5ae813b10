"""The settings classes a pipeline function (demand, Verify+) reads, per mode: each pipeline's
``settings_classes()``, from which the env table of docs/CONTRACTS.md is generated
(``scripts/build/env_table.py``). Its own module: it names classes from modules that import the settings."""

from __future__ import annotations

from itc_common_utilities.limits import SnapshotLimits
from itc_common_utilities.loader.approval import ForceApprovalSettings
from itc_common_utilities.settings import (
    DatabaseSettings,
    FunctionSettings,
    LoaderSettings,
    LoadGuardSettings,
    LoggingSettings,
    TimeWindowSettings,
)
from itc_common_utilities.signature import ManifestMacSettings


def pipeline_settings_classes(extract_settings: type) -> dict[str, tuple[type, ...]]:
    """Mode -> every settings class the function reads in it: its own extract settings and the keys in
    ``extract``; the connection, guards, loader, limits, time window, keys and force approvals in ``load``."""
    always = (FunctionSettings, LoggingSettings)
    return {"extract": (extract_settings, ManifestMacSettings, *always),
            "load": (DatabaseSettings, LoadGuardSettings, LoaderSettings, SnapshotLimits, TimeWindowSettings,
                     ManifestMacSettings, ForceApprovalSettings, *always)}
