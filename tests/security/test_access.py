"""The analyst access process (docs/access.md): grant, renew, revoke, list — each audited in
ops.access_grants, each login real (it connects with its password over TCP)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
import pytest

from scripts.itc import access
from scripts.itc.access_review import render_table
from scripts.stack import local_pg
from scripts.stack.service_logins import local_login_dsn
from tests.security.test_tls import pytestmark as tls_only
from tests.security.test_tls import tls_server  # noqa: F401  (the TLS-only server fixture, shared)
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


def test_grant_without_reason_or_approver_is_refused(db, analyst_name):
    """GIVEN a grant without a reason, without an approver, or with a too long validity
    WHEN it is granted
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


@pytest.mark.parametrize("name", ["itc_loader_demand", "phi_reader", "raw_read_only", "postgres", "Robert'); DROP",
                                  "ab"])
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


def test_listing_labels_logins_and_flags_rogues(db, analyst_name):
    """GIVEN an audited analyst (expired), a login made a member of itc_analyst by hand, one given phi_reader by
    hand, an ITC service login (itc_*), the superuser and the ITC service logins
    WHEN access is listed for the quarterly review
    THEN the analysts show their expiry, approver and findings (NO AUDIT RECORD only on the hand-made ones),
    postgres is built-in and the itc_* logins are service, neither flagged."""
    access.grant_analyst(db, analyst_name, granted_by="Dana", reason="JIRA-7", valid_days=90)
    suffix = uuid.uuid4().hex[:8]
    rogue, phi, service = f"rogue_{suffix}", f"phi_{suffix}", f"itc_svc_{suffix}"
    with db.cursor() as cur:
        cur.execute(f'CREATE ROLE "{rogue}" LOGIN; GRANT itc_analyst TO "{rogue}"')
        cur.execute(f'CREATE ROLE "{phi}" LOGIN; GRANT phi_reader TO "{phi}"')
        cur.execute(f'CREATE ROLE "{service}" LOGIN')
        cur.execute(f"ALTER ROLE \"{analyst_name}\" VALID UNTIL '2020-01-01'")
    db.commit()
    try:
        listed = {a.username: a for a in access.list_access(db)}
        table = "\n".join(render_table(list(listed.values())))
    finally:
        with db.cursor() as cur:
            cur.execute(f'DROP ROLE "{rogue}", "{phi}", "{service}"')
        db.commit()
    mine = listed[analyst_name]
    assert (mine.kind, mine.groups, mine.granted_by, mine.reason) == ("analyst", ("itc_analyst",), "Dana", "JIRA-7")
    assert mine.expired is True and mine.findings == ("EXPIRED: revoke",)
    assert listed[rogue].kind == "analyst" and listed[rogue].findings == ("NO AUDIT RECORD", "NO EXPIRY")
    assert listed[phi].groups == ("phi_reader",) and "NO AUDIT RECORD" in listed[phi].findings
    assert (listed["postgres"].kind, listed["postgres"].groups, listed["postgres"].findings) == ("built-in", (), ())
    for name in ("itc_loader_demand", "itc_loader_verifyplus", "itc_refresher", "itc_migrator", service):
        assert (listed[name].kind, listed[name].findings) == ("service", ()), name
    assert listed["itc_loader_demand"].note.startswith("Login of the demand load function")
    assert "itc_analyst" not in listed and "phi_reader" not in listed
    lines = {line.split()[0]: line for line in table.splitlines()[1:-1]}
    assert "NEVER" not in lines["postgres"] and "NO AUDIT RECORD" not in lines["postgres"]
    assert " built-in " in lines["postgres"] and " service " in lines["itc_loader_demand"]
    assert "NO AUDIT RECORD, NO EXPIRY" in lines[rogue] and "NO AUDIT RECORD" not in lines[analyst_name]


