"""The privilege matrix (docs/design.md §6): every login role x every object of the warehouse x
SELECT / SELECT of PHI columns / INSERT / UPDATE / DELETE / TRUNCATE / DROP / REFRESH (and refresh
through ops.refresh_materialized_view), CREATE in every schema, TEMPORARY tables and SET ROLE, tried
for real: each login connects with its own password over TCP, each attempt runs in a SAVEPOINT that
is rolled back. Every allowed act must succeed, every forbidden act must fail with a permission
error (SQLSTATE 42501). The expected matrix below is written from the policy, independently of the
SQL that grants it. The checked matrix is written to the test's temporary folder and printed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
import pytest
from psycopg2 import errorcodes, sql

from itc_common_utilities.migrations import apply_migrations
from orchestrator.refresh import view_order
from scripts.itc import access
from scripts.paths import SQL_SCRIPTS
from scripts.stack import service_logins
from tests.security.privilege_policy import (
    ACTIONS,
    CLOSES_MONTHS,
    EXPECTED_CREATE,
    EXPECTED_SET_ROLE,
    EXPECTED_TEMP,
    LETTER,
    ROLES,
    SCHEMAS,
    SET_ROLE_TARGETS,
    Obj,
    expected,
)

# ------------------------------------------------------------------ fixtures: the warehouse and its logins

@dataclass(frozen=True)
class SecuredWarehouse:
    name: str
    admin_dsn: str


def login_dsn(admin_dsn: str, user: str, password: str) -> str:
    parts = urlsplit(admin_dsn)
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
def secured_warehouse(empty_db_dsn: str) -> Iterator[SecuredWarehouse]:
    """A database built by the migration runner from an empty database, matviews populated."""
    dsn = empty_db_dsn
    conn = psycopg2.connect(dsn)
    try:
        apply_migrations(conn, SQL_SCRIPTS)
        with conn, conn.cursor() as cur:
            cur.execute(
                "INSERT INTO ops.load_runs (source, run_id, manifest_bucket, manifest_key, manifest_sha256, status, "
                "started_at) VALUES ('demand', 'r1', 'b', 'k', repeat('a', 64), 'succeeded', now()) RETURNING load_id"
            )
            load_id = cur.fetchone()[0]
            cur.execute(
                "INSERT INTO raw.cases (document_id, version, sending_firm_name, claimant_name, claim_number, "
                "_load_id, _source_key) VALUES ('doc-1', 1, 'Roe & Partners', 'Jane Roe', 'CLM-1', %s, 'k')",
                (load_id,),
            )
            cur.execute(
                "INSERT INTO raw.metadata (document_id, uploaded_at, _load_id, _source_key) "
                "VALUES ('doc-1', now(), %s, 'k')", (load_id,),
            )
            for view in view_order(cur):
                cur.execute(f"REFRESH MATERIALIZED VIEW {view}")
    finally:
        conn.close()
    yield SecuredWarehouse(urlsplit(dsn).path.lstrip("/"), dsn)


@pytest.fixture
def role_logins(secured_warehouse: SecuredWarehouse) -> Iterator[dict[str, str]]:
    """DSN per login: the three service logins, an analyst, an analyst who also holds phi_reader, and a
    finance login (a member of itc_finance)."""
    admin = secured_warehouse.admin_dsn
    service_logins.set_service_passwords(admin)
    dsns = {role: service_logins.local_login_dsn(admin, role) for role in service_logins.SERVICE_LOGINS}
    suffix = uuid.uuid4().hex[:8]
    analyst, phi_analyst = f"analyst_{suffix}", f"phi_analyst_{suffix}"
    conn = psycopg2.connect(admin)
    try:
        for user in (analyst, phi_analyst):
            password = access.grant_analyst(conn, user, granted_by="security tests", reason="privilege matrix",
                                            valid_days=1)
            dsns[user] = login_dsn(admin, user, password)
        finance, finance_password = f"finance_{suffix}", uuid.uuid4().hex
        with conn, conn.cursor() as cur:
            cur.execute(f'GRANT phi_reader TO "{phi_analyst}"')
            cur.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE itc_finance").format(
                sql.Identifier(finance), sql.Literal(finance_password)))
        yield {"itc_migrator": dsns["itc_migrator"],
               "itc_loader_demand": dsns["itc_loader_demand"], "itc_loader_verifyplus": dsns["itc_loader_verifyplus"],
               "itc_refresher": dsns["itc_refresher"], "analyst": dsns[analyst],
               "analyst+phi_reader": dsns[phi_analyst], "finance": login_dsn(admin, finance, finance_password)}
    finally:
        for user in (analyst, phi_analyst):
            access.revoke_analyst(conn, user, revoked_by="security tests", reason="test over")
        with conn, conn.cursor() as cur:
            cur.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(finance)))
        conn.close()


def discover(conn: psycopg2.extensions.connection) -> list[Obj]:
    with conn.cursor() as cur:
        cur.execute(
            """
            SELECT n.nspname, c.relname, c.relkind,
                   array_agg(a.attname ORDER BY a.attnum) FILTER (WHERE a.attidentity = '' AND a.attgenerated = '')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm')
            GROUP BY 1, 2, 3 ORDER BY 1, 2
            """,
            (list(SCHEMAS),),
        )
        return [Obj(s, n, "r" if k == "p" else k, tuple(cols)) for s, n, k, cols in cur.fetchall()]


def statement(obj: Obj, action: str) -> sql.Composable:
    table = sql.Identifier(obj.schema, obj.name)
    cols = [c for c in obj.columns if c not in obj.phi]
    ident_list = sql.SQL(", ").join(map(sql.Identifier, cols or obj.columns))
    if action == "SELECT":
        return sql.SQL("SELECT {} FROM {} LIMIT 1").format(ident_list, table)
    if action == "PHI":
        return sql.SQL("SELECT {} FROM {} LIMIT 1").format(sql.SQL(", ").join(map(sql.Identifier, sorted(obj.phi))),
                                                           table)
    if action == "INSERT":
        all_cols = sql.SQL(", ").join(map(sql.Identifier, obj.columns))
        return sql.SQL("INSERT INTO {t} ({c}) SELECT {c} FROM {t} WHERE false").format(t=table, c=all_cols)
    if action == "UPDATE":
        col = sql.Identifier(obj.columns[-1])
        return sql.SQL("UPDATE {} SET {} = {} WHERE false").format(table, col, col)
    if action == "DELETE":
        return sql.SQL("DELETE FROM {} WHERE false").format(table)
    if action == "TRUNCATE":
        return sql.SQL("TRUNCATE {} CASCADE").format(table)
    if action == "DROP":
        kind = {"r": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW"}[obj.kind]
        return sql.SQL("DROP {} {} CASCADE").format(sql.SQL(kind), table)
    if action == "REFRESH":
        return sql.SQL("REFRESH MATERIALIZED VIEW {}").format(table)
    if action == "REFRESH_FN":
        return sql.SQL("SELECT ops.refresh_materialized_view({}, false)").format(sql.Literal(obj.qualified))
    raise AssertionError(action)


def attempt(cur: psycopg2.extensions.cursor, stmt: sql.Composable | str) -> str:
    """Run ``stmt`` in a savepoint that is always rolled back: 'ok', 'denied' (42501) or 'error:<SQLSTATE>'."""
    cur.execute("SAVEPOINT attempt")
    try:
        cur.execute(stmt)
        outcome = "ok"
    except psycopg2.Error as exc:
        outcome = "denied" if exc.pgcode == errorcodes.INSUFFICIENT_PRIVILEGE else f"error:{exc.pgcode}"
    cur.execute("ROLLBACK TO SAVEPOINT attempt")
    return outcome


# A write an object cannot take at all fails with the permission error or with PostgreSQL's own refusal for
# that kind of object: 55000 (a view that is not automatically updatable), 0A000 (a view column that is
# computed), 42809 (a materialized view).
REFUSALS = {"denied", "error:55000", "error:42809", "error:0A000"}
# The number of acts the matrix tries (objects x applicable acts x logins, CREATE per schema, TEMP, SET ROLE,
# close_month). A new object, schema or login changes it: check the printed matrix, then update this figure.
EXPECTED_ACTS = 2618


def matches(want: str, got: str) -> bool:
    """'denied' must be exactly SQLSTATE 42501; 'refused' one of REFUSALS; any other error is a mismatch."""
    return got == want or (want == "refused" and got in REFUSALS)


def test_privilege_matrix_every_login_every_object_every_act(role_logins, secured_warehouse, capsys, tmp_path):
    """GIVEN a warehouse built by the migrations, with one login per role (and an analyst holding phi_reader)
    WHEN each login tries every act on every object, schema and the database
    THEN exactly the acts of the policy succeed, and every other one fails with a permission error."""
    admin = psycopg2.connect(secured_warehouse.admin_dsn)
    objects = discover(admin)
    admin.close()
    assert {o.qualified for o in objects} >= {
        "raw.cases", "raw.verifyplus", "curated.demand_billing_base", "curated.demands_uploaded",
        "curated_deid.demands_uploaded", "analytics.demands_summary", "ref.price_list", "ops.load_runs",
        "ops.latest_loads", "ops.access_grants",
    }

    results: dict[tuple[str, str, str], str] = {}
    creates: dict[tuple[str, str], str] = {}
    extras: dict[tuple[str, str], str] = {}
    mismatches: list[str] = []
    for role in ROLES:
        conn = psycopg2.connect(role_logins[role])
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                # analyst sessions default to read-only transactions; that is defence in depth an analyst can
                # switch off, so the matrix tests the grants themselves in read-write transactions
                cur.execute("SET default_transaction_read_only = off")
                cur.execute("SET lock_timeout = '10s'")
            conn.autocommit = False
            with conn.cursor() as cur:
                for obj in objects:
                    for action in ACTIONS:
                        want = expected(role, obj, action)
                        if want is None:
                            continue
                        got = attempt(cur, statement(obj, action))
                        results[(role, obj.qualified, action)] = got
                        if not matches(want, got):
                            mismatches.append(f"{role} {action} {obj.qualified}: expected {want}, got {got}")
                for schema in (*SCHEMAS, "public"):
                    want = "ok" if schema in EXPECTED_CREATE.get(role, set()) else "denied"
                    got = attempt(cur, sql.SQL("CREATE TABLE {}.matrix_probe (x int)").format(sql.Identifier(schema)))
                    creates[(role, schema)] = got
                    if got != want:
                        mismatches.append(f"{role} CREATE in {schema}: expected {want}, got {got}")
                want = "ok" if EXPECTED_TEMP[role] else "denied"
                got = attempt(cur, "CREATE TEMP TABLE matrix_probe (x int)")
                extras[(role, "TEMP")] = got
                if got != want:
                    mismatches.append(f"{role} CREATE TEMP TABLE: expected {want}, got {got}")
                for target in SET_ROLE_TARGETS:
                    want = "ok" if target in EXPECTED_SET_ROLE[role] or target == role else "denied"
                    got = attempt(cur, sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(target)))
                    extras[(role, f"SET ROLE {target}")] = got
                    if got != want:
                        mismatches.append(f"{role} SET ROLE {target}: expected {want}, got {got}")
                want = "ok" if role in CLOSES_MONTHS else "denied"
                got = attempt(cur, "SELECT analytics.close_month('2001-01', 'privilege matrix')")
                extras[(role, "EXECUTE close_month")] = got
                if got != want:
                    mismatches.append(f"{role} EXECUTE analytics.close_month: expected {want}, got {got}")
            conn.rollback()
        finally:
            conn.close()

    report = render(objects, results, creates, extras, len(mismatches))
    (tmp_path / "privilege_matrix.txt").write_text(report, encoding="utf-8")
    with capsys.disabled():
        print("\n" + report)
    assert not mismatches, "privilege matrix differs from the policy:\n" + "\n".join(mismatches)
    # the matrix really tried the acts: every role read something, and only the owner dropped anything
    assert sum(1 for (r, _o, a), g in results.items() if a == "DROP" and g == "ok" and r != "itc_migrator") == 0
    tried = len(results) + len(creates) + len(extras)
    assert tried == EXPECTED_ACTS, f"the matrix tried {tried} acts, the policy expects {EXPECTED_ACTS}"


def render(objects, results, creates, extras, mismatches: int) -> str:
    legend = ("Privilege matrix (tried for real; letters = acts that SUCCEEDED, '.' = every act tried was refused)\n"
              "S select non-PHI columns  P select PHI columns  I insert  U update  D delete  T truncate  X drop\n"
              "R REFRESH MATERIALIZED VIEW  F refresh via ops.refresh_materialized_view\n")
    width = max(len(o.qualified) for o in objects) + 2
    head = f"{'object':<{width}}{'kind':<6}" + "".join(f"{r:<23}" for r in ROLES)
    lines = [legend, head, "-" * len(head)]
    for obj in objects:
        cells = []
        for role in ROLES:
            done = "".join(LETTER[a] for a in ACTIONS if results.get((role, obj.qualified, a)) == "ok")
            cells.append(f"{done or '.':<23}")
        kind = {"r": "table", "v": "view", "m": "matv"}[obj.kind]
        lines.append(f"{obj.qualified:<{width}}{kind:<6}" + "".join(cells))
    lines.append("")
    for schema in (*SCHEMAS, "public"):
        label = f"CREATE in {schema}"
        lines.append(f"{label:<{width + 6}}" + "".join(
            f"{'yes' if creates[(r, schema)] == 'ok' else 'no':<23}" for r in ROLES))
    for key in ["TEMP", *[f"SET ROLE {t}" for t in SET_ROLE_TARGETS], "EXECUTE close_month"]:
        lines.append(f"{key:<{width + 6}}" + "".join(
            f"{'yes' if extras[(r, key)] == 'ok' else 'no':<23}" for r in ROLES))
    tried = len(results) + len(creates) + len(extras)
    verdict = f"{mismatches} outcome(s) DIFFER from the policy" if mismatches else "every outcome matched the policy"
    lines.append(f"\n{tried} acts tried; {verdict}")
    return "\n".join(lines) + "\n"


def test_only_phi_reader_sees_billing_base_phi(role_logins):
    """GIVEN curated.demand_billing_base (the demand billing rule both demand views are built on) holding a
    demand with a claimant WHEN each login reads it THEN the analyst is refused outright, the refresher reads
    its non-PHI columns but not the claimant, and an analyst holding phi_reader reads the claimant."""
    outcomes = {}
    for role, columns in (("analyst", "document_id"), ("itc_refresher", "document_id"),
                          ("itc_refresher", "claimant_name"), ("analyst+phi_reader", "claimant_name")):
        conn = psycopg2.connect(role_logins[role])
        try:
            with conn.cursor() as cur:
                cur.execute("SAVEPOINT attempt")
                try:
                    cur.execute(sql.SQL("SELECT {} FROM curated.demand_billing_base").format(sql.Identifier(columns)))
                    outcomes[(role, columns)] = cur.fetchall()
                except psycopg2.Error as exc:
                    outcomes[(role, columns)] = exc.pgcode
                    cur.execute("ROLLBACK TO SAVEPOINT attempt")
        finally:
            conn.close()
    assert outcomes == {
        ("analyst", "document_id"): errorcodes.INSUFFICIENT_PRIVILEGE,
        ("itc_refresher", "document_id"): [("doc-1",)],
        ("itc_refresher", "claimant_name"): errorcodes.INSUFFICIENT_PRIVILEGE,
        ("analyst+phi_reader", "claimant_name"): [("Jane Roe",)],
    }


@pytest.mark.parametrize("role", ["itc_loader_demand", "itc_loader_verifyplus", "itc_refresher"])
def test_pipeline_logins_are_not_owners_or_superusers(role, role_logins):
    """GIVEN a pipeline login WHEN it connects THEN it is neither superuser nor owner of anything, nor able to
    create roles or databases (pipelines never connect as the owner or master user)."""
    conn = psycopg2.connect(role_logins[role])
    with conn.cursor() as cur:
        cur.execute("SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles "
                    "WHERE rolname = current_user")
        assert cur.fetchone() == (False, False, False, False)
        cur.execute("SELECT count(*) FROM pg_class "
                    "WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)")
        assert cur.fetchone()[0] == 0
    conn.close()


# what the security baseline and ops.apply_loader_login_grants gave the legacy login itc_loader before it was retired
LEGACY_LOADER_GRANTS = """
GRANT USAGE ON SCHEMA raw, ops TO itc_loader;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA raw TO itc_loader;
GRANT SELECT, INSERT, UPDATE ON ops.load_runs TO itc_loader;
GRANT SELECT ON ops.latest_loads TO itc_loader;
GRANT SELECT, INSERT ON ops.rejected_records TO itc_loader;
GRANT EXECUTE ON FUNCTION ops.finish_load_run(bigint, text, bigint, bigint, bigint, bigint, jsonb) TO itc_loader;
ALTER DEFAULT PRIVILEGES FOR ROLE itc_migrator IN SCHEMA raw GRANT ALL ON TABLES TO itc_loader;
"""


def test_baseline_strips_legacy_loader_grants(db):
    """GIVEN a cluster migrated before the per-source logins: itc_loader exists with what it was granted
    (raw DML, ops records, CONNECT/TEMPORARY, default privileges) WHEN the security baseline runs THEN
    itc_loader holds no privilege in the database (nothing left but DROP OWNED / DROP ROLE), and a new
    cluster's migrations never create it."""
    with db.cursor() as cur:
        cur.execute("SELECT to_regrole('itc_loader') IS NULL")
        if cur.fetchone()[0]:  # a cluster migrated after the change: create the legacy login (rolled back)
            cur.execute("CREATE ROLE itc_loader LOGIN")
        cur.execute(LEGACY_LOADER_GRANTS)
        cur.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO itc_loader").format(
            sql.Identifier(db.info.dbname)))
        cur.execute("SELECT has_table_privilege('itc_loader', 'raw.cases', 'INSERT')")
        assert cur.fetchone()[0] is True
        cur.execute("CALL ops.apply_security_baseline()")
        cur.execute("""
            SELECT has_schema_privilege('itc_loader', 'raw', 'USAGE'),
                   has_schema_privilege('itc_loader', 'ops', 'USAGE'),
                   has_table_privilege('itc_loader', 'raw.cases', 'INSERT'),
                   has_table_privilege('itc_loader', 'ops.load_runs', 'SELECT, INSERT, UPDATE'),
                   has_table_privilege('itc_loader', 'ops.rejected_records', 'INSERT'),
                   has_function_privilege('itc_loader',
                       'ops.finish_load_run(bigint, text, bigint, bigint, bigint, bigint, jsonb)', 'EXECUTE'),
                   has_database_privilege('itc_loader', current_database(), 'CONNECT, TEMPORARY')""")
        assert cur.fetchone() == (False,) * 7
        cur.execute("SELECT count(*) FROM pg_default_acl, aclexplode(defaclacl) AS a "
                    "WHERE a.grantee = 'itc_loader'::regrole")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT count(*) FROM pg_shdepend WHERE refobjid = 'itc_loader'::regrole "
                    "AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())")
        assert cur.fetchone()[0] == 0, "a privilege of itc_loader is left in this database"
    db.rollback()
    sources = "".join(p.read_text(encoding="utf-8") for p in SQL_SCRIPTS.glob("[0-9]*.sql"))
    assert "('itc_loader'," not in sources and "CREATE ROLE itc_loader " not in sources
