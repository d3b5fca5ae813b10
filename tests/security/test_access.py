"""The analyst access process (docs/access.md): grant, renew, revoke, list — each audited in
ops.access_grants, each login real (it connects with its password over TCP)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
import pytest

from scripts.itc import access
from tests.warehouse.kit import read


def login(dsn: str, user: str, password: str) -> psycopg2.extensions.connection:
    parts = urlsplit(dsn)
    netloc = f"{user}:{quote(password, safe='')}@{parts.hostname}:{parts.port}"
    return psycopg2.connect(urlunsplit(parts._replace(netloc=netloc)))


@pytest.fixture
def analyst_name(db):
    name = f"alice_{uuid.uuid4().hex[:8]}"
    yield name
    with db.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
        exists = cur.fetchone()
    db.rollback()
    if exists:
        access.revoke_analyst(db, name, revoked_by="test cleanup", reason="test over")


def audit(db, name):
    return read(db, "SELECT action, actor, reason, valid_until, recorded_by FROM ops.access_grants "
                    "WHERE username = %s ORDER BY event_id", (name,))


def test_given_approved_request_when_granted_then_login_works_expires_and_is_audited(db, db_dsn, analyst_name):
    """GIVEN an approved request WHEN the admin grants analyst access for 30 days
    THEN the analyst logs in with the password shown once, reads analytics but not raw, in read-only
    transactions; the login expires in 30 days; ops.access_grants says who approved it and why;
    and the server stores only a SCRAM verifier."""
    password = access.grant_analyst(db, analyst_name, granted_by="Dana Lee (CFO)", reason="JIRA-42 dashboards",
                                    valid_days=30)
    conn = login(db_dsn, analyst_name, password)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM analytics.demands_summary WHERE false")
        cur.execute("SHOW default_transaction_read_only")
        assert cur.fetchone()[0] == "on"
    conn.rollback()
    with conn.cursor() as cur, pytest.raises(psycopg2.errors.InsufficientPrivilege):
        cur.execute("SELECT claimant_name FROM raw.cases")
    conn.close()

    rows = audit(db, analyst_name)
    assert [(r[0], r[1], r[2]) for r in rows] == [("grant", "Dana Lee (CFO)", "JIRA-42 dashboards")]
    assert abs(rows[0][3] - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=5)
    with db.cursor() as cur:
        cur.execute("SELECT rolvaliduntil FROM pg_roles WHERE rolname = %s", (analyst_name,))
        assert cur.fetchone()[0] == rows[0][3]
        cur.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (analyst_name,))
        stored = cur.fetchone()[0]
    db.rollback()
    assert stored.startswith("SCRAM-SHA-256$") and password not in stored


def test_given_request_without_reason_or_approver_when_granted_then_refused_and_nothing_created(db, analyst_name):
    """GIVEN a grant without a reason, without an approver, or with a too long validity
    THEN each is refused with a message naming the problem and no login or audit row appears."""
    with pytest.raises(access.AccessError, match="reason is required"):
        access.grant_analyst(db, analyst_name, granted_by="Dana", reason="  ", valid_days=30)
    with pytest.raises(access.AccessError, match="granted_by is required"):
        access.grant_analyst(db, analyst_name, granted_by="", reason="JIRA-1", valid_days=30)
    with pytest.raises(access.AccessError, match="valid_days must be between 1 and 366"):
        access.grant_analyst(db, analyst_name, granted_by="Dana", reason="JIRA-1", valid_days=400)
    with db.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", (analyst_name,))
        assert cur.fetchone()[0] == 0
    db.rollback()
    assert audit(db, analyst_name) == []


@pytest.mark.parametrize("name", ["itc_loader", "phi_reader", "raw_read_only", "postgres", "Robert'); DROP", "ab"])
def test_given_service_or_invalid_name_when_granted_then_refused(db, name):
    """GIVEN a service role, a group, the superuser or a malformed name WHEN granted THEN refused, unchanged."""
    with pytest.raises(access.AccessError):
        access.grant_analyst(db, name, granted_by="Dana", reason="JIRA-1", valid_days=30)
    with pytest.raises(access.AccessError):
        access.revoke_analyst(db, name, revoked_by="Dana", reason="x")


def test_given_analyst_when_renewed_then_old_password_fails_and_renewal_is_audited(db, db_dsn, analyst_name):
    """GIVEN an analyst login WHEN renewed THEN only the new password works and the audit trail has both."""
    old = access.grant_analyst(db, analyst_name, granted_by="Dana", reason="JIRA-1", valid_days=10)
    new = access.grant_analyst(db, analyst_name, granted_by="Dana", reason="quarterly review Q4", valid_days=90)
    login(db_dsn, analyst_name, new).close()
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        login(db_dsn, analyst_name, old)
    assert [r[0] for r in audit(db, analyst_name)] == ["grant", "renew"]


def test_given_analyst_when_revoked_then_login_gone_sessions_ended_and_audited(db, db_dsn, analyst_name):
    """GIVEN an analyst with an open session WHEN access is revoked
    THEN the session is ended, the login no longer exists, and the revocation says who and why."""
    password = access.grant_analyst(db, analyst_name, granted_by="Dana", reason="JIRA-1", valid_days=10)
    session = login(db_dsn, analyst_name, password)
    access.revoke_analyst(db, analyst_name, revoked_by="Sam (security)", reason="left the company")
    with pytest.raises(psycopg2.OperationalError), session.cursor() as cur:
        cur.execute("SELECT 1")
    with pytest.raises(psycopg2.OperationalError):
        login(db_dsn, analyst_name, password)
    rows = audit(db, analyst_name)
    assert [(r[0], r[1], r[2]) for r in rows][-1] == ("revoke", "Sam (security)", "left the company")


def test_given_logins_when_listed_then_review_shows_expiry_approver_and_unaudited_ones(db, analyst_name):
    """GIVEN an audited analyst, an expired one and a login someone made a member of itc_analyst by hand
    WHEN access is listed for the quarterly review THEN each appears with its expiry, approver and flags."""
    access.grant_analyst(db, analyst_name, granted_by="Dana", reason="JIRA-7", valid_days=90)
    rogue = f"rogue_{uuid.uuid4().hex[:8]}"
    with db.cursor() as cur:
        cur.execute(f'CREATE ROLE "{rogue}" LOGIN; GRANT itc_analyst TO "{rogue}"')
        cur.execute(f"ALTER ROLE \"{analyst_name}\" VALID UNTIL '2020-01-01'")
    db.commit()
    try:
        listed = {a.username: a for a in access.list_access(db)}
        assert listed[analyst_name].granted_by == "Dana" and listed[analyst_name].reason == "JIRA-7"
        assert listed[analyst_name].expired is True
        assert listed[rogue].audited is False and listed[rogue].valid_until is None
        assert "itc_loader" not in listed and "itc_analyst" not in listed
    finally:
        with db.cursor() as cur:
            cur.execute(f'DROP ROLE "{rogue}"')
        db.commit()


def test_audit_trail_is_append_only(db, analyst_name):
    """GIVEN an audit row WHEN someone updates or deletes it (even the owner) THEN it is refused."""
    access.grant_analyst(db, analyst_name, granted_by="Dana", reason="JIRA-1", valid_days=10)
    with db.cursor() as cur, pytest.raises(psycopg2.Error, match="append-only"):
        cur.execute("UPDATE ops.access_grants SET reason = 'nothing to see' WHERE username = %s", (analyst_name,))
    db.rollback()
    with db.cursor() as cur, pytest.raises(psycopg2.Error, match="append-only"):
        cur.execute("DELETE FROM ops.access_grants WHERE username = %s", (analyst_name,))
    db.rollback()
