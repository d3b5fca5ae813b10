"""Analyst access to the warehouse (docs/access.md): grant, renew, revoke, list — each audited.

    python -m scripts.access grant alice --granted-by "Dana Lee (CFO)" --reason "JIRA-123 BI dashboards" --days 90
    python -m scripts.access revoke alice --revoked-by "Dana Lee (CFO)" --reason "left the team"
    python -m scripts.access list

(``itc access grant|revoke|list`` calls the same functions.) Run as the administrator: the RDS master
user, or locally the embedded cluster's superuser; ``ITC_ADMIN_DATABASE_URL`` names it, else
``ITC_DATABASE_URL``, else the embedded PostgreSQL.

- :func:`grant_analyst` creates (or renews) a LOGIN role that expires (``VALID UNTIL``), is a member
  of ``itc_analyst`` only, reads in read-only transactions, and records who approved it and why in
  ``ops.access_grants`` — in one transaction. It returns the generated password, shown once.
- :func:`revoke_analyst` ends the login's sessions, drops it, and records who ordered it and why.
- :func:`list_access` is the quarterly review: every analyst login with its expiry and its last
  audit record (a login with no record is flagged).

Passwords never reach the server in clear: :func:`scripts.stack.service_logins.set_password` sends a
SCRAM-SHA-256 verifier computed here, with statement/error logging off for that transaction where
the login may switch it off. The local service logins live in :mod:`scripts.stack.service_logins`.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg2
import psycopg2.errors
from psycopg2 import sql

from scripts.itc.errors import first_line
from scripts.stack import local_pg
from scripts.stack.service_logins import generate_password, set_password

ANALYST_GROUP = "itc_analyst"
MAX_VALID_DAYS = 366
USERNAME = re.compile(r"^[a-z][a-z0-9_]{2,62}$")
RESERVED_PREFIXES = ("itc_", "pg_", "rds")


class AccessError(ValueError):
    """A request the access process refuses; the message says why."""


@dataclass(frozen=True)
class AnalystAccess:
    username: str
    can_login: bool
    valid_until: datetime | None
    expired: bool
    granted_by: str | None
    reason: str | None
    last_action: str | None
    recorded_at: datetime | None

    @property
    def audited(self) -> bool:
        return self.last_action is not None


# ---------------------------------------------------------------------------- analysts

def _role(cur: Any, username: str) -> tuple[bool, bool] | None:
    """(is a member of itc_analyst, can log in) of an existing role, None when it does not exist."""
    cur.execute(
        "SELECT pg_has_role(r.oid, %s, 'MEMBER') AND r.oid <> %s::regrole, r.rolcanlogin "
        "FROM pg_roles r WHERE r.rolname = %s",
        (ANALYST_GROUP, ANALYST_GROUP, username),
    )
    row = cur.fetchone()
    return None if row is None else (bool(row[0]), bool(row[1]))


def _check_username(username: str) -> None:
    if not USERNAME.match(username or ""):
        raise AccessError(
            f"analyst username {username!r} is not valid: "
            "use 3-63 lower-case letters, digits or _, starting with a letter"
        )
    reserved = username.startswith(RESERVED_PREFIXES) or username.endswith("_read_only")
    if reserved or username in {"phi_reader", "postgres"}:
        raise AccessError(f"{username!r} is reserved for system and service roles; pick a personal login name")


def _check_text(name: str, value: str) -> str:
    if not value or not value.strip():
        raise AccessError(f"{name} is required (who approved it / why): the access audit trail needs it")
    return value.strip()


def grant_analyst(conn: Any, username: str, *, granted_by: str, reason: str, valid_days: int = 90) -> str:
    """Create (or renew) analyst login ``username`` expiring in ``valid_days``; return its new password."""
    _check_username(username)
    granted_by = _check_text("granted_by", granted_by)
    reason = _check_text("reason", reason)
    if not isinstance(valid_days, int) or not 1 <= valid_days <= MAX_VALID_DAYS:
        raise AccessError(
            f"valid_days must be between 1 and {MAX_VALID_DAYS} (access is reviewed quarterly), got {valid_days!r}"
        )
    password = generate_password()
    ident = sql.Identifier(username)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT now() + make_interval(days => %s)", (valid_days,))
        valid_until = cur.fetchone()[0]
        existing = _role(cur, username)
        if existing is None:
            action = "grant"
            cur.execute(sql.SQL("CREATE ROLE {} LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                                "NOBYPASSRLS CONNECTION LIMIT 5").format(ident))
        elif existing[0]:
            action = "renew"
        else:
            raise AccessError(f"role {username!r} exists and is not an analyst login; refusing to change it")
        set_password(cur, username, password)
        cur.execute(sql.SQL("ALTER ROLE {} LOGIN VALID UNTIL {}").format(ident, sql.Literal(valid_until.isoformat())))
        cur.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(ANALYST_GROUP), ident))
        cur.execute(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(ident))
        cur.execute(sql.SQL("ALTER ROLE {} SET idle_in_transaction_session_timeout = '15min'").format(ident))
        cur.execute(
            "INSERT INTO ops.access_grants (username, action, role_granted, actor, reason, valid_until) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (username, action, ANALYST_GROUP, granted_by, reason, valid_until),
        )
    return password


def revoke_analyst(conn: Any, username: str, *, revoked_by: str, reason: str) -> None:
    """End analyst ``username``'s sessions, drop the login, and record who ordered it and why."""
    _check_username(username)
    revoked_by = _check_text("revoked_by", revoked_by)
    reason = _check_text("reason", reason)
    with conn, conn.cursor() as cur:
        existing = _role(cur, username)
        if existing is None:
            raise AccessError(f"no analyst login {username!r} to revoke")
        if not existing[0]:
            raise AccessError(f"role {username!r} is not an analyst login; refusing to drop it")
        cur.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(username)))
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s AND pid <> pg_backend_pid()",
            (username,),
        )
        cur.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(username)))
        cur.execute(
            "INSERT INTO ops.access_grants (username, action, role_granted, actor, reason) "
            "VALUES (%s, 'revoke', %s, %s, %s)",
            (username, ANALYST_GROUP, revoked_by, reason),
        )


