"""Per-source loader logins (docs/design.md §6, ops.apply_loader_login_grants): itc_loader_demand and
itc_loader_verifyplus each write only their own source's raw tables and record only their own source's
load runs and rejected records; a load run is finished through ops.finish_load_run, never by UPDATE.
Each login connects with its own password over TCP, as the local stack's loads do (scripts/itc/jobs.py)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg2
import pytest
from psycopg2 import errorcodes

from scripts.stack import service_logins

RUN = ("INSERT INTO ops.load_runs (source, run_id, manifest_bucket, manifest_key, manifest_sha256, status, started_at) "
       "VALUES (%s, 'r1', 'b', %s, repeat(%s, 64), 'succeeded', now()) RETURNING load_id")
FINISH = "SELECT ops.finish_load_run(%s, 'succeeded', 3, 2, 1, 0, '{}'::jsonb)"
REJECT = ("INSERT INTO ops.rejected_records (load_id, source, table_name, source_key, line_number, reason_code) "
          "VALUES (%s, %s, 'documents', 'k', 1, 'bad_type')")


@pytest.fixture
def logins(migrated_db_dsn: str) -> Iterator[dict[str, psycopg2.extensions.connection]]:
    """A migrated warehouse with one finished run per source (by the owner), and a connection per loader login."""
    admin = psycopg2.connect(migrated_db_dsn)
    with admin, admin.cursor() as cur:
        for source, digit in (("demand", "a"), ("verifyplus", "b")):
            cur.execute(RUN, (source, f"{source}/run=r1/_manifest.json", digit))
    admin.close()
    service_logins.set_service_passwords(migrated_db_dsn)
    conns = {role: psycopg2.connect(service_logins.local_login_dsn(migrated_db_dsn, role))
             for role in ("itc_loader_demand", "itc_loader_verifyplus")}
    yield conns | {"admin": psycopg2.connect(migrated_db_dsn)}
    for conn in conns.values():
        conn.close()


def refused(conn: psycopg2.extensions.connection, statement: str, params: tuple) -> psycopg2.Error:
    with pytest.raises(psycopg2.Error) as caught, conn.cursor() as cur:
        cur.execute(statement, params)
    conn.rollback()
    return caught.value


def test_demand_login_sees_and_records_only_demand_runs(logins) -> None:
    """GIVEN a finished run of each source WHEN itc_loader_demand reads ops.load_runs and records a run
    THEN it sees the demand run only, may insert a demand run, and a verifyplus run is refused by row-level
    security (42501) with nothing recorded."""
    demand = logins["itc_loader_demand"]
    with demand.cursor() as cur:
        cur.execute("SELECT source FROM ops.load_runs")
        assert [r[0] for r in cur.fetchall()] == ["demand"]
    error = refused(demand, RUN, ("verifyplus", "verifyplus/run=r2/_manifest.json", "c"))
    assert error.pgcode == errorcodes.INSUFFICIENT_PRIVILEGE
    assert 'new row violates row-level security policy for table "load_runs"' in str(error)
    with logins["admin"].cursor() as cur:
        cur.execute("SELECT source, count(*) FROM ops.load_runs GROUP BY source ORDER BY source")
        assert cur.fetchall() == [("demand", 1), ("verifyplus", 1)]


def test_finish_load_run_changes_only_the_open_run(
        logins) -> None:
    """GIVEN itc_loader_verifyplus opens a run WHEN it finishes it with ops.finish_load_run THEN the run has
    its counts; an UPDATE of ops.load_runs is refused (no privilege), and finishing an earlier run (its own
    source's, once committed) or the other source's run is refused with a message naming the run."""
    verifyplus = logins["itc_loader_verifyplus"]
    with verifyplus.cursor() as cur:
        cur.execute(RUN, ("verifyplus", "verifyplus/run=r2/_manifest.json", "d"))
        load_id = cur.fetchone()[0]
        cur.execute(FINISH, (load_id,))
        cur.execute("SELECT records, loaded, rejected, finished_at > started_at FROM ops.load_runs "
                    "WHERE load_id = %s", (load_id,))
        assert cur.fetchone() == (3, 2, 1, True)
    verifyplus.commit()

    assert refused(verifyplus, "UPDATE ops.load_runs SET loaded = 0 WHERE load_id = %s",
                   (load_id,)).pgcode == errorcodes.INSUFFICIENT_PRIVILEGE
    again = refused(verifyplus, FINISH, (load_id,))
    assert again.pgcode == errorcodes.INSUFFICIENT_PRIVILEGE
    assert f"load run {load_id} is not a run of verifyplus opened in this transaction" in str(again)
    with logins["admin"].cursor() as cur:
        cur.execute("SELECT load_id FROM ops.load_runs WHERE source = 'demand'")
        demand_run = cur.fetchone()[0]
    assert refused(verifyplus, FINISH, (demand_run,)).pgcode == errorcodes.INSUFFICIENT_PRIVILEGE
    with logins["admin"].cursor() as cur:
        cur.execute("SELECT loaded FROM ops.load_runs WHERE load_id IN (%s, %s) ORDER BY load_id",
                    (demand_run, load_id))
        assert cur.fetchall() == [(0,), (2,)]


def test_given_the_demand_login_when_it_records_rejects_then_only_for_its_own_runs(logins) -> None:
    """GIVEN itc_loader_demand WHEN it records a rejected record of its own demand run THEN it is stored;
    WHEN it records one claiming source verifyplus, or one of the verifyplus run THEN each is refused with a
    message naming the login, and nothing is stored."""
    demand = logins["itc_loader_demand"]
    with logins["admin"].cursor() as cur:
        cur.execute("SELECT source, load_id FROM ops.load_runs")
        run_of = dict(cur.fetchall())
    with demand.cursor() as cur:
        cur.execute(REJECT, (run_of["demand"], "demand"))
    demand.commit()
    for load_id, source in ((run_of["demand"], "verifyplus"), (run_of["verifyplus"], "verifyplus"),
                            (run_of["verifyplus"], "demand")):
        error = refused(demand, REJECT, (load_id, source))
        assert error.pgcode == errorcodes.INSUFFICIENT_PRIVILEGE
        assert "itc_loader_demand may record rejected records of its own demand load runs only" in str(error)
    with logins["admin"].cursor() as cur:
        cur.execute("SELECT load_id, source FROM ops.rejected_records")
        assert cur.fetchall() == [(run_of["demand"], "demand")]


@pytest.mark.parametrize(("role", "table"), [("itc_loader_demand", "raw.verifyplus"),
                                             ("itc_loader_verifyplus", "raw.cases"),
                                             ("itc_loader_verifyplus", "raw.audit")])
def test_source_login_denied_the_other_sources_raw_table(
        logins, role: str, table: str) -> None:
    """GIVEN a per-source loader login WHEN it reads or deletes the other source's raw table THEN 42501."""
    for statement in (f"SELECT count(*) FROM {table}", f"DELETE FROM {table}"):
        assert refused(logins[role], statement, ()).pgcode == errorcodes.INSUFFICIENT_PRIVILEGE


def test_given_a_loader_login_when_it_analyzes_tables_then_only_its_own_raw_tables(logins) -> None:
    """GIVEN rows written into raw.templates by itc_loader_demand (never analyzed: reltuples -1) WHEN it calls
    ops.analyze_loaded_table, as every load does before it commits, THEN the planner's row count is there
    (the refresh after a bulk load plans on it); raw.verifyplus and a non-raw table are refused, naming them."""
    demand = logins["itc_loader_demand"]
    with demand.cursor() as cur:
        cur.execute("INSERT INTO raw.templates (template_id, version, template_name, _load_id, _source_key) "
                    "SELECT 't' || n, 1, 'name', 1, 'k' FROM generate_series(1, 500) AS n")
        cur.execute("SELECT reltuples FROM pg_class WHERE oid = 'raw.templates'::regclass")
        assert cur.fetchone()[0] == -1
        cur.execute("SELECT ops.analyze_loaded_table('raw.templates')")
        cur.execute("SELECT reltuples FROM pg_class WHERE oid = 'raw.templates'::regclass")
        assert cur.fetchone()[0] == 500
    demand.commit()
    for table in ("raw.verifyplus", "ops.load_runs"):
        error = refused(demand, "SELECT ops.analyze_loaded_table(%s)", (table,))
        assert error.pgcode == errorcodes.INSUFFICIENT_PRIVILEGE
        assert f'ops.analyze_loaded_table: "{table}" is not a raw table this login loads' in str(error)
