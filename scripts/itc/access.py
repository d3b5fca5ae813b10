"""Analyst access to the warehouse (docs/access.md): grant, renew, revoke, list — each audited.

    itc access grant alice --granted-by "Dana Lee (CFO)" --reason "JIRA-123 BI dashboards" --days 90
    itc access grant bob --phi --granted-by "Dana Lee (CFO)" --reason "JIRA-124 claim audit" --days 30
    itc access revoke alice --revoked-by "Dana Lee (CFO)" --reason "left the team"
    itc access list
    itc access review     # the list, then the PHI grants the database finds unrecorded or too long (exit 1)

(``python -m scripts.itc.access …`` is the same.) The admin connection (:func:`admin_connection`) is
``ITC_ADMIN_DATABASE_URL``, else ``ITC_DATABASE_URL``, else the embedded PostgreSQL's superuser
(:func:`scripts.stack.local_pg.admin_dsn`). Against any server that is not on this machine it must
verify the server (``sslmode=verify-full``, in the DSN or ``PGSSLMODE``: the rule of
:mod:`itc_common_utilities.dsn`), and ``grant``/``revoke``
need a login that may create roles (the RDS master user, or a role with CREATEROLE): both are
checked before anything changes.

- :func:`grant_analyst` creates (or renews) a LOGIN role that expires (``VALID UNTIL``), is a member
  of ``itc_analyst`` only, reads in read-only transactions, and records who approved it and why in
  ``ops.access_grants`` — in one transaction. It returns the generated password, shown once;
  :func:`bi_connection` is what the analyst's BI tool connects with (host, port, database, user,
  ``sslmode=verify-full`` and the CA bundle; never the password), through the analysts' route
  (:mod:`scripts.itc.access_route`: for ``ssm`` the tunnel's command, ``host=<RDS name>
  hostaddr=127.0.0.1``, and the hosts-file line for JDBC/ODBC tools). With ``phi`` (``--phi``) the login
  also gets ``phi_reader`` (PHI columns of raw and curated; every such read is logged by pgAudit,
  ``ops.apply_phi_audit_grants()``), for at most :data:`MAX_PHI_VALID_DAYS`, recorded with
  ``role_granted`` ``phi_reader``; a renewal without ``--phi`` takes PHI access away again.
  ``recorded_by``/``recorded_at`` are set by the database (the trigger ``ops.stamp_access_grant()``),
  never by this code.
- :func:`revoke_analyst` ends the login's sessions, drops it, and records who ordered it and why.
- :func:`scripts.itc.access_review.list_access` is the quarterly review (built-in, service and analyst
  logins; an analyst login with no audit record is flagged); ``review`` adds the database's own check of
  PHI grants, ``ops.phi_grant_violations()`` (every phi_reader member without an unexpired,
  recorded PHI grant of at most 90 days, a hand-run ``GRANT phi_reader`` included) and exits 1 when it
  finds one.

Passwords never reach the server in clear: :func:`scripts.stack.service_logins.set_password` sends a
SCRAM-SHA-256 verifier computed here, with statement/error logging off for that transaction where
the login may switch it off. Exit codes (:mod:`scripts.itc.errors`): 2 for an invalid request (nothing
is changed, no database needed), 1 for a refusal or a database error.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from itc_common_utilities.dsn import is_local, transport_refusal
from scripts.itc.access_review import (
    ANALYST_GROUP,
    PHI_GROUP,
    list_access,
    membership_mode,
    phi_grant_violations,
    render_table,
    render_violations,
)
from scripts.itc.access_route import LOOPBACK, Route, RouteError, jdbc_lines, load_route, steps
from scripts.itc.errors import EXIT_CODES, EXIT_FAILURE, EXIT_USAGE, first_line
from scripts.stack import local_pg
from scripts.stack.service_logins import generate_password, set_password

MAX_VALID_DAYS = 366
MAX_PHI_VALID_DAYS = 90  # PHI access expires within a quarter, before its review
USERNAME = re.compile(r"^[a-z][a-z0-9_]{2,62}$")
RESERVED_PREFIXES = ("itc_", "pg_", "rds")
RDS_CA_BUNDLE = "global-bundle.pem"  # the RDS global CA bundle (docs/access.md says where AWS publishes it)


class AccessError(ValueError):
    """An invalid request (a usage error, exit 2): the message says why; nothing was changed."""


class AccessRefused(AccessError):
    """A request the server's state or the admin connection rules out (exit 1); nothing was changed."""


