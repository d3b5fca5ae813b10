"""Event overrides are tuning only: whoever may invoke a function cannot point it somewhere else.

An event's ``overrides`` may set a page size, a timeout, a worker count (``env_field(..., tunable=True)``);
an endpoint, the environment name, a secret, a key, a bucket or a script path comes from the function's
configuration only. The Verify+ extract as AWS runs it (token from Secrets Manager in moto, landing
bucket in moto S3) against two Quickbase simulators over real HTTP: the configured one, and the host an
attacker's event names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from demand_pipeline import main as demand_main
from itc_common_utilities.handler import BadEventError
from scripts.stack.quickbase_simulator import QuickbaseSimulator
from scripts.synthetic.verifyplus import SyntheticConfig, VerifyPlusDataset
from verifyplus_pipeline import main as verifyplus_main

BUCKET = "itc-overrides-landing"
TOKEN = "sm-held-token-9c1e"  # a test token held in the moto secret


@pytest.fixture
def quickbase(moto: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto (S3, Secrets Manager, KMS), the configured Quickbase simulator and an attacker's one; the Verify+
    extract's environment points at the configured one."""
    monkeypatch.delenv("ITC_QB_TOKEN", raising=False)
    dataset = VerifyPlusDataset(SyntheticConfig(records=50, seed=3))
    with QuickbaseSimulator(dataset, token=TOKEN) as configured, QuickbaseSimulator(dataset, token=TOKEN) as attacker:
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        arn = boto3.client("secretsmanager").create_secret(
            Name="itc/quickbase", SecretString=json.dumps({"token": TOKEN}))["ARN"]
        env = {"ITC_ENV": "local", "ITC_LANDING_BUCKET": BUCKET, "ITC_QB_BASE_URL": configured.base_url,
               "ITC_QB_REALM": configured.realm, "ITC_QB_TABLE_ID": configured.table_id,
               "ITC_QB_REPORT_ID": configured.report_id, "ITC_QB_TOKEN_SECRET_ARN": arn, "ITC_QB_BACKOFF_S": "0.01"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield {"s3": s3, "configured": configured, "attacker": attacker}


def landed(s3: Any) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_overriding_the_quickbase_host_is_refused_before_any_request(quickbase: dict[str, Any]) -> None:
    """GIVEN the Verify+ extract configured for one Quickbase host WHEN an extract event overrides
    ``qb_base_url`` to another host (with ``env`` too, as the attack would) THEN the event is refused
    naming the setting, neither host receives a single request (the token never leaves), nothing lands."""
    attacker = quickbase["attacker"]
    for overrides in ({"qb_base_url": attacker.base_url}, {"qb_base_url": attacker.base_url, "env": "local"}):
        with pytest.raises(BadEventError, match="refusing .*qb_base_url.*configuration only"):
            verifyplus_main.handler({"mode": "extract", "run_id": "r1", "overrides": overrides})

    assert attacker.stats.requests == 0
    assert quickbase["configured"].stats.requests == 0
    assert landed(quickbase["s3"]) == []


@pytest.mark.parametrize("setting", ["landing_bucket", "qb_token", "qb_token_secret_arn", "qb_realm", "env",
                                     "qb_max_response_bytes", "allow_empty"])
def test_verifyplus_refuses_overrides_of_configuration(quickbase: dict[str, Any], setting: str) -> None:
    """GIVEN the Verify+ extract WHEN an event overrides a setting that is not tuning (a bucket, a secret, the
    realm, the environment, a limit, a guard) THEN it is refused naming that setting; nothing is requested."""
    with pytest.raises(BadEventError, match=f"refusing {setting}:"):
        verifyplus_main.handler({"mode": "extract", "run_id": "r1", "overrides": {setting: "x"}})
    assert quickbase["configured"].stats.requests == 0


def test_tuning_overrides_are_still_taken(quickbase: dict[str, Any]) -> None:
    """GIVEN the Verify+ extract WHEN an event overrides the page size and a timeout (tuning) THEN the extract
    runs against the configured host only, in pages of that size."""
    summary = verifyplus_main.handler({"mode": "extract", "run_id": "r2",
                                       "overrides": {"qb_page_size": "20", "qb_timeout_s": 5}})
    assert (summary["records"], summary["pages"]) == (50, 3)
    assert quickbase["configured"].stats.requests > 0 and quickbase["attacker"].stats.requests == 0


@pytest.mark.parametrize("setting", ["landing_bucket", "exchange_role_arn", "exchange_env", "env",
                                     "landing_kms_key_arn", "extract_modes"])
def test_demand_refuses_overrides_of_configuration(setting: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN the demand extract WHEN an event overrides where it reads or writes (bucket, Exchange role or
    tables, environment, key, extract mode) THEN it is refused naming that setting, before any client."""
    monkeypatch.setenv("ITC_LANDING_BUCKET", BUCKET)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: a client call would fail
    with pytest.raises(BadEventError, match=f"refusing {setting}:"):
        demand_main.handler({"mode": "extract", "run_id": "r1", "overrides": {setting: "x"}})
