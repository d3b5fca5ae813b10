"""The ``itc`` command: run ITC locally, or against any endpoints the environment names.

    python -m scripts.itc demo [--demands N] [--seed S] [--month YYYY-MM]   # the whole job, local stack
    python -m scripts.itc run [--source demand|verifyplus|all]   # extract + load what is new, rewrite the reports
    python -m scripts.itc status                                 # loads, freshness, refresh, rejects, quality
    python -m scripts.itc invoice --month YYYY-MM [--close [--accept-risk REASON]]  # reports/invoice-YYYY-MM.csv
    python -m scripts.itc replay s3://bucket/demand/run=.../_manifest.json [--force --approval FILE]
    python -m scripts.itc approve-force --manifest s3://bucket/.../_manifest.json --reason "..." [--out FILE]
    python -m scripts.itc stack up|down|status                   # the local stand-ins
    python -m scripts.itc migrate | docs | dashboard
    python -m scripts.itc access grant|revoke|list|review ...

Endpoints come from the environment (docs/CONTRACTS.md: ``ITC_DATABASE_URL``, ``AWS_ENDPOINT_URL``,
``ITC_LANDING_BUCKET``, ``ITC_EXCHANGE_ENV``, ``ITC_QB_BASE_URL``, ...). A variable that is not set
is taken from the local stack when it is running (``itc stack up``), so both work unchanged.
Every command first refuses a database DSN that reaches a server not on this machine without
``sslmode=verify-full`` (:func:`scripts.itc.env.check_database_targets`; the rule is
:mod:`itc_common_utilities.dsn`), naming the variable, the host and the fix. ``migrate`` sets the service
logins' local passwords only on a cluster on this machine (on RDS they use IAM database authentication).
Expected failures print one line ``error: ...`` and exit 1; usage errors (an unknown command or option, a
missing or invalid argument) exit 2 with a message naming the problem (``errors.EXIT_CODES``); secrets
and DSN passwords never appear.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

import psycopg2
import psycopg2.extensions
from rich.markup import escape

from itc_common_utilities.dsn import is_local, remote_host
from itc_common_utilities.logger.logger_setup import redact_text
from itc_common_utilities.migrations import apply_migrations
from scripts.itc import approve, commands, demo, invoice, status
from scripts.itc.env import (
    DATA_DICTIONARY,
    REPORTS,
    SQL_SCRIPTS,
    apply_stack_defaults,
    check_database_targets,
    console,
    database_url,
    err_console,
    parse_month,
    warehouse,
)
from scripts.itc.errors import EXIT_CODES, EXIT_FAILURE, EXIT_USAGE, MissingPieceError, expected_errors, first_line
from scripts.stack import local_stack
from scripts.stack.service_logins import set_service_passwords

# ---------------------------------------------------------------------------------- commands

def cmd_migrate(_: argparse.Namespace) -> int:
    """Apply the scripts; on a cluster on this machine (the embedded one, a loopback host) also give the
    service logins their local passwords. On a remote cluster (RDS) they log in with IAM database
    authentication, so no password is set there."""
    dsn = database_url()
    conn = psycopg2.connect(dsn)
    try:
        applied = apply_migrations(conn, SQL_SCRIPTS)
    finally:
        conn.close()
    console.print(f"applied {len(applied)} script(s)" + (": " + ", ".join(applied) if applied else " (up to date)"))
    if is_local(dsn):
        set_service_passwords(dsn)
    else:
        console.print(f"service logins: no password set on {remote_host(dsn)} (a remote cluster: they log in with "
                      "IAM database authentication)", highlight=False)
    return 0


def cmd_stack(args: argparse.Namespace) -> int:
    if args.action == "up":
        state = local_stack.up(simulator=local_stack.simulator_available())
        _print_stack(state)
        restored = demo.restore_sources(state) if local_stack.SourceSeed.load() else None
        if restored:
            console.print(restored, highlight=False)
        console.print("\n# point any shell at the stack:")
        for name, value in local_stack.stack_env(state).items():
            console.print(f"export {name}={value}", highlight=False, soft_wrap=True)
    elif args.action == "down":
        stopped = local_stack.down()
        console.print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    else:
        state = local_stack.running_state()
        if state is None:
            console.print("the local stack is not running (`itc stack up`)")
            return 1
        _print_stack(state)
    return 0


def _print_stack(state: local_stack.StackState) -> None:
    if state.database_url:
        console.print(f"postgres   {redact_text(state.database_url)}", highlight=False)
    for name, service in state.services.items():
        console.print(f"{name:<10} {service.url} (pid {service.pid}, log {service.log})", highlight=False)


def cmd_docs(args: argparse.Namespace) -> int:
    """The data dictionary of the repository's SQL scripts: rendered from a throw-away database migrated
    from them on the embedded server (dropped afterwards), so a developer database that is behind or
    ahead of the scripts cannot drop or add objects; ``--from-warehouse`` renders the configured
    warehouse instead (a deployed one, to see what it really holds)."""
    from scripts.itc import data_dictionary
    from scripts.stack import testdb

    if args.from_warehouse:
        apply_stack_defaults(local_stack.running_state())
        os.environ.setdefault("ITC_DATABASE_URL", database_url())
        with warehouse() as conn:
            text = data_dictionary.render(conn)
    else:
        server = database_url()
        name, dsn = testdb.create_database(server, migrate=True)
        try:
            conn = psycopg2.connect(dsn)
            try:
                text = data_dictionary.render(conn)
            finally:
                conn.close()
        finally:
            testdb.drop_database(server, name)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    console.print(f"wrote {out}")
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    from scripts.itc import dashboard

    apply_stack_defaults(local_stack.running_state())
    with warehouse() as conn:
        path = dashboard.write(conn, Path(args.output))
    console.print(f"wrote {path}")
    return 0


def cmd_access(args: argparse.Namespace) -> int:
    """Analyst access: the security module's own CLI (grant/revoke/list, each audited)."""
    try:
        from scripts.itc import access
    except ModuleNotFoundError as exc:
        if exc.name == "scripts.itc.access":
            raise MissingPieceError(
                "`itc access` needs scripts/itc/access.py, which is not in this checkout") from None
        raise
    apply_stack_defaults(local_stack.running_state())
    try:
        return access.main(args.access_args or ["--help"])
    except SystemExit as exc:  # argparse's --help / usage errors
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_USAGE


