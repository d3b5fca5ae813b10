"""Database helpers against a real PostgreSQL: COPY streaming, error mapping, advisory locks."""

from __future__ import annotations

import threading
import time

import psycopg2
import pytest

from itc_common_utilities.db import (
    NulByteError,
    advisory_xact_lock,
    connect,
    copy_rows,
    encode_copy_value,
    try_advisory_xact_lock,
)
from itc_common_utilities.errors import TerminalError, TransientError, classify_error, translate_errors
from itc_common_utilities.settings import DatabaseSettings, load_settings

AWKWARD = ["", "tab\there", "new\nline", "carriage\rreturn", "back\\slash", "\\N", "quote ' \" ;--", "✓ emoji 🚀",
           "\u202eRTL", "'; DROP TABLE raw.cases; --", "x" * 100_000]


def test_copy_reads_back_verbatim_and_null_differs_from_empty(db):
    """GIVEN awkward text (and a NULL row) WHEN copied into a table THEN it is read back verbatim and NULL
    differs from the empty string."""
    with db.cursor() as cur:
        cur.execute("CREATE TEMP TABLE t (i int, s text, j jsonb)")
        rows = [(i, s, {"v": s}) for i, s in enumerate(AWKWARD)] + [(len(AWKWARD), None, None)]
        sent = copy_rows(cur, "t", ["i", "s", "j"], iter(rows))
        cur.execute("SELECT i, s, j FROM t ORDER BY i")
        back = cur.fetchall()
    assert sent == len(rows)
    assert [(i, s) for i, s, _ in back] == [(i, s) for i, s, _ in rows]
    assert back[0][1] == "" and back[-1][1] is None
    assert [j for _, _, j in back[:-1]] == [{"v": s} for s in AWKWARD]


def test_given_many_rows_from_a_generator_when_copied_then_all_arrive(db):
    with db.cursor() as cur:
        cur.execute("CREATE TEMP TABLE big (i int, s text)")
        sent = copy_rows(cur, "big", ["i", "s"], ((i, f"row {i}") for i in range(200_000)), chunk_bytes=64 * 1024)
        cur.execute("SELECT count(*), sum(i) FROM big")
        assert cur.fetchone() == (200_000, sum(range(200_000)))
    assert sent == 200_000


def test_given_nul_byte_when_encoded_then_clear_error():
    with pytest.raises(NulByteError, match="NUL byte"):
        encode_copy_value("a\x00b")


def test_given_driver_errors_when_classified_then_transient_only_for_retryable_ones(db):
    with db.cursor() as cur, pytest.raises(TerminalError, match=r"querying failed: UndefinedTable \(SQLSTATE 42P01\)"):
        with translate_errors("querying"):
            cur.execute("SELECT * FROM no_such_table")
    db.rollback()
    deadlock = psycopg2.errors.DeadlockDetected
    assert classify_error(deadlock()) is TransientError
    assert classify_error(psycopg2.errors.UniqueViolation()) is TerminalError
    assert classify_error(psycopg2.OperationalError("server closed the connection unexpectedly")) is TransientError
    assert classify_error(psycopg2.OperationalError('password authentication failed for user "x"')) is TerminalError
    no_tls = psycopg2.OperationalError("pg_hba.conf rejects connection for host, no encryption")
    assert classify_error(no_tls) is TerminalError
    assert classify_error(ValueError("bad")) is TerminalError


def test_given_killed_connection_when_translated_then_transient(db_dsn):
    victim = psycopg2.connect(db_dsn)
    killer = psycopg2.connect(db_dsn)
    killer.autocommit = True
    with victim.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    with killer.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(TransientError), translate_errors("loading"), victim.cursor() as cur:
        cur.execute("SELECT 1")
    killer.close()


def test_given_dsn_with_password_when_connect_fails_then_message_hides_password(pg_server_dsn):
    bad = pg_server_dsn.replace("postgres@", "nobody_here:sup3rsecret@").rsplit("/", 1)[0] + "/itc"
    with pytest.raises((TerminalError, TransientError)) as err:
        connect(dsn=bad)
    assert "sup3rsecret" not in str(err.value)


