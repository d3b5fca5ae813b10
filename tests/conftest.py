"""Fixtures shared by the cross-module tests under tests/ (the database ones come from the repository's conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import psycopg2
import pytest

from itc_common_utilities.migrations import apply_migrations
from scripts.paths import SQL_SCRIPTS
from scripts.stack.demo_prices import seed_demo_prices


@pytest.fixture
def moto_s3(moto: None) -> Callable[[str], Any]:
    """The in-process moto (the repository's conftest.py ``moto``); gives ``with_bucket(name)``: an S3 client,
    with bucket ``name`` created."""

    def with_bucket(bucket: str) -> Any:
        client = boto3.client("s3")
        client.create_bucket(Bucket=bucket)
        return client

    return with_bucket


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
def moto_url() -> Iterator[str]:
    """A moto server on real HTTP, in a thread of this process (the local stack's AWS stand-in)."""
    from scripts.stack import local_stack

    with local_stack.threaded_moto() as url:
        yield url


@pytest.fixture
def verifyplus_dataset() -> Any:
    """The Verify+ requests the simulator serves (a module may override it): 60, seed 5, the demo's months."""
    from scripts.itc import demo
    from scripts.synthetic.verifyplus import SyntheticConfig, VerifyPlusDataset

    return VerifyPlusDataset(SyntheticConfig(records=60, seed=5, start_month=demo.START_MONTH, months=demo.MONTHS))


@pytest.fixture
def stack_env(priced_db_dsn: str, moto_url: str, verifyplus_dataset: Any,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The local stack in-process, as `itc` sees it: moto (with the landing bucket), the Quickbase
    simulator serving ``verifyplus_dataset`` (pages of 40), and a migrated warehouse with the demo's
    prices whose service logins have their local passwords. The environment points at all three; it
    is set in this process and given to the test as a dict (for `itc` run in a subprocess)."""
    from scripts.stack import local_stack
    from scripts.stack.quickbase_simulator import QuickbaseSimulator
    from scripts.stack.service_logins import set_service_passwords

    set_service_passwords(priced_db_dsn)
    with QuickbaseSimulator(verifyplus_dataset, token=local_stack.LOCAL_QB_TOKEN, realm=local_stack.LOCAL_QB_REALM,
                            table_id=local_stack.LOCAL_QB_TABLE_ID, report_id=local_stack.LOCAL_QB_REPORT_ID,
                            page_cap=40) as sim:
        env = local_stack.stack_env(local_stack.StackState(database_url=priced_db_dsn)) | {
            "AWS_ENDPOINT_URL": moto_url, "ITC_QB_BASE_URL": sim.base_url, "LOG_LEVEL": "WARNING"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        boto3.client("s3").create_bucket(Bucket=env["ITC_LANDING_BUCKET"])
        yield env


@pytest.fixture
def stack_db(priced_db_dsn: str) -> Iterator[psycopg2.extensions.connection]:
    """A connection (as the admin) to the warehouse of :func:`stack_env`."""
    conn = psycopg2.connect(priced_db_dsn)
    yield conn
    conn.close()


@pytest.fixture
def local_sources(stack_env: dict[str, str]) -> dict[str, str]:
    """:func:`stack_env` with 120 synthetic demands (seed 5) in the Exchange tables."""
    from scripts.itc import demo

    demo.seed_exchange(120, 5)
    return stack_env


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
