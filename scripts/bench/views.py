"""The view refresh after the bench's first load: the orchestrator's own ``refresh_views`` (what ``itc refresh``
and the refresh state machine run: every curated/analytics materialized view in ``view_order``, one
transaction, the first time a plain refresh since no view is populated yet), timed end to end, with the
slowest views. Target: no longer than the load itself.
"""

from __future__ import annotations

import logging
import time
from typing import Any

SLOWEST = 5


def refresh_all_views(dsn: str) -> dict[str, Any]:
    """Refresh every view of the database at ``dsn``; ``{"seconds", "views": [{"view", "rows", "duration_ms"}]}``."""
    import psycopg2

    from itc_common_utilities.logger.logger_setup import setup_logger
    from orchestrator.refresh import refresh_views

    logger = setup_logger("bench-refresh", level="WARNING")
    logger.setLevel(logging.WARNING)
    conn = psycopg2.connect(dsn)
    try:
        started = time.perf_counter()
        summary = refresh_views(conn, logger)
        seconds = time.perf_counter() - started
    finally:
        conn.close()
    return {"seconds": seconds, "views": summary["views"]}


def print_refresh(refresh: dict[str, Any], load_seconds: float, width: int) -> None:
    """The refresh line beside its target, then the slowest views."""
    met = "MET" if refresh["seconds"] <= load_seconds else "MISSED"
    print(f"  {'refresh of every view after it (s)':<{width}}{refresh['seconds']:>22,.1f}   ≤ the load's own time "
          f"= {load_seconds:,.1f}  {met}  ({len(refresh['views'])} views)")
    slowest = sorted(refresh["views"], key=lambda v: v["duration_ms"], reverse=True)[:SLOWEST]
    print("    slowest: " + ", ".join(f"{v['view']} {v['duration_ms'] / 1000:,.2f} s ({v['rows']:,} rows)"
                                     for v in slowest))
