"""The quarterly access review (docs/access.md "Review"): every login of the server, what kind it is,
and what needs fixing — ``itc access list``.

Each login is one of four kinds, decided here once:

- ``built-in``: the server's own logins — a superuser (``postgres`` locally), the RDS master user
  (a member of ``rds_superuser``), RDS's internal ``rdsadmin`` / ``rds*`` logins and the ``pg_*`` roles.
- ``analyst``: holds an analyst or PHI group (``itc_analyst``, ``phi_reader``) — directly or through
  another role, with the group's privileges usable (inherited or ``SET ROLE``-able). Such a login
  needs an audit record in ``ops.access_grants`` and an expiry; without them it is flagged.
- ``finance``: holds the finance group ``itc_finance`` (prices, billing accounts, month close) and no
  analyst or PHI group; granted by hand with the finance owner's approval, so it is listed for the
  review but not flagged.
- ``service``: an ITC service login (:data:`scripts.stack.service_logins.SERVICE_LOGINS`, or any
  ``itc_*`` login: the prefix is reserved for the roles of ``30_create_roles.sql`` and ``grant`` refuses
  it) that holds no analyst or PHI group. Its note is the role's comment from the roles script.
- ``other``: any other login; it holds no analyst or PHI group, so it reads nothing of the warehouse
  unless granted directly (the reviewer checks why it exists).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scripts.stack.service_logins import SERVICE_LOGINS

ANALYST_GROUP = "itc_analyst"
PHI_GROUP = "phi_reader"
FINANCE_GROUP = "itc_finance"
ACCESS_GROUPS = (ANALYST_GROUP, PHI_GROUP)
REVIEWED_GROUPS = (*ACCESS_GROUPS, FINANCE_GROUP)
SERVICE_PREFIX = "itc_"
BUILT_IN_NAMES = ("postgres", "rdsadmin")
BUILT_IN_PREFIXES = ("rds", "pg_")

# Logins, and any other role that holds a reviewed group (the NOLOGIN groups themselves left out). A superuser
# is a member of every role for pg_has_role, so it holds no group here: it is a built-in login.
# %(mode)s: 'SET' from PostgreSQL 16 (a CREATEROLE creator's implicit ADMIN-only grant confers nothing),
# 'MEMBER' before (membership always allowed SET ROLE).
LIST_QUERY = """
SELECT * FROM (
    SELECT r.rolname, r.rolcanlogin, r.rolvaliduntil, coalesce(r.rolvaliduntil < now(), false),
           r.rolsuper OR EXISTS (SELECT 1 FROM pg_roles s WHERE s.rolname = 'rds_superuser'
                                 AND pg_has_role(r.oid, s.oid, 'USAGE')),
           ARRAY(SELECT g.rolname::text FROM pg_roles g
                 WHERE g.rolname = ANY(%(groups)s) AND NOT r.rolsuper
                   AND (pg_has_role(r.oid, g.oid, 'USAGE') OR pg_has_role(r.oid, g.oid, %(mode)s))
                 ORDER BY g.rolname),
           shobj_description(r.oid, 'pg_authid'),
           a.actor, a.reason, a.action, a.recorded_at
    FROM pg_roles AS r
    LEFT JOIN LATERAL (
        SELECT a.actor, a.reason, a.action, a.recorded_at FROM ops.access_grants AS a
        WHERE a.username = r.rolname ORDER BY a.recorded_at DESC, a.event_id DESC LIMIT 1
    ) AS a ON true
    WHERE r.rolcanlogin OR r.rolname <> ALL(%(groups)s)
) AS l(rolname, can_login, valid_until, expired, admin, groups, note, actor, reason, action, recorded_at)
WHERE can_login OR cardinality(groups) > 0
ORDER BY rolname
"""


@dataclass(frozen=True)
class LoginAccess:
    username: str
    kind: str  # built-in | analyst | finance | service | other
    groups: tuple[str, ...]
    can_login: bool
    valid_until: datetime | None
    expired: bool
    granted_by: str | None
    reason: str | None
    last_action: str | None
    recorded_at: datetime | None
    note: str | None

    @property
    def audited(self) -> bool:
        return self.last_action is not None

    @property
    def status(self) -> str:
        return "EXPIRED" if self.expired else ("active" if self.can_login else "disabled")

    @property
    def findings(self) -> tuple[str, ...]:
        """What the reviewer must fix; only analyst logins (they hold an access group) have findings."""
        if self.kind != "analyst":
            return ()
        found = []
        if not self.audited:
            found.append("NO AUDIT RECORD")
        if self.valid_until is None:
            found.append("NO EXPIRY")
        if self.expired and self.can_login:
            found.append("EXPIRED: revoke")
        return tuple(found)


def login_kind(name: str, *, admin: bool, groups: tuple[str, ...]) -> str:
    """built-in, analyst, finance, service or other (the module's docstring says why)."""
    if admin or name in BUILT_IN_NAMES or name.startswith(BUILT_IN_PREFIXES):
        return "built-in"
    if set(groups) & set(ACCESS_GROUPS):
        return "analyst"
    if groups:
        return "finance"
    if name in SERVICE_LOGINS or name.startswith(SERVICE_PREFIX):
        return "service"
    return "other"


@dataclass(frozen=True)
class PhiGrantViolation:
    """A phi_reader member the database finds without a valid recorded PHI grant (``ops.phi_grant_violations()``)."""

    username: str
    held_through: str
    problem: str


def phi_grant_violations(conn: Any) -> list[PhiGrantViolation]:
    """``ops.phi_grant_violations()``: every phi_reader member (directly or through another role) without an
    unexpired PHI grant of at most 90 days recorded in ops.access_grants, a hand-run GRANT included."""
    with conn, conn.cursor() as cur:
        cur.execute("SELECT username, held_through, problem FROM ops.phi_grant_violations()")
        return [PhiGrantViolation(*row) for row in cur.fetchall()]


def render_violations(violations: list[PhiGrantViolation]) -> list[str]:
    """The PHI grant check's lines of ``itc access review``."""
    if not violations:
        return ["PHI grants: every phi_reader member has a recorded grant of at most 90 days (ok)"]
    lines = [f"PHI grants: {len(violations)} phi_reader member(s) without a recorded grant of at most 90 days "
             "(revoke with `itc access revoke`, or REVOKE phi_reader, then investigate):"]
    lines += [f"  PHI GRANT: {v.username} (holds {v.held_through}): {v.problem}" for v in violations]
    return lines


def membership_mode(conn: Any) -> str:
    """The pg_has_role mode that, with 'USAGE', means "may use the group's privileges" (see LIST_QUERY)."""
    return "SET" if conn.server_version >= 160000 else "MEMBER"


def list_access(conn: Any) -> list[LoginAccess]:
    """Every login of the server (and any role holding an access group), its kind, groups, expiry and
    latest audit record — the quarterly review's list."""
    with conn, conn.cursor() as cur:
        cur.execute(LIST_QUERY, {"groups": list(REVIEWED_GROUPS), "mode": membership_mode(conn)})
        rows = cur.fetchall()
    out = []
    for name, can_login, until, expired, admin, held, note, actor, reason, action, recorded_at in rows:
        groups = tuple(held)
        out.append(LoginAccess(name, login_kind(name, admin=admin, groups=groups), groups, can_login, until,
                               expired, actor, reason, action, recorded_at, note))
    return out


# ------------------------------------------------------------------------------------ table

COLUMNS = (("login", 20), ("kind", 8), ("groups", 23), ("valid until (UTC)", 17), ("status", 8),
           ("check", 26), ("granted/renewed by", 22), ("reason / note", 60))


def cell(text: str, width: int) -> str:
    """``text`` on one line in exactly ``width`` characters: padded, or cut with an ellipsis."""
    text = " ".join(text.split())
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"


NOTES = {"built-in": "superuser / RDS master", "finance": "finance group, granted by hand (approval in its ticket)",
         "other": "holds no analyst, PHI or finance group"}


def _until(a: LoginAccess) -> str:
    if a.valid_until is not None:
        return a.valid_until.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return "never" if a.kind == "analyst" else "-"


def render_table(rows: list[LoginAccess]) -> list[str]:
    """The review as fixed-width lines: one column per field, long values cut with an ellipsis."""
    lines = [" ".join(cell(title, width) for title, width in COLUMNS).rstrip()]
    for a in rows:
        if a.kind == "analyst":
            who, why = a.granted_by or "-", a.reason or "-"
        else:
            who, why = "-", a.note or NOTES.get(a.kind, "-")
        values = (a.username, a.kind, ", ".join(a.groups) or "-", _until(a), a.status,
                  ", ".join(a.findings) or "ok", who, why)
        lines.append(" ".join(cell(v, width) for v, (_, width) in zip(values, COLUMNS, strict=True)).rstrip())
    flagged = sum(1 for a in rows if a.findings)
    analysts = sum(1 for a in rows if a.kind == "analyst")
    lines.append(f"{len(rows)} login(s): {analysts} analyst, {flagged} to fix (revoke and investigate a login "
                 "with NO AUDIT RECORD; renew or revoke an expired one)")
    return lines