LIST_QUERY = """
SELECT r.rolname, r.rolcanlogin, r.rolvaliduntil, coalesce(r.rolvaliduntil < now(), false),
       g.actor, g.reason, g.action, g.recorded_at
FROM pg_roles AS r
LEFT JOIN LATERAL (
    SELECT a.actor, a.reason, a.action, a.recorded_at FROM ops.access_grants AS a
    WHERE a.username = r.rolname ORDER BY a.recorded_at DESC, a.event_id DESC LIMIT 1
) AS g ON true
WHERE pg_has_role(r.oid, %s, 'MEMBER') AND r.rolname <> %s
ORDER BY r.rolname
"""


def list_access(conn: Any) -> list[AnalystAccess]:
    """Every login that holds analyst access, with its expiry and its latest audit record."""
    with conn, conn.cursor() as cur:
        cur.execute(LIST_QUERY, (ANALYST_GROUP, ANALYST_GROUP))
        return [AnalystAccess(*row) for row in cur.fetchall()]


# --------------------------------------------------------------------------------- CLI

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="itc access", description="Grant, revoke and review analyst access.")
    sub = parser.add_subparsers(dest="action", required=True)
    g = sub.add_parser("grant", help="create or renew an analyst login (prints its password once)")
    g.add_argument("username")
    g.add_argument("--granted-by", required=True, help="who approved the request")
    g.add_argument("--reason", required=True, help="ticket and purpose")
    g.add_argument("--days", type=int, default=90, help="days until the login expires (default 90)")
    r = sub.add_parser("revoke", help="drop an analyst login")
    r.add_argument("username")
    r.add_argument("--revoked-by", required=True)
    r.add_argument("--reason", required=True)
    sub.add_parser("list", help="every analyst login, its expiry and who granted it (quarterly review)")
    args = parser.parse_args(argv)
    conn = psycopg2.connect(local_pg.admin_dsn())
    try:
        if args.action == "grant":
            password = grant_analyst(conn, args.username, granted_by=args.granted_by, reason=args.reason,
                                     valid_days=args.days)
            print(f"analyst login {args.username} ready, valid {args.days} days. Password (shown once, send it "
                  f"through the password manager, never by e-mail):\n{password}")
        elif args.action == "revoke":
            revoke_analyst(conn, args.username, revoked_by=args.revoked_by, reason=args.reason)
            print(f"analyst login {args.username} revoked")
        else:
            rows = list_access(conn)
            print(f"{'login':<24} {'valid until':<26} {'status':<9} {'granted/renewed by':<24} reason")
            for a in rows:
                status = "EXPIRED" if a.expired else ("active" if a.can_login else "disabled")
                until = a.valid_until.isoformat(timespec="minutes") if a.valid_until else "NEVER (fix!)"
                who = a.granted_by or "NO AUDIT RECORD"
                print(f"{a.username:<24} {until:<26} {status:<9} {who:<24} {a.reason or ''}")
            print(f"{len(rows)} analyst login(s)")
    except AccessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except psycopg2.Error as exc:
        print(f"error: {first_line(exc)}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
