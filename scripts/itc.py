"""The ``itc`` command: run ITC locally or against any endpoints the environment names.

    python -m scripts.itc migrate      # apply the SQL scripts
    python -m scripts.itc demo         # start the local stack and run the job end to end
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import psycopg2
from itc_common_utilities.migrations import MigrationError, apply_migrations

REPO = Path(__file__).resolve().parent.parent
SQL_SCRIPTS = REPO / "terraform_modules" / "itc_data_warehouse" / "sql_scripts"


def database_url() -> str:
    url = os.environ.get("ITC_DATABASE_URL")
    if url:
        return url
    from scripts import local_pg

    return local_pg.start().dsn()


def cmd_migrate(_: argparse.Namespace) -> int:
    conn = psycopg2.connect(database_url())
    try:
        applied = apply_migrations(conn, SQL_SCRIPTS)
    finally:
        conn.close()
    print(f"applied {len(applied)} script(s)" + (": " + ", ".join(applied) if applied else " (up to date)"))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    cmd_migrate(args)
    conn = psycopg2.connect(database_url())
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM ops.schema_migrations")
        migrations = cur.fetchone()[0]
        cur.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('raw','ops') ORDER BY 1, 2"
        )
        tables = cur.fetchall()
    conn.close()
    print(f"warehouse ready: {migrations} migrations applied")
    for schema, table in tables:
        print(f"  {schema}.{table}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="itc", description="ITC — Invoice Transactions Collector")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply the numbered SQL scripts").set_defaults(func=cmd_migrate)
    sub.add_parser("demo", help="run the whole job on the local stack").set_defaults(func=cmd_demo)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (MigrationError, psycopg2.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