# ---------------------------------------------------------------------------- analysts

def _role(cur: Any, username: str) -> tuple[bool, bool] | None:
    """(is an analyst login: holds itc_analyst and no admin attribute, can log in) of an existing role,
    None when it does not exist. A superuser, the RDS master user or a CREATEROLE creator of the group
    is never taken for an analyst (pg_has_role's MEMBER would say so)."""
    cur.execute(
        "SELECT NOT (r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication OR r.rolbypassrls) "
        "AND (pg_has_role(r.oid, g.oid, 'USAGE') OR pg_has_role(r.oid, g.oid, %(mode)s)), r.rolcanlogin "
        "FROM pg_roles r, pg_roles g WHERE r.rolname = %(name)s AND g.rolname = %(group)s",
        {"mode": membership_mode(cur.connection), "name": username, "group": ANALYST_GROUP},
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


def check_grant(username: str, granted_by: str, reason: str, valid_days: int, *,
                phi: bool = False) -> tuple[str, str]:
    """Refuse an invalid grant (AccessError) before any connection; return (granted_by, reason) trimmed."""
    _check_username(username)
    granted_by = _check_text("granted_by", granted_by)
    reason = _check_text("reason", reason)
    if isinstance(valid_days, bool) or not isinstance(valid_days, int) or not 1 <= valid_days <= MAX_VALID_DAYS:
        raise AccessError(
            f"valid_days must be between 1 and {MAX_VALID_DAYS} (access is reviewed quarterly), got {valid_days!r}"
        )
    if phi and valid_days > MAX_PHI_VALID_DAYS:
        raise AccessError(f"a PHI grant (--phi) may last at most {MAX_PHI_VALID_DAYS} days, got {valid_days}")
    return granted_by, reason


def check_revoke(username: str, revoked_by: str, reason: str) -> tuple[str, str]:
    """Refuse an invalid revocation (AccessError) before any connection; return (revoked_by, reason)."""
    _check_username(username)
    return _check_text("revoked_by", revoked_by), _check_text("reason", reason)


def grant_analyst(conn: Any, username: str, *, granted_by: str, reason: str, valid_days: int = 90,
                  phi: bool = False) -> str:
    """Create (or renew) analyst login ``username`` expiring in ``valid_days`` (with ``phi``: a member of
    phi_reader too; without: not); return its new password."""
    granted_by, reason = check_grant(username, granted_by, reason, valid_days, phi=phi)
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
            raise AccessRefused(f"role {username!r} exists and is not an analyst login; refusing to change it")
        set_password(cur, username, password)
        cur.execute(sql.SQL("ALTER ROLE {} LOGIN VALID UNTIL {}").format(ident, sql.Literal(valid_until.isoformat())))
        cur.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(ANALYST_GROUP), ident))
        cur.execute(sql.SQL("GRANT {} TO {}" if phi else "REVOKE {} FROM {}").format(sql.Identifier(PHI_GROUP), ident))
        cur.execute(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(ident))
        cur.execute(sql.SQL("ALTER ROLE {} SET idle_in_transaction_session_timeout = '15min'").format(ident))
        cur.execute(
            "INSERT INTO ops.access_grants (username, action, role_granted, actor, reason, valid_until) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (username, action, PHI_GROUP if phi else ANALYST_GROUP, granted_by, reason, valid_until),
        )
    return password


def revoke_analyst(conn: Any, username: str, *, revoked_by: str, reason: str) -> None:
    """End analyst ``username``'s sessions, drop the login, and record who ordered it and why."""
    revoked_by, reason = check_revoke(username, revoked_by, reason)
    with conn, conn.cursor() as cur:
        existing = _role(cur, username)
        if existing is None:
            raise AccessRefused(f"no analyst login {username!r} to revoke")
        if not existing[0]:
            raise AccessRefused(f"role {username!r} is not an analyst login; refusing to drop it")
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


# ------------------------------------------------------------------- the admin connection

def admin_dsn_source() -> str:
    """Where the admin DSN comes from, as error messages name it."""
    for name in ("ITC_ADMIN_DATABASE_URL", "ITC_DATABASE_URL"):
        if os.environ.get(name):
            return name
    return "the embedded PostgreSQL's DSN"


