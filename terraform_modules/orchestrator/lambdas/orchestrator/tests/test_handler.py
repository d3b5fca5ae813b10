"""orchestrator.main.handler: the three modes, the bad-event error and overrides, against a real PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from itc_common_utilities.errors import TerminalError
from itc_common_utilities.handler import BadEventError
from itc_common_utilities.settings import SettingsError
from orchestrator.main import handler
from orchestrator.migrate import REPO_SCRIPTS, scripts_dir
from tests.warehouse.kit import rows

EVENTS = Path(__file__).parent / "events"
SETTINGS_VARIABLES = ("ITC_DATABASE_URL", "ITC_DB_HOST", "ITC_BUSINESS_TZ", "ITC_FRESHNESS_HOURS",
                      "ITC_QUALITY_SOURCES", "ITC_SQL_SCRIPTS_DIR")


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch):
    """The handler's environment: none of its settings variables set; the test sets the ones it needs."""
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_env


def test_migrate_then_refresh_an_empty_database(environ, empty_db_dsn):
    """GIVEN an empty database and ITC_BUSINESS_TZ=America/Chicago WHEN mode migrate runs twice, then refresh
    THEN every script is applied once, the time zone is stored, and every view is refreshed."""
    environ(ITC_DATABASE_URL=empty_db_dsn, ITC_BUSINESS_TZ="America/Chicago")
    first = handler(event("migrate.json"))
    expected = sorted(p.name for p in REPO_SCRIPTS.glob("[0-9]*_*.sql"))
    assert first["mode"] == "migrate" and first["applied"] == expected
    assert first["business_tz_changed"] is True
    second = handler(event("migrate.json"))
    assert second["applied"] == [] and second["business_tz_changed"] is False
    refreshed = handler(event("step_functions_refresh.json"))
    assert refreshed["mode"] == "refresh"
    assert {v["view"] for v in refreshed["views"]} >= {"curated.demands_uploaded", "analytics.demands_summary"}
    conn = psycopg2.connect(empty_db_dsn)
    try:
        assert rows(conn, "SELECT ref.business_time_zone()") == [("America/Chicago",)]
    finally:
        conn.close()


def test_given_no_loads_when_quality_mode_runs_then_it_raises_for_the_state_machine(environ, db_dsn):
    """GIVEN a migrated warehouse with no loads WHEN mode quality runs THEN it raises (so Step Functions alerts)."""
    environ(ITC_DATABASE_URL=db_dsn)
    handler(event("step_functions_refresh.json"))
    with pytest.raises(TerminalError, match="no succeeded load yet"):
        handler(event("step_functions_quality.json"))


def test_given_overrides_when_quality_runs_then_they_win_over_the_environment(environ, db_dsn):
    """GIVEN ITC_QUALITY_SOURCES=demand,verifyplus and the event's overrides {"quality_sources": "demand"}
    WHEN mode quality runs THEN only the demand source is checked (the same overrides as every Lambda)."""
    environ(ITC_DATABASE_URL=db_dsn, ITC_QUALITY_SOURCES="demand,verifyplus")
    handler({"mode": "refresh"})
    with pytest.raises(TerminalError) as failed:
        handler({"mode": "quality", "run_id": "r-2", "overrides": {"quality_sources": "demand"}})
    assert "demand" in str(failed.value) and "verifyplus" not in str(failed.value)


