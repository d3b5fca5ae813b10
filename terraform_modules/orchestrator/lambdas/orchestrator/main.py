"""Lambda handler of the orchestrator: ``{"mode": "refresh" | "quality" | "migrate", ...}``.

Thin: read the mode, build the settings (validated: a bad variable fails with its name), connect,
call the plain function, return its small JSON summary. Step Functions passes ``mode`` (and
``run_id``, used as the log correlation id). Errors surface as ``TransientError`` (Step Functions
retries them) or ``TerminalError`` / ``QualityCheckError`` (it alerts).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from itc_common_utilities.db import connect
from itc_common_utilities.errors import TerminalError
from itc_common_utilities.logger.logger_setup import set_run_id, setup_logger
from itc_common_utilities.settings import SettingsError
from orchestrator import settings as settings_module
from orchestrator.migrate import migrate
from orchestrator.quality import run_quality_checks
from orchestrator.refresh import refresh_views

MODES = ("refresh", "quality", "migrate")
logger = setup_logger("orchestrator")


def run(event: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Do what ``event`` asks; ``environ`` replaces os.environ (tests and the CLI)."""
    mode = event.get("mode")
    if mode not in MODES:
        raise TerminalError(f"orchestrator: event 'mode' must be one of {', '.join(MODES)} (got {mode!r})")
    try:
        settings, db = settings_module.load(environ=environ)
    except SettingsError as exc:
        raise TerminalError(f"orchestrator settings: {exc}") from None
    conn = connect(db, application_name="itc-orchestrator")
    try:
        if mode == "refresh":
            result = refresh_views(conn, logger)
        elif mode == "quality":
            sources = event.get("sources") or settings.quality_sources
            result = run_quality_checks(
                conn, sources=sources, freshness_hours=settings.freshness_hours,
                expected_time_zone=settings.business_tz, metrics_namespace=settings.metrics_namespace,
                check_run_id=event.get("run_id"), logger=logger,
            )
            result = {k: v for k, v in result.items() if k != "results"}  # keep the Step Functions payload small
        else:
            result = migrate(conn, scripts=settings.sql_scripts_dir, business_tz=settings.business_tz, logger=logger)
    finally:
        conn.close()
    return {"mode": mode, **result}


def handler(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """AWS Lambda entry point (``orchestrator.main.handler``)."""
    run_id = str(event.get("run_id") or getattr(context, "aws_request_id", "") or "local")
    set_run_id(logger, run_id)
    logger.info("orchestrator invoked", extra={"mode": event.get("mode")})
    return run(event)
