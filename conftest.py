"""Test fixtures shared by every test in the repository: a real, migrated PostgreSQL.

The session starts the embedded PostgreSQL (``scripts/stack/local_pg.py``), or uses ``ITC_DATABASE_URL``
when set (it must allow CREATE DATABASE), migrates a template database once, and gives each test
that asks for ``db_dsn`` its own fresh copy of it (``CREATE DATABASE ... TEMPLATE``), dropped after.

The suite leaves a user's things alone: before anything is imported, ``ITC_REPORTS_DIR`` and
``ITC_LOG_DIR`` point at a temporary folder (so ``itc`` run by a test writes its reports and Lambda log
there, not in ``reports/`` or ``.local/logs/``), and :func:`users_things_unchanged` fingerprints the
checkout's ``reports/``, the demo's warehouse and the local stack's landing bucket when the session
starts and fails the session when they differ at its end (``scripts/stack/user_state.py``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

_SESSION_OUTPUT = tempfile.mkdtemp(prefix="itc-test-output-")
os.environ["ITC_REPORTS_DIR"] = os.path.join(_SESSION_OUTPUT, "reports")
os.environ["ITC_LOG_DIR"] = os.path.join(_SESSION_OUTPUT, "logs")

import psycopg2  # noqa: E402 - after the output folders are set, so scripts.paths sees them
import pytest  # noqa: E402

from scripts.paths import CHECKOUT_REPORTS  # noqa: E402
from scripts.stack import local_pg, local_stack, user_state  # noqa: E402
from scripts.stack.service_logins import set_service_passwords  # noqa: E402
from scripts.stack.testdb import create_database, drop_database  # noqa: E402


def _users_things() -> user_state.Fingerprint:
    """The checkout's reports, the demo's warehouse (when it exists) and the running stack's landing bucket."""
    found = user_state.reports(CHECKOUT_REPORTS)
    if os.environ.get("ITC_ADMIN_DATABASE_URL") or os.environ.get("ITC_DATABASE_URL") \
            or (local_pg.cluster().data / "PG_VERSION").exists():
        found |= user_state.warehouse(local_pg.admin_dsn())
    stack = local_stack.running_state()
    if stack and "moto" in stack.services:
        import boto3

        s3 = boto3.client("s3", endpoint_url=stack.services["moto"].url, region_name=local_stack.LOCAL_REGION,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        found |= user_state.bucket(s3, local_stack.LOCAL_BUCKET)
    return found


@pytest.fixture(scope="session", autouse=True)
def users_things_unchanged() -> Iterator[None]:
    """The session fails when it changed the checkout's reports/, the demo's warehouse or landing bucket."""
    before = _users_things()
    yield
    changed = user_state.differences(before, _users_things())
    shutil.rmtree(_SESSION_OUTPUT, ignore_errors=True)
    if changed:
        pytest.fail("the tests changed a user's reports, warehouse or landing bucket:\n" + "\n".join(changed[:40]),
                    pytrace=False)


@pytest.fixture(scope="session")
def pg_server_dsn() -> str:
    """DSN of a PostgreSQL where the tests may create databases (its `postgres` database)."""
    return local_pg.admin_dsn("postgres")


@pytest.fixture(scope="session")
def template_db(pg_server_dsn: str) -> Iterator[str]:
    """Name of a database migrated once per test session; clone it, never write to it. The local
    service logins get their passwords once here, as `itc stack up` and `itc migrate` do."""
    name, _ = create_database(pg_server_dsn, name=f"itc_tmpl_{os.getpid()}", migrate=True)
    set_service_passwords(pg_server_dsn)
    yield name
    drop_database(pg_server_dsn, name)


@pytest.fixture
def db_dsn(pg_server_dsn: str, template_db: str) -> Iterator[str]:
    """DSN of a fresh, fully migrated database of this test's own."""
    name, dsn = create_database(pg_server_dsn, template_db)
    yield dsn
    drop_database(pg_server_dsn, name)


@pytest.fixture
def empty_db_dsn(pg_server_dsn: str) -> Iterator[str]:
    """DSN of a fresh, empty (unmigrated) database of this test's own."""
    name, dsn = create_database(pg_server_dsn)
    yield dsn
    drop_database(pg_server_dsn, name)


@pytest.fixture
def db(db_dsn: str) -> Iterator[psycopg2.extensions.connection]:
    """A connection to this test's fresh migrated database."""
    conn = psycopg2.connect(db_dsn)
    yield conn
    conn.close()


@pytest.fixture(autouse=True)
def manifest_mac_key_id(monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test signs and verifies landing manifests with the local demand key's alias (a test of the other
    source's own key sets it; ``itc`` gives each pipeline its own for the call, scripts/itc/jobs.py), and
    verifies force approvals with the local approval key, as the local stack does; each moto fixture creates
    the keys (``itc_common_utilities.signature.ensure_local_keys``)."""
    from itc_common_utilities.loader.approval import APPROVAL_KEY_ENV
    from itc_common_utilities.signature import LOCAL_APPROVAL_KEY_ALIAS, LOCAL_MAC_KEY_ALIASES, MAC_KEY_ENV

    monkeypatch.setenv(MAC_KEY_ENV, LOCAL_MAC_KEY_ALIASES["demand"])
    monkeypatch.setenv(APPROVAL_KEY_ENV, LOCAL_APPROVAL_KEY_ALIAS)
    return LOCAL_MAC_KEY_ALIASES["demand"]


@pytest.fixture
def moto_config() -> dict | None:
    """The ``config`` of :func:`moto`'s ``mock_aws`` (None: moto's defaults); a folder's conftest overrides it
    (tests/terraform: Step Functions that execute, Lambda without Docker)."""
    return None


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch, moto_config: dict | None) -> Iterator[None]:
    """The one in-process moto of the tests (every AWS API, ``mock_aws``): test credentials, region us-east-1,
    no ``AWS_ENDPOINT_URL`` (a running local stack is never reached), and the local KMS keys (manifest MACs,
    force approvals) the autouse :func:`manifest_mac_key_id` names. Fixtures that need AWS resources build
    them on it (tests/conftest.py ``moto_s3``, the demand pipeline's ``aws``); a test on real HTTP uses the
    moto server of tests/conftest.py ``moto_url`` instead."""
    import boto3
    from moto import mock_aws

    from itc_common_utilities.signature import ensure_local_keys

    for name, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws(config=moto_config) if moto_config else mock_aws():
        ensure_local_keys(boto3.client("kms"))
        yield
