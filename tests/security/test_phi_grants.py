"""The 90-day limit on PHI access, held by the database (ops.phi_grant_violations()): a member
of phi_reader without a recorded grant of at most 90 days — a hand-run GRANT included — fails the
orchestrator's quality check ``phi_grants`` and is listed by `itc access review`; a grant made with
`itc access grant --phi` is not."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from psycopg2 import sql

from orchestrator.quality import run_quality_checks
from scripts.itc import access
from scripts.stack.service_logins import local_login_dsn, set_service_passwords
from tests.warehouse.kit import read


@pytest.fixture
def roles(db: Any) -> Iterator[list[str]]:
    """Names for throw-away roles; each one that exists at the end is dropped (they are cluster-wide)."""
    names: list[str] = []
    yield names
    db.rollback()
    db.autocommit = True
    with db.cursor() as cur:
        for name in reversed(names):
            cur.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def _new(roles: list[str], prefix: str) -> str:
    roles.append(f"{prefix}_{uuid.uuid4().hex[:8]}")
    return roles[-1]


def _quality_as_refresher(db_dsn: str) -> dict[str, Any]:
    """The orchestrator's quality checks, logged in as itc_refresher as the Lambda is."""
    import psycopg2

    set_service_passwords(db_dsn)
    conn = psycopg2.connect(local_login_dsn(db_dsn, "itc_refresher"))
    try:
        return run_quality_checks(conn, raise_on_failure=False, emit_metrics=False)
    finally:
        conn.close()


def _phi_results(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["subject"]: r for r in summary["results"] if r["check"] == "phi_grants"}


def _review(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db_dsn: str) -> tuple[int, str]:
    monkeypatch.setenv("ITC_ADMIN_DATABASE_URL", db_dsn)
    code = access.main(["review"])
    return code, capsys.readouterr().out


def test_hand_run_phi_grant_is_flagged_by_quality_check_and_access_review(db, db_dsn, roles, monkeypatch, capsys):
    """GIVEN a login given phi_reader by a hand-run GRANT, and another holding it through a group role
    WHEN the orchestrator's quality checks run (as itc_refresher) and `itc access review` runs
    THEN both logins (and the group) fail check phi_grants at level error, stored in ops.quality_results,
    with the problem named; the review lists them and exits 1."""
    direct, group, nested = _new(roles, "hand"), _new(roles, "phigroup"), _new(roles, "nested")
    with db, db.cursor() as cur:
        cur.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(direct)))
        cur.execute(sql.SQL("GRANT phi_reader TO {}").format(sql.Identifier(direct)))
        cur.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(group)))
        cur.execute(sql.SQL("GRANT phi_reader TO {}").format(sql.Identifier(group)))
        cur.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(sql.Identifier(nested), sql.Identifier(group)))

    summary = _quality_as_refresher(db_dsn)
    results = _phi_results(summary)
    for name in (direct, group, nested):
        assert results[name]["passed"] is False and results[name]["level"] == "error"
        assert "no recorded grant (ops.access_grants): granted by hand" in results[name]["detail"]
        assert f"phi_grants:{name}" in summary["failed"]
    assert f"{nested} holds phi_reader (through {group})" in results[nested]["detail"]
    stored = read(db, "SELECT subject, passed, level FROM ops.quality_results WHERE check_run_id = %s "
                      "AND check_name = 'phi_grants'", (summary["check_run_id"],))
    assert (direct, False, "error") in stored

    code, out = _review(monkeypatch, capsys, db_dsn)
    assert code == 1
    assert f"PHI GRANT: {direct} (holds phi_reader): no recorded grant (ops.access_grants): granted by hand" in out
    assert f"PHI GRANT: {nested} (holds through {group}): no recorded grant" in out


def test_phi_grant_made_by_itc_access_for_30_days_is_not_flagged(db, db_dsn, roles, monkeypatch, capsys):
    """GIVEN an analyst granted PHI access with `itc access grant --phi` for 30 days
    WHEN the quality checks and `itc access review` run
    THEN neither flags it; and once its login's expiry is pushed past the recorded grant by hand, both do."""
    name = _new(roles, "granted")
    access.grant_analyst(db, name, granted_by="Dana (CFO)", reason="JIRA-9 claim audit", valid_days=30, phi=True)

    assert name not in _phi_results(_quality_as_refresher(db_dsn))
    code, out = _review(monkeypatch, capsys, db_dsn)
    assert name not in out.split("PHI grants:")[1]

    with db, db.cursor() as cur:
        cur.execute(sql.SQL("ALTER ROLE {} VALID UNTIL 'infinity'").format(sql.Identifier(name)))
    flagged = _phi_results(_quality_as_refresher(db_dsn))[name]
    assert flagged["passed"] is False and "the login outlives its PHI grant" in flagged["detail"]
    code, out = _review(monkeypatch, capsys, db_dsn)
    assert code == 1 and f"PHI GRANT: {name} (holds phi_reader): the login outlives its PHI grant" in out
    access.revoke_analyst(db, name, revoked_by="test cleanup", reason="test over")