def test_connect_applies_statement_timeout_and_application_name(db_dsn):
    """GIVEN database settings with a statement timeout WHEN connecting THEN the statement timeout and the
    application name apply to the session."""
    settings = load_settings(DatabaseSettings, {"database_url": db_dsn, "statement_timeout_ms": 1234})
    conn = connect(settings, application_name="itc-test")
    with conn.cursor() as cur:
        cur.execute("SHOW statement_timeout")
        assert cur.fetchone()[0] == "1234ms"
        cur.execute("SELECT current_setting('application_name')")
        assert cur.fetchone()[0] == "itc-test"
    conn.close()


def test_given_lock_held_when_another_transaction_asks_then_it_waits_until_release(db_dsn):
    holder = psycopg2.connect(db_dsn)
    other = psycopg2.connect(db_dsn)
    with holder.cursor() as cur:
        advisory_xact_lock(cur, "load:demand")
    with other.cursor() as cur:
        assert try_advisory_xact_lock(cur, "load:demand") is False
        assert try_advisory_xact_lock(cur, "load:verifyplus") is True  # other sources are independent
    other.rollback()
    acquired = threading.Event()

    def wait_for_lock() -> None:
        with other.cursor() as cur:
            advisory_xact_lock(cur, "load:demand")
            acquired.set()

    waiter = threading.Thread(target=wait_for_lock)
    waiter.start()
    time.sleep(0.3)
    assert not acquired.is_set()
    holder.commit()
    waiter.join(10)
    assert acquired.is_set()
    other.rollback()
    holder.close()
    other.close()


def test_given_data_error_quoting_a_value_when_translated_then_the_value_is_masked(db):
    """GIVEN a value (maybe PHI) that PostgreSQL quotes in its error WHEN translated THEN it is not repeated."""
    with db.cursor() as cur, pytest.raises(TerminalError) as err, translate_errors("casting"):
        cur.execute("SELECT %s::int", ("Jane Claimant",))
    assert "Jane Claimant" not in str(err.value)
    assert "casting failed: InvalidTextRepresentation (SQLSTATE 22P02)" in str(err.value)


def test_credentials_come_from_secrets_manager(db_dsn, moto):
    """GIVEN a login whose password is only in Secrets Manager (moto) WHEN connecting by host + secret ARN
    THEN the connection is made as that login, and a secret without a password gives a clear error."""
    import json
    import secrets as pysecrets
    from urllib.parse import urlsplit

    import boto3

    role, password = f"itc_secret_test_{pysecrets.token_hex(4)}", pysecrets.token_urlsafe(16)
    admin = psycopg2.connect(db_dsn)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE ROLE {role} LOGIN PASSWORD %s", (password,))
    parts = urlsplit(db_dsn)
    try:
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        good = json.dumps({"username": role, "password": password})
        arn = sm.create_secret(Name="itc/db", SecretString=good)["ARN"]
        bad = sm.create_secret(Name="itc/bad", SecretString=json.dumps({"username": role}))["ARN"]
        settings = load_settings(DatabaseSettings, {}, {
            "ITC_DB_HOST": parts.hostname, "ITC_DB_PORT": str(parts.port), "ITC_DB_NAME": parts.path.lstrip("/"),
            "ITC_DB_SECRET_ARN": arn, "ITC_DB_SSLMODE": "disable"})
        conn = connect(settings)
        with conn.cursor() as cur:
            cur.execute("SELECT current_user")
            assert cur.fetchone()[0] == role
        conn.close()
        bad_settings = load_settings(DatabaseSettings, {"secret_arn": bad}, {
            "ITC_DB_HOST": parts.hostname, "ITC_DB_PORT": str(parts.port), "ITC_DB_SSLMODE": "disable"})
        with pytest.raises(TerminalError, match="not a JSON object with 'username' and 'password'"):
            connect(bad_settings)
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP ROLE {role}")
        admin.close()