def test_listing_truncates_long_values(db, analyst_name):
    """GIVEN an approver longer than its column WHEN the review table is printed
    THEN the approver is cut with an ellipsis and the reason starts in its own column, as on every line."""
    approver = "Maria-Fernanda Montgomery-Smythe (VP Finance); Dana Lee (CFO)"
    access.grant_analyst(db, analyst_name, granted_by=approver, reason="JIRA-9 board pack", valid_days=30)
    table = render_table(access.list_access(db))
    header, line = table[0], next(x for x in table if x.startswith(analyst_name + " "))
    column = header.index("reason / note")
    assert line[column:] == "JIRA-9 board pack"
    assert line[column - 1] == " " and line[:column].rstrip().endswith("…")
    assert approver not in line and line[header.index("granted/renewed by"):column].startswith("Maria-Fernanda")


def test_grant_refused_for_bare_role_admin(db, db_dsn):
    """GIVEN a login that administers itc_analyst but may not use it (what PostgreSQL 16 gives the CREATEROLE
    creator of a role, e.g. the RDS master user) WHEN `grant` names it THEN it is refused (not "renewed": its
    password and settings are untouched) and the review does not count it as an analyst."""
    if db.server_version < 160000:
        pytest.skip("ADMIN-only memberships exist from PostgreSQL 16")
    name = f"admin_{uuid.uuid4().hex[:8]}"
    with db.cursor() as cur:
        cur.execute(f'CREATE ROLE "{name}" LOGIN CREATEROLE PASSWORD NULL')
        cur.execute(f'GRANT itc_analyst TO "{name}" WITH ADMIN TRUE, INHERIT FALSE, SET FALSE')
    db.commit()
    try:
        with pytest.raises(access.AccessRefused, match="exists and is not an analyst login"):
            access.grant_analyst(db, name, granted_by="Dana", reason="JIRA-1", valid_days=30)
        listed = {a.username: a for a in access.list_access(db)}
        assert (listed[name].kind, listed[name].groups, listed[name].findings) == ("other", (), ())
        with db.cursor() as cur:
            cur.execute("SELECT a.rolpassword IS NULL, r.rolconfig FROM pg_authid a JOIN pg_roles r USING (oid) "
                        "WHERE a.rolname = %s", (name,))
            assert cur.fetchone() == (True, None)
    finally:
        db.rollback()
        with db.cursor() as cur:
            cur.execute(f'DROP ROLE "{name}"')
        db.commit()


