"""Trail integrity (docs/design.md §6): the access audit trail's who and when are the database's, and PHI
access is granted only through `itc access grant --phi`, with an expiry, and recorded.

A real migrated PostgreSQL; `itc access` runs as the CLI does (``access.main``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg2
import pytest

from scripts.itc import access
from tests.security.test_access import login
from tests.warehouse.kit import read


@pytest.fixture
def phi_name(db, db_dsn, monkeypatch):
    """A fresh login name; `itc access` administers this test's database; the login is revoked after."""
    monkeypatch.setenv("ITC_ADMIN_DATABASE_URL", db_dsn)
    name = f"phi_{uuid.uuid4().hex[:8]}"
    yield name
    if read(db, "SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)):
        access.revoke_analyst(db, name, revoked_by="test cleanup", reason="test over")


def trail(db, name):
    return read(db, "SELECT action, role_granted, actor, valid_until, recorded_by, recorded_at FROM ops.access_grants "
                    "WHERE username = %s ORDER BY event_id", (name,))


def is_member(db, name: str, group: str) -> bool:
    return read(db, "SELECT pg_has_role(%s, %s, 'MEMBER')", (name, group))[0][0]


def test_database_stamps_the_real_login_and_time(db):
    """GIVEN an administrator's session (which SET ROLEs to the migrator) WHEN it inserts an access record naming
    someone else as recorded_by and a time in 2001 THEN the row says the session's real login and now()."""
    with db.cursor() as cur:
        cur.execute("SELECT session_user, now()")
        login_name, now = cur.fetchone()
        cur.execute("SET ROLE itc_migrator")
        cur.execute("INSERT INTO ops.access_grants (username, action, actor, reason, valid_until, recorded_by, "
                    "recorded_at) VALUES ('mallory', 'grant', 'Dana', 'JIRA-9', now() + interval '1 day', "
                    "'dana_lee', '2001-01-01T00:00:00Z') RETURNING recorded_by, recorded_at")
        recorded_by, recorded_at = cur.fetchone()
        cur.execute("RESET ROLE")
    db.rollback()

    assert (recorded_by, recorded_at) == (login_name, now)
    assert login_name != "itc_migrator"


def test_phi_grant_expires_reads_phi_and_is_recorded(
        db, db_dsn, phi_name, capsys):
    """GIVEN an approved PHI request WHEN `itc access grant NAME --phi --days 30` runs THEN the login expires in
    30 days, holds itc_analyst and phi_reader, reads a PHI column, and the trail records role_granted
    'phi_reader' with the approver and the database's login and time; the output says PHI reads are audited."""
    code = access.main(["grant", phi_name, "--phi", "--granted-by", "Dana Lee (CFO)",
                        "--reason", "JIRA-77 claims audit", "--days", "30"])

    out = capsys.readouterr().out
    assert code == 0 and "every PHI read is audited" in out
    rows = trail(db, phi_name)
    assert [(r[0], r[1], r[2]) for r in rows] == [("grant", "phi_reader", "Dana Lee (CFO)")]
    assert abs(rows[0][3] - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=5)
    assert rows[0][4] == read(db, "SELECT session_user")[0][0]
    assert abs(rows[0][5] - datetime.now(UTC)) < timedelta(minutes=5)
    assert read(db, "SELECT rolvaliduntil FROM pg_roles WHERE rolname = %s", (phi_name,))[0][0] == rows[0][3]
    assert is_member(db, phi_name, "phi_reader") and is_member(db, phi_name, "itc_analyst")
    conn = login(db_dsn, phi_name, out.splitlines()[1])
    with conn.cursor() as cur:
        cur.execute("SELECT count(claimant_name) FROM raw.cases")
    conn.close()


def test_renewal_without_phi_takes_phi_away(
        db, db_dsn, phi_name, capsys):
    """GIVEN a PHI login WHEN it is renewed without --phi THEN it no longer reads PHI and the renewal is recorded
    with role_granted 'itc_analyst'."""
    assert access.main(["grant", phi_name, "--phi", "--granted-by", "Dana", "--reason", "JIRA-1", "--days", "7"]) == 0
    assert access.main(["grant", phi_name, "--granted-by", "Dana", "--reason", "JIRA-2 no PHI now", "--days", "7"]) == 0

    lines = capsys.readouterr().out.splitlines()
    password = lines[max(i for i, line in enumerate(lines) if "ready, valid" in line) + 1]  # the renewal's
    assert [(r[0], r[1]) for r in trail(db, phi_name)] == [("grant", "phi_reader"), ("renew", "itc_analyst")]
    assert not is_member(db, phi_name, "phi_reader")
    conn = login(db_dsn, phi_name, password)
    with conn.cursor() as cur, pytest.raises(psycopg2.errors.InsufficientPrivilege):
        cur.execute("SELECT claimant_name FROM raw.cases")
    conn.close()


def test_phi_grant_over_a_quarter_is_refused(
        db, phi_name, capsys):
    """GIVEN --phi with --days 120 WHEN requested THEN exit 2, the error says the limit, no login, no record."""
    code = access.main(["grant", phi_name, "--phi", "--granted-by", "Dana", "--reason", "JIRA-3", "--days", "120"])

    assert code == 2
    assert "a PHI grant (--phi) may last at most 90 days, got 120" in capsys.readouterr().err
    assert not read(db, "SELECT 1 FROM pg_roles WHERE rolname = %s", (phi_name,))
    assert trail(db, phi_name) == []
