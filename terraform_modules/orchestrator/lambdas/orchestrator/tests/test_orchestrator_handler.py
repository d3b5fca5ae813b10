"""orchestrator.main: the three modes through the handler's run(), against a real empty PostgreSQL."""

from __future__ import annotations

import pytest
from orchestrator_testkit import rows

from itc_common_utilities.errors import TerminalError
from orchestrator.main import run
from orchestrator.migrate import REPO_SCRIPTS, scripts_dir


def test_given_an_empty_database_when_migrate_then_refresh_then_every_script_applied_and_views_refreshed(empty_db_dsn):
    """GIVEN an empty database and ITC_BUSINESS_TZ=America/Chicago WHEN mode migrate runs twice, then refresh
    THEN every script is applied once, the time zone is stored, and every view is refreshed."""
    env = {"ITC_DATABASE_URL": empty_db_dsn, "ITC_BUSINESS_TZ": "America/Chicago"}
    first = run({"mode": "migrate"}, environ=env)
    expected = sorted(p.name for p in REPO_SCRIPTS.glob("[0-9]*_*.sql"))
    assert first["applied"] == expected
    assert first["business_tz_changed"] is True
    second = run({"mode": "migrate"}, environ=env)
    assert second["applied"] == [] and second["business_tz_changed"] is False
    refreshed = run({"mode": "refresh"}, environ=env)
    assert {v["view"] for v in refreshed["views"]} >= {"curated.demands_uploaded", "analytics.demands_summary"}
    import psycopg2

    conn = psycopg2.connect(empty_db_dsn)
    try:
        assert rows(conn, "SELECT ref.business_time_zone()") == [("America/Chicago",)]
    finally:
        conn.close()


def test_given_no_loads_when_quality_mode_runs_then_it_raises_for_the_state_machine(db_dsn):
    """GIVEN a migrated warehouse with no loads WHEN mode quality runs THEN it raises (so Step Functions alerts)."""
    run({"mode": "refresh"}, environ={"ITC_DATABASE_URL": db_dsn})
    with pytest.raises(TerminalError, match="no succeeded load yet"):
        run({"mode": "quality", "run_id": "r-1"}, environ={"ITC_DATABASE_URL": db_dsn})


@pytest.mark.parametrize(("event", "environ", "message"), [
    ({"mode": "load"}, {"ITC_DATABASE_URL": "postgresql://x@h/x"}, "must be one of refresh, quality, migrate"),
    ({}, {"ITC_DATABASE_URL": "postgresql://x@127.0.0.1:1/x"}, "must be one of"),
    ({"mode": "refresh"}, {}, "set ITC_DATABASE_URL, or ITC_DB_HOST"),
    ({"mode": "refresh"}, {"ITC_DATABASE_URL": "postgresql://x@h/x", "ITC_FRESHNESS_HOURS": "-1"},
     "ITC_FRESHNESS_HOURS='-1' is not valid"),
    ({"mode": "refresh"}, {"ITC_DATABASE_URL": "postgresql://x@h/x", "ITC_BUSINESS_TZ": "Mars/Base"},
     "ITC_BUSINESS_TZ='Mars/Base' is not valid"),
])
def test_given_a_bad_event_or_setting_when_invoked_then_a_terminal_error_names_it(event, environ, message):
    """GIVEN a bad mode or environment variable WHEN invoked THEN a TerminalError names the problem (no connection)."""
    with pytest.raises(TerminalError, match=message):
        run(event, environ=environ)


def test_given_no_packaged_scripts_when_resolving_then_the_repository_scripts_are_used(tmp_path):
    """GIVEN no sql_scripts beside the package
    WHEN resolving THEN the repository folder is found; a bad override errors."""
    assert scripts_dir() == REPO_SCRIPTS
    with pytest.raises(TerminalError, match="no SQL migration scripts found"):
        scripts_dir(tmp_path)
