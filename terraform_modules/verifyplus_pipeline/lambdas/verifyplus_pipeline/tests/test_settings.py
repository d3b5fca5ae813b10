"""ExtractSettings: argument → environment → default, with clear errors at cold start."""

from __future__ import annotations

import pytest

from itc_common_utilities.settings import SettingsError, load_settings
from verifyplus_pipeline.settings import ExtractSettings

BASE = {"ITC_LANDING_BUCKET": "b", "ITC_QB_REALM": "r.quickbase.com", "ITC_QB_TABLE_ID": "t",
        "ITC_QB_REPORT_ID": "12", "ITC_QB_TOKEN_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:qb"}


def test_given_the_aws_environment_when_loaded_then_defaults_fill_the_rest():
    s = load_settings(ExtractSettings, environ={**BASE, "ITC_ENV": "beta", "ITC_QB_PAGE_SIZE": "500"})
    assert s.qb_base_url == "https://api.quickbase.com" and s.qb_page_size == 500 and s.qb_timeout_s == 30.0
    assert s.allow_empty is False


def test_given_missing_variables_when_loaded_then_the_error_names_them():
    env = {k: v for k, v in BASE.items() if k not in ("ITC_QB_REALM", "ITC_QB_TABLE_ID")}
    with pytest.raises(SettingsError, match="ITC_QB_REALM, ITC_QB_TABLE_ID"):
        load_settings(ExtractSettings, environ=env)


def test_given_no_token_source_when_loaded_then_the_error_says_where_to_put_it():
    env = {k: v for k, v in BASE.items() if k != "ITC_QB_TOKEN_SECRET_ARN"}
    with pytest.raises(SettingsError, match="ITC_QB_TOKEN_SECRET_ARN"):
        load_settings(ExtractSettings, environ=env)


def test_given_a_bad_page_size_when_loaded_then_the_error_names_the_variable():
    with pytest.raises(SettingsError, match="ITC_QB_PAGE_SIZE='0' is not valid"):
        load_settings(ExtractSettings, environ={**BASE, "ITC_QB_PAGE_SIZE": "0"})


def test_local_token_in_local_run_is_accepted_and_hidden():
    """GIVEN a plain token in a local run WHEN the settings are loaded THEN it is accepted and hidden in the
    description."""
    env = {k: v for k, v in BASE.items() if k != "ITC_QB_TOKEN_SECRET_ARN"}
    s = load_settings(ExtractSettings, environ={**env, "ITC_QB_TOKEN": "tok", "ITC_ENV": "local",
                                                "ITC_QB_BASE_URL": "http://127.0.0.1:1"})
    assert s.qb_token == "tok"
    from itc_common_utilities.settings import describe
    assert describe(s)["qb_token"] == "***"
