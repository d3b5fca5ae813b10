"""Lambda handler of the orchestrator: ``orchestrator.main.handler``.

The shape every ITC handler shares (:mod:`itc_common_utilities.handler`):

- ``{"mode": "refresh"}``: refresh the curated and analytics views.
- ``{"mode": "quality"}``: run the quality checks of ``ITC_QUALITY_SOURCES`` (one source:
  ``"overrides": {"quality_sources": "demand"}``); a failed check raises ``QualityCheckError``.
- ``{"mode": "migrate"}``: apply the SQL migration scripts (the folder of ``ITC_SQL_SCRIPTS_DIR`` or the
  zip's own). Pinned: an event with ``overrides`` is refused (``BadEventError``) before anything connects.
- ``"overrides"``: ``{"<OrchestratorSettings field>": value}`` of its tunable fields only
  (``quality_sources``), winning over the environment.

The orchestrator has no default mode: every event names one (Step Functions always passes it, with
``run_id`` as the log correlation id). Returns ``{"mode": ..., ...}``, a small JSON summary. A bad
event raises ``BadEventError``; other errors surface as ``TransientError`` (Step Functions retries
them), ``TerminalError`` / ``SettingsError`` / ``QualityCheckError`` (it alerts).
"""

from __future__ import annotations

from typing import Any

from itc_common_utilities.db import connect
from itc_common_utilities.handler import Invocation, handle
from itc_common_utilities.logger.logger_setup import setup_logger
from itc_common_utilities.metrics import namespace
from orchestrator import settings as settings_module
from orchestrator.migrate import migrate
from orchestrator.quality import run_quality_checks
from orchestrator.refresh import refresh_views

SERVICE = "orchestrator"
MODES = ("refresh", "quality", "migrate")
logger = setup_logger(SERVICE)


def run(invocation: Invocation) -> dict[str, Any]:
    """Build the settings (event ``overrides`` win), connect, run the mode's plain function."""
    if invocation.mode == "migrate" and "overrides" in invocation.event:
        raise invocation.bad("mode 'migrate' takes no 'overrides': it applies the scripts and settings of "
                             "its configuration only")
    loaded = settings_module.load(invocation.overrides)
    settings = loaded.orchestrator
    conn = connect(loaded.database, application_name="itc-orchestrator")
    try:
        if invocation.mode == "refresh":
            result = refresh_views(conn, logger)
        elif invocation.mode == "quality":
            result = run_quality_checks(
                conn, sources=settings.quality_sources, freshness_hours=settings.freshness_hours,
                expected_time_zone=settings.business_tz, metrics_namespace=namespace(),
                check_run_id=invocation.event.get("run_id"), logger=logger,
            )
            result = {k: v for k, v in result.items() if k != "results"}  # keep the Step Functions payload small
        else:
            result = migrate(conn, scripts=settings.sql_scripts_dir, business_tz=settings.business_tz, logger=logger)
    finally:
        conn.close()
    return {"mode": invocation.mode, **result}


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Lambda entry point: event → mode, then :func:`run` (the orchestrator has no default mode)."""
    return handle(event, context, service=SERVICE, logger=logger, settings=[settings_module.OrchestratorSettings],
                  runs=dict.fromkeys(MODES, run))