def test_grant_refused_without_createrole(db_dsn, monkeypatch, capsys):
    """GIVEN ITC_ADMIN_DATABASE_URL logging in as itc_loader_demand WHEN `itc access grant` runs
    THEN it exits 1 saying that login may not create roles and what to set instead; nothing is created."""
    monkeypatch.setenv("ITC_ADMIN_DATABASE_URL", local_login_dsn(db_dsn, "itc_loader_demand"))
    code = access.main(["grant", "jdoe_admin_test", "--granted-by", "Dana", "--reason", "JIRA-1"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: the admin connection logs in as itc_loader_demand, which may not create roles")
    assert "RDS master user or a role with CREATEROLE" in err


def test_remote_grant_needs_verify_full(monkeypatch, capsys):
    """GIVEN ITC_ADMIN_DATABASE_URL naming a remote server without sslmode=verify-full (as RDS would be)
    WHEN `itc access grant` runs THEN it exits 1 before connecting, saying which sslmode and CA to add."""
    monkeypatch.setenv("ITC_ADMIN_DATABASE_URL", "postgresql://itcadmin@warehouse.example.invalid:5432/itc"
                                                 "?sslmode=require")
    monkeypatch.delenv("PGSSLMODE", raising=False)
    code = access.main(["grant", "jdoe", "--granted-by", "Dana", "--reason", "JIRA-1"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip() == ("error: ITC_ADMIN_DATABASE_URL reaches warehouse.example.invalid with sslmode=require, "
                           "and a server not on this machine needs sslmode=verify-full: add sslmode=verify-full&"
                           "sslrootcert=<CA bundle, e.g. RDS global-bundle.pem> to ITC_ADMIN_DATABASE_URL "
                           "(docs/access.md)")


@tls_only
def test_printed_connection_strings_verify_full(
        tls_server, monkeypatch, capsys):  # noqa: F811 (the fixture imported above)
    """GIVEN the local TLS-only server (like RDS with rds.force_ssl) as the admin connection
    WHEN `itc access grant` runs
    THEN it prints the password once, and a URI and a key=value string (host, port, database, user,
    sslmode=verify-full, the CA file) without the password, each of which connects as the analyst over
    verified TLS and runs SELECT 1."""
    admin_dsn = local_pg.cluster("debian", tls=True).dsn(tls_server.dbname)
    monkeypatch.setenv("ITC_ADMIN_DATABASE_URL", admin_dsn)
    name = f"bi_{uuid.uuid4().hex[:8]}"
    assert access.main(["grant", name, "--granted-by", "Dana", "--reason", "JIRA-5 BI", "--days", "7"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    password = lines[1]
    uri = next(x for x in lines if x.startswith("  URI:")).split(":", 1)[1].strip()
    keywords = next(x for x in lines if x.startswith("  key=value:")).split(":", 1)[1].strip()
    try:
        assert out.count(password) == 1
        ca = quote(str(tls_server.ca_file))
        assert uri == (f"postgresql://{name}@127.0.0.1:{local_pg.TLS_PORT}/{tls_server.dbname}"
                       f"?sslmode=verify-full&sslrootcert={ca}")
        assert keywords == (f"host=127.0.0.1 port={local_pg.TLS_PORT} dbname={tls_server.dbname} user={name} "
                            f"sslmode=verify-full sslrootcert={tls_server.ca_file}")
        for dsn in (uri, keywords):
            conn = psycopg2.connect(dsn, password=password)
            with conn.cursor() as cur:
                cur.execute("SELECT 1, current_user, (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())")
                assert cur.fetchone() == (1, name, True)
            conn.close()
    finally:
        assert access.main(["revoke", name, "--revoked-by", "Dana", "--reason", "test over"]) == 0


def test_rds_endpoint_names_the_global_bundle():
    """GIVEN the admin connection's server is an RDS endpoint without a CA file of its own
    WHEN the BI connection is described THEN sslrootcert is the RDS global bundle and both forms quote safely."""
    bi = access.BiConnection("itc.abc123.us-east-1.rds.amazonaws.com", 5432, "itc", "jdoe", access.RDS_CA_BUNDLE)
    assert bi.uri() == ("postgresql://jdoe@itc.abc123.us-east-1.rds.amazonaws.com:5432/itc"
                        "?sslmode=verify-full&sslrootcert=global-bundle.pem")
    spaced = access.BiConnection("db", 5432, "itc", "jdoe", r"C:\My Certs\global-bundle.pem")
    assert spaced.keywords().endswith(r"sslrootcert='C:\\My Certs\\global-bundle.pem'")
    assert "%20" in spaced.uri() and " " not in spaced.uri()


def test_finance_login_is_labelled_not_flagged(db):
    """GIVEN a person login given the finance group itc_finance by hand (no analyst or PHI group)
    WHEN access is listed THEN it shows as finance with its group, not flagged; the group itself is not listed."""
    with db.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = 'itc_finance'")
        if cur.fetchone() is None:
            pytest.skip("the itc_finance group is not created by this checkout's roles script")
        name = f"fin_{uuid.uuid4().hex[:8]}"
        cur.execute(f'CREATE ROLE "{name}" LOGIN; GRANT itc_finance TO "{name}"')
    db.commit()
    try:
        listed = {a.username: a for a in access.list_access(db)}
    finally:
        with db.cursor() as cur:
            cur.execute(f'DROP ROLE "{name}"')
        db.commit()
    assert (listed[name].kind, listed[name].groups, listed[name].findings) == ("finance", ("itc_finance",), ())
    assert "itc_finance" not in listed


def test_audit_trail_is_append_only(db, analyst_name):
    """GIVEN an audit row WHEN someone updates or deletes it (even the owner) THEN it is refused."""
    access.grant_analyst(db, analyst_name, granted_by="Dana", reason="JIRA-1", valid_days=10)
    with db.cursor() as cur, pytest.raises(psycopg2.Error, match="append-only"):
        cur.execute("UPDATE ops.access_grants SET reason = 'nothing to see' WHERE username = %s", (analyst_name,))
    db.rollback()
    with db.cursor() as cur, pytest.raises(psycopg2.Error, match="append-only"):
        cur.execute("DELETE FROM ops.access_grants WHERE username = %s", (analyst_name,))
    db.rollback()
