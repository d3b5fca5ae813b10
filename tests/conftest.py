"""Fixtures shared by the cross-module tests under tests/ (the database ones come from the repository's conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import psycopg2
import pytest
from moto import mock_aws

from itc_common_utilities.migrations import apply_migrations
from scripts.paths import SQL_SCRIPTS
from scripts.stack.demo_prices import seed_demo_prices


@pytest.fixture
def moto_s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Any]]:
    """In-process moto for every AWS API of the test (test credentials, no ``AWS_ENDPOINT_URL``);
    gives ``with_bucket(name)``: an S3 client, with bucket ``name`` created."""
    for name, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        def with_bucket(bucket: str) -> Any:
            client = boto3.client("s3")
            client.create_bucket(Bucket=bucket)
            return client

        yield with_bucket


@pytest.fixture
def migrated_db_dsn(empty_db_dsn: str) -> str:
    """A database migrated by the runner itself, as `itc migrate` does on a new machine.

    Not a clone of the session's template: CREATE DATABASE ... TEMPLATE does not copy the
    database-level privileges the security baseline sets (REVOKE ALL FROM PUBLIC, TEMPORARY only to
    named roles), and the refresh and the service logins depend on them."""
    conn = psycopg2.connect(empty_db_dsn)
    try:
        apply_migrations(conn, SQL_SCRIPTS)
    finally:
        conn.close()
    return empty_db_dsn


@pytest.fixture
def local_sources(priced_db_dsn: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The local stack in-process, for tests that run `itc` as a user does (in a subprocess): a moto
    server (real HTTP, a thread) with the landing bucket and 120 synthetic demands in the Exchange
    tables, the Quickbase simulator serving 60 Verify+ requests, and a migrated warehouse with the
    demo prices whose service logins have their local passwords. The environment points at all three (also set in
    this process); the test gets it as a dict to pass to its subprocesses."""
    from scripts.itc import demo
    from scripts.stack import local_stack
    from scripts.stack.quickbase_simulator import QuickbaseSimulator
    from scripts.stack.service_logins import set_service_passwords
    from scripts.synthetic.verifyplus import SyntheticConfig, VerifyPlusDataset

    set_service_passwords(priced_db_dsn)
    dataset = VerifyPlusDataset(SyntheticConfig(records=60, seed=5, start_month=demo.START_MONTH, months=demo.MONTHS))
    with local_stack.threaded_moto() as moto_url, QuickbaseSimulator(
            dataset, token=local_stack.LOCAL_QB_TOKEN, realm=local_stack.LOCAL_QB_REALM,
            table_id=local_stack.LOCAL_QB_TABLE_ID, report_id=local_stack.LOCAL_QB_REPORT_ID) as sim:
        env = local_stack.stack_env(local_stack.StackState(database_url=priced_db_dsn)) | {
            "AWS_ENDPOINT_URL": moto_url, "ITC_QB_BASE_URL": sim.base_url, "LOG_LEVEL": "WARNING"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        boto3.client("s3").create_bucket(Bucket=env["ITC_LANDING_BUCKET"])
        demo.seed_exchange(120, 5)
        yield env


@pytest.fixture
def priced_db_dsn(migrated_db_dsn: str) -> str:
    """:func:`migrated_db_dsn` with the demo price list seeded, as `itc demo` leaves it (migrations
    create no price; a run whose open months have no price fails its quality checks)."""
    conn = psycopg2.connect(migrated_db_dsn)
    try:
        with conn, conn.cursor() as cur:
            seed_demo_prices(cur)
    finally:
        conn.close()
    return migrated_db_dsn