def build_parser() -> argparse.ArgumentParser:
    """The `itc` command line: the job's commands, the invoice's, then the tools'."""
    parser = argparse.ArgumentParser(prog="itc", description="ITC — Invoice Transactions Collector", epilog=EXIT_CODES)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_job_commands(sub)
    _add_invoice_commands(sub)
    _add_tool_commands(sub)
    return parser


def _add_job_commands(sub: argparse._SubParsersAction) -> None:
    """migrate, demo, run, status."""
    sub.add_parser("migrate", help="apply the numbered SQL scripts").set_defaults(func=cmd_migrate)

    p = sub.add_parser("demo", help="start the local stack and run the whole job end to end")
    p.add_argument("--demands", type=int, default=500, help="synthetic demands to seed (default 500)")
    p.add_argument("--verifyplus", type=int, default=None, help="synthetic Verify+ requests (default demands/2)")
    p.add_argument("--seed", type=int, default=7, help="synthetic data seed (default 7)")
    p.add_argument("--month", type=parse_month, default=None, help="invoice month (default: latest complete)")
    p.add_argument("--stop", action="store_true", help="stop the local stack at the end")
    p.add_argument("--fresh", action="store_true",
                   help="empty the local warehouse and landing bucket first (another --demands/--seed)")
    p.set_defaults(func=demo.run)

    p = sub.add_parser("run", help="extract the sources, then load every new snapshot, refresh, check")
    p.add_argument("--source", choices=["demand", "verifyplus", "all"], default="all")
    p.add_argument("--run-id", default=None, help="run id of the snapshots (default: a UTC timestamp)")
    p.add_argument("--reports-dir", default=str(REPORTS), help="where the dashboard and invoice CSVs are rewritten")
    p.set_defaults(func=commands.cmd_run)

    sub.add_parser("status", help="last loads, freshness, last refresh, rejects, quality").set_defaults(
        func=status.cmd_status)


