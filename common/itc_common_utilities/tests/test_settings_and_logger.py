"""Settings resolution and the JSON logger's redaction."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from itc_common_utilities.logger import setup_logger
from itc_common_utilities.logger.logger_setup import redact, set_run_id
from itc_common_utilities.settings import (
    DatabaseSettings,
    SettingsError,
    env_field,
    load_settings,
    parse_positive_int,
)


@dataclass(frozen=True)
class _Example:
    bucket: str = env_field("ITC_LANDING_BUCKET")
    segments: int = env_field("ITC_SCAN_SEGMENTS", default=4, parse=parse_positive_int)
    token: str | None = env_field("ITC_QB_TOKEN", default=None, secret=True)


def test_argument_wins_over_env_over_default():
    """GIVEN an argument, an environment variable and a default WHEN loaded THEN the argument wins over the
    environment, which wins over the default."""
    env = {"ITC_LANDING_BUCKET": "from-env", "ITC_SCAN_SEGMENTS": "8"}
    assert load_settings(_Example, {"bucket": "from-arg"}, env).bucket == "from-arg"
    assert load_settings(_Example, {}, env).segments == 8
    assert load_settings(_Example, {}, {"ITC_LANDING_BUCKET": "b"}).segments == 4


def test_given_missing_required_variable_when_loaded_then_error_names_it():
    with pytest.raises(SettingsError, match="ITC_LANDING_BUCKET"):
        load_settings(_Example, {}, {})


def test_given_malformed_value_when_loaded_then_error_names_variable_and_value():
    with pytest.raises(SettingsError, match=r"ITC_SCAN_SEGMENTS='zero' is not valid"):
        load_settings(_Example, {}, {"ITC_LANDING_BUCKET": "b", "ITC_SCAN_SEGMENTS": "zero"})


def test_given_malformed_secret_when_loaded_then_error_hides_the_value():
    @dataclass(frozen=True)
    class Secretive:
        port: int = env_field("ITC_SECRET_PORT", parse=int, secret=True)

    with pytest.raises(SettingsError) as err:
        load_settings(Secretive, {}, {"ITC_SECRET_PORT": "hunter2"})
    assert "hunter2" not in str(err.value) and "<hidden>" in str(err.value)


def test_given_settings_when_built_then_they_are_frozen():
    settings = load_settings(_Example, {}, {"ITC_LANDING_BUCKET": "b"})
    with pytest.raises(AttributeError):
        settings.bucket = "other"  # type: ignore[misc]


def test_host_without_credentials_source_is_a_clear_error():
    """GIVEN a host without a credentials source (or no database at all, or a bad sslmode) WHEN database
    settings are built THEN a clear error names the missing or bad variable."""
    with pytest.raises(SettingsError, match="ITC_DB_SECRET_ARN"):
        load_settings(DatabaseSettings, {}, {"ITC_DB_HOST": "db.internal"})
    with pytest.raises(SettingsError, match="ITC_DATABASE_URL"):
        load_settings(DatabaseSettings, {}, {})
    with pytest.raises(SettingsError, match="sslmode"):
        load_settings(DatabaseSettings, {}, {"ITC_DATABASE_URL": "postgresql:///x", "ITC_DB_SSLMODE": "sometimes"})


def test_given_nested_secrets_when_redacted_then_keys_and_dsn_passwords_are_masked():
    out = redact({
        "password": "p4ss", "nested": {"QB_TOKEN": "t0k", "rows": 3},
        "dsn_text": "postgresql://loader:s3cret@db:5432/itc", "msg": "host=db password=s3cret user=x",
        "header": "Authorization: QB-USER-TOKEN b7x_secret",
    })
    text = json.dumps(out)
    for secret in ("p4ss", "t0k", "s3cret", "b7x_secret"):
        assert secret not in text
    assert out["nested"]["rows"] == 3


def test_log_is_one_json_line_with_service_run_id_redacted(capsys):
    """GIVEN a logger WHEN logging THEN one JSON line with the service and run id, secrets redacted."""
    logger = setup_logger("itc_test_service")
    set_run_id(logger, "run-42")
    logger.info("loaded", extra={"table": "raw.cases", "rows": 10, "db_password": "pw-value",
                                 "target": "postgresql://u:pw-value@h/db"})
    line = capsys.readouterr().out.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["service"] == "itc_test_service"
    assert record["correlation_id"] == "run-42" and record["run_id"] == "run-42"
    assert record["table"] == "raw.cases" and record["rows"] == 10
    assert "pw-value" not in line


def test_metric_is_one_emf_line_naming_namespace_and_dimensions(capsys, monkeypatch):
    """GIVEN a metric WHEN emitted THEN one EMF line names the namespace, the metric and its dimensions."""
    from itc_common_utilities import metrics

    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "demand_pipeline")
    monkeypatch.delenv("ITC_METRICS_NAMESPACE", raising=False)
    monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE", raising=False)
    metrics.emit("RecordsRejected", 3, {"Source": "demand"})
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    [directive] = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "ITC"
    assert directive["Metrics"][0]["Name"] == "RecordsRejected"
    assert record["RecordsRejected"] == [3.0] or record["RecordsRejected"] == 3.0
    assert record["Source"] == "demand" and record["service"] == "demand_pipeline"


def test_loader_settings_name_a_bad_worker_count(monkeypatch):
    """GIVEN ITC_LOAD_WORKERS unset, empty, 3, 'two' and 17 WHEN the load reads its worker count
    THEN 1, 1 and 3, then a SettingsError naming the variable, its value and the rule."""
    from itc_common_utilities.loader.workers import load_workers

    monkeypatch.delenv("ITC_LOAD_WORKERS", raising=False)
    assert load_workers() == 1
    for text, expected in (("", 1), ("3", 3)):
        monkeypatch.setenv("ITC_LOAD_WORKERS", text)
        assert load_workers() == expected
    for text, problem in (("two", "expected a whole number"), ("17", "must be between 1 and 16")):
        monkeypatch.setenv("ITC_LOAD_WORKERS", text)
        with pytest.raises(SettingsError, match=rf"ITC_LOAD_WORKERS='{text}' is not valid: {problem}"):
            load_workers()


def test_read_setting_reads_one_field_without_the_rest():
    """GIVEN no database variable at all (a whole DatabaseSettings would be refused)
    WHEN one field is read with read_setting (the connect timeout of a bare DSN)
    THEN its default or its parsed variable comes back; a bad value or an unknown field is a SettingsError."""
    from itc_common_utilities.settings import read_setting

    with pytest.raises(SettingsError, match="set ITC_DATABASE_URL"):
        load_settings(DatabaseSettings, {}, {})
    assert read_setting(DatabaseSettings, "connect_timeout_s", {}) == 10
    assert read_setting(DatabaseSettings, "connect_timeout_s", {"ITC_DB_CONNECT_TIMEOUT_S": "3"}) == 3
    with pytest.raises(SettingsError, match=r"ITC_DB_CONNECT_TIMEOUT_S='0' is not valid"):
        read_setting(DatabaseSettings, "connect_timeout_s", {"ITC_DB_CONNECT_TIMEOUT_S": "0"})
    with pytest.raises(SettingsError, match="DatabaseSettings has no setting 'timeout'"):
        read_setting(DatabaseSettings, "timeout", {})


def test_metric_namespace_falls_back_to_powertools_then_itc(capsys, monkeypatch):
    """GIVEN POWERTOOLS_METRICS_NAMESPACE=Other and no ITC_METRICS_NAMESPACE, then both set
    WHEN a metric is emitted each time
    THEN the first goes to Other, the second to ITC_METRICS_NAMESPACE's (one rule, LoggingSettings)."""
    from itc_common_utilities import metrics

    monkeypatch.delenv("ITC_METRICS_NAMESPACE", raising=False)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Other")
    metrics.emit("RecordsLoaded", 1, {"Source": "demand"})
    monkeypatch.setenv("ITC_METRICS_NAMESPACE", "ITC-beta")
    metrics.emit("RecordsLoaded", 1, {"Source": "demand"})
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()[-2:]]
    assert [line["_aws"]["CloudWatchMetrics"][0]["Namespace"] for line in lines] == ["Other", "ITC-beta"]