def admin_connection(*, manage_roles: bool) -> psycopg2.extensions.connection:
    """Connect with the admin DSN (module docstring). Refused (AccessRefused) when a server that is not
    on this machine would be reached without ``sslmode=verify-full``, or, with ``manage_roles``, when
    the login may not create roles."""
    dsn = local_pg.admin_dsn()
    refusal = transport_refusal(dsn, source=admin_dsn_source())
    if refusal is not None:
        raise AccessRefused(refusal)
    conn = psycopg2.connect(dsn, application_name="itc access")
    if manage_roles:
        with conn.cursor() as cur:
            cur.execute("SELECT current_user, rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
            user, may = cur.fetchone()
        conn.rollback()
        if not may:
            conn.close()
            raise AccessRefused(
                f"the admin connection logs in as {user}, which may not create roles: set ITC_ADMIN_DATABASE_URL "
                "to the RDS master user or a role with CREATEROLE (docs/access.md)")
    return conn


# --------------------------------------------------------------- what a BI tool connects with

@dataclass(frozen=True)
class BiConnection:
    """Where and how an analyst connects: the admin connection's server and database, over verified TLS."""

    host: str
    port: int
    dbname: str
    user: str
    sslrootcert: str
    sslmode: str = "verify-full"
    hostaddr: str | None = None  # through a tunnel: the address to dial; ``host`` stays the name verified

    def uri(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        tunnel = {"hostaddr": self.hostaddr} if self.hostaddr else {}
        query = urlencode({**tunnel, "sslmode": self.sslmode, "sslrootcert": self.sslrootcert}, safe="/",
                          quote_via=quote)
        return f"postgresql://{quote(self.user, safe='')}@{host}:{self.port}/{quote(self.dbname, safe='')}?{query}"

    def keywords(self) -> str:
        tunnel = (("hostaddr", self.hostaddr),) if self.hostaddr else ()
        pairs = (("host", self.host), *tunnel, ("port", self.port), ("dbname", self.dbname), ("user", self.user),
                 ("sslmode", self.sslmode), ("sslrootcert", self.sslrootcert))
        return " ".join(f"{key}={_libpq_value(str(value))}" for key, value in pairs)


def _libpq_value(text: str) -> str:
    if text and not re.search(r"[\s'\\]", text):
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def bi_connection(conn: Any, username: str, *, ca_bundle: str | None = None,
                  route: Route | None = None) -> BiConnection:
    """The BI connection of ``username`` on the admin connection's server. CA bundle: ``ca_bundle``, else
    the one the admin connection verified the server with, else (this machine) the local TLS cluster's
    CA, else the RDS global bundle's file name. Through the ``ssm`` route's tunnel: the RDS name
    (``ITC_ANALYST_DB_HOST``, else the admin connection's host) as ``host``, 127.0.0.1 as ``hostaddr``,
    the tunnel's local port."""
    params = conn.get_dsn_parameters()
    verified = params.get("sslrootcert") if params.get("sslmode") in ("verify-ca", "verify-full") else None
    host = conn.info.host
    local = is_local(psycopg2.extensions.make_dsn(host=host))
    local_ca = str(local_pg.cluster("debian", tls=True).ca_file) if local else None
    ca = ca_bundle or verified or local_ca or RDS_CA_BUNDLE
    route = route or Route()
    if route.tunnel:
        return BiConnection(route.db_host or host, route.local_port, conn.info.dbname, username, ca,
                            hostaddr=LOOPBACK)
    return BiConnection(route.db_host or host, int(conn.info.port), conn.info.dbname, username, ca)


def grant_lines(conn: Any, username: str, password: str, days: int, ca_bundle: str | None, *,
                route: Route | None = None) -> list[str]:
    """What ``itc access grant`` prints: the password once, the route's steps (access_route), then the
    connection without the password."""
    route = route or Route()
    bi = bi_connection(conn, username, ca_bundle=ca_bundle, route=route)
    lines = [f"analyst login {username} ready, valid {days} days. Password (shown once, send it through the "
             f"password manager, never by e-mail):", password, "", *steps(route, bi.host),
             "Connect the BI tool with (the tool asks for the password; it is not part of these):",
             f"  URI:       {bi.uri()}",
             f"  key=value: {bi.keywords()}",
             *jdbc_lines(route, bi.host)]
    if os.path.basename(bi.sslrootcert) == RDS_CA_BUNDLE:
        lines.append(f"  CA bundle: {bi.sslrootcert} is the RDS global bundle: download {RDS_CA_BUNDLE} from AWS's "
                     "page \"Using SSL/TLS to encrypt a connection to a DB instance or cluster\" and put its path "
                     "in sslrootcert (docs/access.md)")
    else:
        lines.append(f"  CA bundle: {bi.sslrootcert}")
    if not conn.info.ssl_in_use:
        lines.append("  note: the admin connection is not encrypted, so this server may offer no TLS (the local "
                     "pgserver cluster has none; `python -m scripts.stack.local_pg start --engine debian --tls` "
                     "starts one that has); RDS always does")
    return lines


# --------------------------------------------------------------------------------- CLI

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="itc access", description="Grant, revoke and review analyst access.",
                                     epilog=EXIT_CODES)
    sub = parser.add_subparsers(dest="action", required=True)
    g = sub.add_parser("grant", help="create or renew an analyst login (prints its password once)")
    g.add_argument("username")
    g.add_argument("--granted-by", required=True, help="who approved the request")
    g.add_argument("--reason", required=True, help="ticket and purpose")
    g.add_argument("--days", type=int, default=90, help="days until the login expires (default 90)")
    g.add_argument("--phi", action="store_true",
                   help=f"also grant phi_reader (PHI columns, every read audited), at most {MAX_PHI_VALID_DAYS} "
                        "days; a grant without it takes PHI access away")
    g.add_argument("--ca-bundle", default=None,
                   help=f"CA bundle path to print in the connection string (default: the admin connection's "
                        f"sslrootcert, else {RDS_CA_BUNDLE})")
    g.add_argument("--route", choices=("ssm", "client_vpn", "direct"), default=None,
                   help="how the analyst reaches the warehouse (default: ITC_ANALYST_ROUTE, else direct; "
                        "docs/access.md \"Reaching the warehouse\")")
    g.add_argument("--local-port", type=int, default=None,
                   help="route ssm: the tunnel's local port (default: ITC_ANALYST_LOCAL_PORT, else 15432)")
    r = sub.add_parser("revoke", help="drop an analyst login")
    r.add_argument("username")
    r.add_argument("--revoked-by", required=True)
    r.add_argument("--reason", required=True)
    sub.add_parser("list", help="every login: built-in, service or analyst; expiry, who granted it, what to fix")
    sub.add_parser("review", help="the list, then every phi_reader member the database finds without a recorded "
                                  "PHI grant of at most 90 days (exit 1 when there is one)")
    return parser


def _run(conn: Any, args: argparse.Namespace, route: Route | None) -> list[str]:
    if args.action == "grant":
        password = grant_analyst(conn, args.username, granted_by=args.granted_by, reason=args.reason,
                                 valid_days=args.days, phi=args.phi)
        phi_note = [f"  PHI: {args.username} also reads PHI columns (phi_reader) until the login expires; every PHI "
                    "read is audited (pgAudit)"] if args.phi else []
        return grant_lines(conn, args.username, password, args.days, args.ca_bundle, route=route) + phi_note
    if args.action == "revoke":
        revoke_analyst(conn, args.username, revoked_by=args.revoked_by, reason=args.reason)
        return [f"analyst login {args.username} revoked"]
    lines = render_table(list_access(conn))
    if args.action == "review":
        lines += ["", *render_violations(phi_grant_violations(conn))]
    return lines


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    route = None
    try:
        if args.action == "grant":  # an invalid request is refused before any connection
            check_grant(args.username, args.granted_by, args.reason, args.days, phi=args.phi)
            route = load_route(args.route, args.local_port)
        elif args.action == "revoke":
            check_revoke(args.username, args.revoked_by, args.reason)
        conn = admin_connection(manage_roles=args.action not in ("list", "review"))
        try:
            lines = _run(conn, args, route)
            violations = phi_grant_violations(conn) if args.action == "review" else []
        finally:
            conn.close()
    except AccessRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except (AccessError, RouteError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (psycopg2.Error, local_pg.LocalPgError) as exc:
        print(f"error: {first_line(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    print("\n".join(lines))
    return EXIT_FAILURE if violations else 0


if __name__ == "__main__":
    sys.exit(main())