def _add_invoice_commands(sub: argparse._SubParsersAction) -> None:
    """invoice, replay, approve-force."""
    p = sub.add_parser("invoice", help="write reports/invoice-YYYY-MM.csv (and close the month)")
    p.add_argument("--month", type=parse_month, required=True)
    p.add_argument("--close", action="store_true", help="close the month: later changes become adjustments")
    p.add_argument("--closed-by", default=os.environ.get("ITC_CLOSED_BY") or getpass.getuser(),
                   help="who closes the month (default: ITC_CLOSED_BY or the OS user)")
    p.add_argument("--accept-risk", default=None, metavar="REASON",
                   help="with --close: close although units are at risk (analytics.units_at_risk); the reason and "
                        "their count go to the finance audit")
    p.add_argument("--detail", action="store_true", help="also write invoice-YYYY-MM-detail.csv (one line per "
                   "unit) and statements-YYYY-MM/ (a printable statement page per firm)")
    p.add_argument("--output-dir", default=str(REPORTS))
    p.set_defaults(func=invoice.cmd_invoice)

    p = sub.add_parser("replay", help="load a landing snapshot again (a no-op if already loaded, unless --force)")
    p.add_argument("manifest_url", help="s3://bucket/<source>/run=<run_id>/_manifest.json")
    p.add_argument("--force", action="store_true",
                   help="load it past the load guards, and reload it if it was loaded already (needs --approval)")
    p.add_argument("--approval", default=None, metavar="FILE",
                   help="the approval of this manifest made by `itc approve-force` (who and why come from it)")
    p.set_defaults(func=commands.cmd_replay)
    approve.add_parser(sub)


def _add_tool_commands(sub: argparse._SubParsersAction) -> None:
    """stack, docs, dashboard, access."""
    p = sub.add_parser("stack", help="start/stop the local stand-ins (PostgreSQL, moto, Quickbase simulator)")
    p.add_argument("action", choices=["up", "down", "status"])
    p.set_defaults(func=cmd_stack)

    p = sub.add_parser("docs", help="write the data dictionary from the SQL scripts' comments (a fresh database)")
    p.add_argument("--output", default=str(DATA_DICTIONARY))
    p.add_argument("--from-warehouse", action="store_true",
                   help="render the configured warehouse (ITC_DATABASE_URL …) instead of a fresh migrated database")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("dashboard", help="write the KPI dashboard page")
    p.add_argument("--output", default=str(REPORTS / "dashboard.html"))
    p.set_defaults(func=cmd_dashboard)

    p = sub.add_parser("access", help="grant, revoke, list or review analyst access (scripts/itc/access.py)",
                       add_help=False, description="itc access grant|revoke|list|review … — see `itc access --help`")
    p.add_argument("access_args", nargs=argparse.REMAINDER, help="grant USER --granted-by … --reason … | "
                   "revoke USER --revoked-by … --reason … | list | review")
    p.set_defaults(func=cmd_access)


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default: the process's) and run the command; the exit code."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["access"]:  # everything after `access` belongs to the access CLI, --help included
        return run_command(argparse.Namespace(func=cmd_access, access_args=argv[1:]))
    args = parser.parse_args(argv)
    return run_command(args)


def run_command(args: argparse.Namespace) -> int:
    """Run one command: first refuse an unverified remote database (env.check_database_targets), then the
    command; an expected failure becomes one ``error:`` line and exit 1."""
    try:
        check_database_targets()
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except expected_errors() as exc:
        err_console.print(f"[bold red]error:[/] {escape(first_line(exc))}", highlight=False, soft_wrap=True)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
