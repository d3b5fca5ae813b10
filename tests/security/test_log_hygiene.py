"""Secrets and PHI never reach logs or error messages (docs/design.md §6).

A small full run in process — the Lambda handlers called with their state machines' events: both
extracts (moto server over HTTP, Quickbase simulator over HTTP), each load AS its source's login
(itc_loader_demand, itc_loader_verifyplus), refresh and quality AS itc_refresher (each logging in with
its own password) — plus the failures an operator meets (a wrong Quickbase token, a wrong database
password, a login refused a privilege). Every log line the handlers write and every error message is
captured; none may contain the Quickbase token, a database password, a DSN with a password, the AWS
secret key, or any PHI value of the synthetic data (read back from the warehouse's PHI columns after
the load)."""

from __future__ import annotations

import importlib
import json
import re
import secrets
from pathlib import Path
from typing import Any

import boto3
import psycopg2
import pytest

from itc_common_utilities.manifest import SOURCES
from itc_common_utilities.phi import CATALOGUE
from scripts.itc import demo, jobs
from scripts.stack import local_stack, service_logins
from scripts.stack.quickbase_simulator import QuickbaseSimulator
from scripts.synthetic.verifyplus import SyntheticConfig, VerifyPlusDataset

DSN_WITH_PASSWORD = re.compile(r"postgres(?:ql)?://[^:/@\s]+:[^@\s]+@")
DEMANDS, REQUESTS, SEED = 80, 50, 5


def module_handler(component: str) -> Any:
    return importlib.import_module(jobs.HANDLERS[component][0]).handler


def test_no_secret_or_phi_in_logs_or_errors(
        priced_db_dsn: str, moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """GIVEN secrets (Quickbase token, role passwords, AWS key) and synthetic PHI
    WHEN extract → load (each source's loader login) → refresh → quality (itc_refresher) run, and then a wrong token, a
    wrong password and a missing privilege fail THEN no log line or error message contains any of them."""
    token, aws_secret = "qbtok-" + secrets.token_hex(16), "awssecret-" + secrets.token_hex(16)
    service_logins.set_service_passwords(priced_db_dsn)
    loader_dsns = {source: service_logins.local_login_dsn(priced_db_dsn, jobs.SERVICE_LOGINS[source])
                   for source in SOURCES}
    refresher_dsn = service_logins.local_login_dsn(priced_db_dsn, "itc_refresher")
    passwords = [service_logins.local_password(r)
                 for r in (*(jobs.SERVICE_LOGINS[source] for source in SOURCES), "itc_refresher")]
    dataset = VerifyPlusDataset(SyntheticConfig(records=REQUESTS, seed=SEED, start_month=demo.START_MONTH,
                                                months=demo.MONTHS))
    errors: list[str] = []
    summaries: list[Any] = []
    log_path = tmp_path / "lambdas.log"

    with QuickbaseSimulator(dataset, token=token, realm=local_stack.LOCAL_QB_REALM,
                            table_id=local_stack.LOCAL_QB_TABLE_ID, report_id=local_stack.LOCAL_QB_REPORT_ID,
                            page_cap=20) as sim:
        env = local_stack.stack_env(local_stack.StackState(database_url=loader_dsns["demand"])) | {
            "AWS_ENDPOINT_URL": moto_url, "ITC_QB_BASE_URL": sim.base_url, "ITC_QB_TOKEN": token,
            "AWS_SECRET_ACCESS_KEY": aws_secret, "LOG_LEVEL": "DEBUG"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=env["ITC_LANDING_BUCKET"])
        demo.seed_exchange(DEMANDS, SEED)

        with jobs.lambda_output(log_path):
            for source in SOURCES:
                summaries.append(module_handler(source)({"mode": "extract", "run_id": "hygiene-1"}, None))
            for manifest in jobs.list_manifests(s3, env["ITC_LANDING_BUCKET"]):
                event = jobs.object_created_event(manifest) | {"mode": "load"}
                monkeypatch.setenv("ITC_DATABASE_URL", loader_dsns[manifest.source])
                summaries.append(module_handler(manifest.source)(event, None))
            monkeypatch.setenv("ITC_DATABASE_URL", refresher_dsn)
            summaries.append(module_handler("orchestrator")({"mode": "refresh"}, None))
            summaries.append(module_handler("orchestrator")({"mode": "quality"}, None))

            # the failures an operator meets
            wrong_token = "qbtok-" + secrets.token_hex(16)
            monkeypatch.setenv("ITC_QB_TOKEN", wrong_token)
            errors += failure(lambda: module_handler("verifyplus")({"mode": "extract", "run_id": "hygiene-2"}, None))
            monkeypatch.setenv("ITC_QB_TOKEN", token)
            wrong_password = "pw-" + secrets.token_hex(12)
            manifest = jobs.list_manifests(s3, env["ITC_LANDING_BUCKET"])[0]
            wrong_dsn = re.sub(r":[^:@/]+@", f":{wrong_password}@", loader_dsns[manifest.source], count=1)
            monkeypatch.setenv("ITC_DATABASE_URL", wrong_dsn)
            event = jobs.object_created_event(manifest) | {"mode": "load"}
            errors += failure(lambda: module_handler(manifest.source)(event, None))
            monkeypatch.setenv("ITC_DATABASE_URL", loader_dsns["demand"])  # a loader may not refresh
            errors += failure(lambda: module_handler("orchestrator")({"mode": "refresh"}, None))

    assert any(load["status"] == "loaded" for s in summaries for load in s.get("loads", []))
    assert len(errors) == 3, "each failure must surface as an error"
    refresh, quality = summaries[-2:]
    assert len(refresh["views"]) >= 5, "the refresher refreshed every materialized view"
    assert quality["passed"] is True, "the quality checks pass as itc_refresher"
    logged = log_path.read_text(encoding="utf-8")
    assert logged.count("\n") > 10, "the run must have logged"
    corpus = logged + "\n".join(errors) + json.dumps(summaries, default=str)

    for secret in (token, wrong_token, aws_secret, wrong_password, *passwords):
        assert secret not in corpus, "a secret reached the logs or an error message"
    assert not DSN_WITH_PASSWORD.search(corpus), "a DSN with a password reached the logs or an error message"

    phi = phi_values(priced_db_dsn)
    assert len(phi) > 50, "the synthetic data must hold PHI to look for"
    leaked = sorted(v for v in phi if v in corpus)
    assert leaked == [], f"{len(leaked)} PHI value(s) reached the logs or error messages"


def failure(call: Any) -> list[str]:
    """The text an operator sees of a failing call: the summary it returned, or its exception chain."""
    try:
        result = call()
    except Exception as exc:
        texts, seen = [], exc
        while seen is not None:
            texts.append(f"{type(seen).__name__}: {seen}")
            seen = seen.__cause__ or seen.__context__
        return ["\n".join(texts)]
    if isinstance(result, dict) and result.get("status") in ("failed", "error"):
        return [json.dumps(result, default=str)]
    return []


def phi_values(dsn: str) -> set[str]:
    """Every distinct text value (6+ characters) of the catalogued PHI columns of raw."""
    values: set[str] = set()
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        for entry in CATALOGUE:
            if not entry.table.startswith("raw."):
                continue
            cur.execute(f"SELECT DISTINCT {entry.column}::text FROM {entry.table} WHERE {entry.column} IS NOT NULL")
            for (value,) in cur.fetchall():
                if len(value) >= 6 and not value.replace(".", "").isdigit():
                    values.add(value)
    conn.close()
    return values