@pytest.mark.parametrize(("event", "message"), [
    ({"mode": "load"}, "orchestrator: bad event: 'mode' must be one of refresh, quality, migrate (got 'load')"),
    ({}, "orchestrator: bad event: no 'mode' (expected one of refresh, quality, migrate)"),
    ({"bucket": "b", "key": "demand/run=r/_manifest.json"}, "orchestrator: bad event: no 'mode'"),
    (["refresh"], "orchestrator: bad event: the event must be a JSON object (got list)"),
    ({"mode": "refresh", "overrides": {"freshness": 1}},
     "orchestrator: bad event: 'overrides' names unknown setting(s) freshness (known: business_tz, env, "),
    ({"mode": "quality", "overrides": {"quality_sources": "nobody"}},
     "orchestrator: bad event: 'overrides.quality_sources'='nobody' is not valid"),
    ({"mode": "refresh", "overrides": {"freshness_hours": 1}},
     "orchestrator: bad event: 'overrides' may set only tuning settings (quality_sources); refusing "
     "freshness_hours"),
    ({"mode": "refresh", "overrides": "freshness_hours=1"},
     "orchestrator: bad event: 'overrides' must be a JSON object of settings (got str)"),
])
def test_bad_event_error_names_the_problem(environ, event, message):
    """GIVEN an event with a bad or missing mode, or bad overrides WHEN invoked
    THEN a BadEventError (a TerminalError: never retried) names the problem, before any connection."""
    environ(ITC_DATABASE_URL="postgresql://x@127.0.0.1:1/x")
    with pytest.raises(BadEventError) as bad:
        handler(event)
    assert str(bad.value).startswith(message)
    assert isinstance(bad.value, TerminalError)


@pytest.mark.parametrize(("env", "message"), [
    ({}, "set ITC_DATABASE_URL, or ITC_DB_HOST"),
    ({"ITC_DATABASE_URL": "postgresql://x@h/x", "ITC_FRESHNESS_HOURS": "-1"}, "ITC_FRESHNESS_HOURS='-1' is not valid"),
    ({"ITC_DATABASE_URL": "postgresql://x@h/x", "ITC_BUSINESS_TZ": "Mars/Base"},
     "ITC_BUSINESS_TZ='Mars/Base' is not valid"),
])
def test_given_a_bad_setting_when_invoked_then_a_settings_error_names_the_variable(environ, env, message):
    """GIVEN a missing or malformed environment variable WHEN invoked THEN a SettingsError names it (no connection)."""
    environ(**env)
    with pytest.raises(SettingsError, match=message):
        handler({"mode": "refresh"})


def test_repository_scripts_used_when_none_packaged(tmp_path):
    """GIVEN no sql_scripts beside the package
    WHEN resolving THEN the repository folder is found; a bad override errors."""
    assert scripts_dir() == REPO_SCRIPTS
    with pytest.raises(TerminalError, match="no SQL migration scripts found"):
        scripts_dir(tmp_path)


@pytest.mark.parametrize("overrides", [{"sql_scripts_dir": "/tmp/attacker-scripts"}, {"quality_sources": "demand"},
                                       {"business_tz": "Europe/Paris"}, {}],
                         ids=["sql_scripts_dir", "a tunable setting", "business_tz", "empty"])
def test_migrate_function_refuses_overrides(environ, empty_db_dsn, tmp_path, monkeypatch, overrides):
    """GIVEN the function deployed for mode migrate (ITC_FUNCTION_MODE=migrate) and an empty database, and a
    folder of an attacker's SQL script WHEN a migrate event carries overrides (the scripts folder, a
    tunable setting, the time zone, or none at all) THEN it is refused naming the problem before anything
    connects: no script runs, the database stays empty."""
    environ(ITC_DATABASE_URL=empty_db_dsn, ITC_FUNCTION_MODE="migrate")
    (tmp_path / "01_attack.sql").write_text("CREATE TABLE public.attacker_was_here (x int);")
    given = {k: (str(tmp_path) if k == "sql_scripts_dir" else v) for k, v in overrides.items()}
    with pytest.raises(BadEventError, match="refusing (sql_scripts_dir|business_tz)|takes no 'overrides'") as bad:
        handler({"mode": "migrate", "overrides": given})
    assert ("refusing sql_scripts_dir" in str(bad.value)) == ("sql_scripts_dir" in overrides)
    conn = psycopg2.connect(empty_db_dsn)
    try:
        assert rows(conn, "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN "
                          "('pg_catalog', 'information_schema')") == [(0,)]
    finally:
        conn.close()
