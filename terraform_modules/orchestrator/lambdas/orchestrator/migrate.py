"""Apply the warehouse's numbered SQL scripts (forward-only, checksummed) and the business time zone.

In the Lambda zip the scripts sit at ``orchestrator/sql_scripts/`` (added by
``scripts/build/package_lambdas.py``); in the repository they are
``terraform_modules/itc_data_warehouse/sql_scripts/``. ``ITC_SQL_SCRIPTS_DIR`` overrides both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg2.extensions

from itc_common_utilities.errors import TerminalError, translate_errors
from itc_common_utilities.logger.logger_setup import setup_logger
from itc_common_utilities.migrations import MigrationError, apply_migrations

PACKAGED_SCRIPTS = Path(__file__).resolve().parent / "sql_scripts"
REPO_SCRIPTS = Path(__file__).resolve().parents[3] / "itc_data_warehouse" / "sql_scripts"


def scripts_dir(override: str | Path | None = None) -> Path:
    """The folder of the numbered scripts: ``override``, else the packaged copy, else the repository's."""
    candidates = [Path(override)] if override else [PACKAGED_SCRIPTS, REPO_SCRIPTS]
    for path in candidates:
        if path.is_dir() and any(path.glob("[0-9]*_*.sql")):
            return path
    raise TerminalError(f"no SQL migration scripts found in {', '.join(str(p) for p in candidates)}")


def set_business_time_zone(conn: psycopg2.extensions.connection, time_zone: str) -> bool:
    """Make ref.settings' business_time_zone ``time_zone``; True when it changed (refresh afterwards)."""
    with conn.cursor() as cur, translate_errors("setting the business time zone"):
        cur.execute(
            "UPDATE ref.settings SET value = %s WHERE key = 'business_time_zone' AND value IS DISTINCT FROM %s",
            (time_zone, time_zone),
        )
        changed = cur.rowcount > 0
    conn.commit()
    return changed


def migrate(
    conn: psycopg2.extensions.connection,
    *,
    scripts: str | Path | None = None,
    business_tz: str | None = None,
    logger: Any = None,
) -> dict[str, Any]:
    """Apply the scripts not yet applied; returns ``{"applied": [...], "scripts_dir", "business_tz_changed"}``.

    An edited, already applied script or a failing script raises TerminalError naming the file.
    """
    log = logger or setup_logger("orchestrator")
    folder = scripts_dir(scripts)
    try:
        with translate_errors("migrating the warehouse"):
            applied = apply_migrations(conn, folder)
    except MigrationError as exc:
        raise TerminalError(str(exc)) from exc
    changed = set_business_time_zone(conn, business_tz) if business_tz else False
    log.info("migrations applied", extra={"applied": applied, "scripts_dir": str(folder),
                                          "business_tz_changed": changed})
    return {"applied": applied, "scripts_dir": str(folder), "business_tz_changed": changed}
