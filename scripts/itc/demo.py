"""``itc demo``: the whole job on the local stack, from nothing to an invoice and a dashboard.

1. start the stack (embedded PostgreSQL, moto server, Quickbase simulator serving ``--verifyplus``
   synthetic requests), point the environment at it, apply the SQL scripts and seed the demo price
   list (``scripts/stack/demo_prices.py``: migrations create no price, a real warehouse has finance's);
2. seed the Exchange tables in moto with ``--demands`` synthetic demands (same seed and months);
3. ingest (both extracts), then the load state machine once per new manifest (load → refresh →
   quality), then refresh and quality;
4. write ``reports/invoice-YYYY-MM.csv`` (latest complete month with data, or ``--month``) and
   ``reports/dashboard.html``; print the summary;
5. check the invoice lines and the unit ledger against the generators' answer key
   (:mod:`scripts.itc.demo_check`): a difference prints the differing cells and the demo exits 1.

Re-running is safe: the Exchange tables are rebuilt from the seed and a new snapshot of the same data
loads as a daily snapshot does; closed months are never rewritten. Another ``--demands``/``--seed``
replaces most demands, which the load guards refuse (as they would in production): ``--fresh``
empties the local warehouse database and landing bucket first, and removes the reports a demo or run
wrote in ``reports/`` (the dashboard, invoice CSVs, statements) so none outlives its data.
What was seeded is recorded (:class:`scripts.stack.local_stack.SourceSeed`): moto keeps no state, so
after ``itc stack down`` / ``itc stack up`` the Exchange tables are filled again from that record
(:func:`restore_sources`) and the simulator serves the same report.
The stack keeps running afterwards (``itc status``, ``itc invoice`` ...) until ``itc stack down``
(or ``--stop``).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg2
import psycopg2.extensions
from rich.markup import escape

from itc_common_utilities.manifest import SOURCES
from itc_common_utilities.migrations import apply_migrations
from scripts.itc import commands, dashboard, demo_check, invoice, jobs
from scripts.itc.env import REPORTS, SQL_SCRIPTS, console, s3_client, warehouse
from scripts.itc.exchange_seed import (  # noqa: F401 - re-exported: the demo's seeding, for tests and the CLI
    MONTHS,
    START_MONTH,
    SeededExchange,
    exchange_config,
    restore_sources,
    seed_exchange,
)
from scripts.stack import local_stack
from scripts.stack.demo_prices import seed_demo_prices
from scripts.stack.service_logins import set_service_passwords


def ensure_bucket(s3: Any, bucket: str) -> None:
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)


def prepare_warehouse(dsn: str) -> tuple[list[str], int]:
    """Apply the SQL scripts, then seed the demo prices into an empty price list (committed).
    Returns the scripts applied now and the prices inserted (0 when the list already had prices)."""
    conn = psycopg2.connect(dsn)
    try:
        applied = apply_migrations(conn, SQL_SCRIPTS)
        with conn.cursor() as cur:
            priced = seed_demo_prices(cur)
        conn.commit()
    finally:
        conn.close()
    return applied, priced


def start_fresh(admin_dsn: str, s3: Any, bucket: str) -> None:
    """An empty warehouse database and landing bucket on the local stack (``itc demo --fresh``): a demo
    with another dataset replaces every demand, which the load guards rightly refuse to do quietly."""
    from psycopg2 import sql

    from scripts.stack.testdb import admin_connection, with_dbname

    name = urlsplit(admin_dsn).path.lstrip("/")
    admin = admin_connection(with_dbname(admin_dsn, "postgres"))
    try:
        with admin.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        admin.close()
    ensure_bucket(s3, bucket)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})


MADE_REPORTS = ("dashboard.html", "invoice-*.csv", "statements-*")


def clear_reports(folder: Path) -> list[Path]:
    """Remove the reports `itc` writes (dashboard, invoice and detail CSVs, statement folders) from
    ``folder`` (``itc demo --fresh``: a report of the old data would outlive it); returns what was removed."""
    import shutil

    removed = []
    for pattern in MADE_REPORTS:
        for path in sorted(folder.glob(pattern)):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
    return removed


def run(args: argparse.Namespace) -> int:
    commands._quiet_lambda_logs()
    verifyplus = args.verifyplus if args.verifyplus is not None else max(args.demands // 2, 1)
    console.rule("[bold]ITC demo[/]: Exchange demands + Verify+ requests → warehouse → invoice")
    simulator_data = local_stack.SimulatorData(records=verifyplus, seed=args.seed, start_month=START_MONTH,
                                               months=MONTHS)
    with console.status("starting the local stack (PostgreSQL, moto, Quickbase simulator)…"):
        state = local_stack.up(simulator_data=simulator_data)
    # the demo is local by definition: the stack wins over whatever the shell points at
    os.environ.update(local_stack.stack_env(state))
    console.print(f"stack: postgres :{state.database_url.rsplit(':', 1)[-1].split('/')[0]}, "
                  + ", ".join(f"{n} {s.url}" for n, s in state.services.items()), highlight=False)

    if getattr(args, "fresh", False):
        start_fresh(os.environ["ITC_ADMIN_DATABASE_URL"], s3_client(), os.environ["ITC_LANDING_BUCKET"])
        removed = clear_reports(REPORTS)
        console.print("warehouse and landing bucket emptied (--fresh)"
                      + (f"; {len(removed)} old report(s) removed from {_rel(REPORTS)}" if removed else ""),
                      highlight=False)
    applied, priced = prepare_warehouse(os.environ["ITC_DATABASE_URL"])
    set_service_passwords(os.environ["ITC_ADMIN_DATABASE_URL"])
    console.print(f"warehouse: {len(applied)} SQL script(s) applied" if applied else "warehouse: up to date")
    if priced:
        console.print(f"warehouse: {priced} demo price(s) seeded (made up; finance enters the real ones)")

    ensure_bucket(s3_client(), os.environ["ITC_LANDING_BUCKET"])
    started = time.perf_counter()
    with console.status(f"seeding {args.demands:,} synthetic demands into the Exchange tables (moto)…"):
        seeded = seed_exchange(args.demands, args.seed)
    local_stack.SourceSeed(args.demands, args.seed, simulator_data).save()
    seed_s = time.perf_counter() - started
    console.print(f"sources: {args.demands:,} demands in moto "
                  f"({', '.join(f'{k} {v:,}' for k, v in seeded.written.items())}); "
                  f"{verifyplus:,} Verify+ requests in the simulator (seed {args.seed})", highlight=False)

    report = commands.run_job(SOURCES, jobs.new_run_id())
    report.timings = {"seed Exchange": seed_s, **report.timings}

    REPORTS.mkdir(parents=True, exist_ok=True)
    with warehouse() as conn:
        month = args.month or invoice.latest_complete_month(conn)
        invoice_path = invoice.write_invoice(conn, month, REPORTS) if month else None
        dashboard_path = dashboard.write(conn, REPORTS / "dashboard.html")
        commands.print_summary(conn, report, month=month, invoice_path=_rel(invoice_path),
                                   dashboard_path=_rel(dashboard_path))
        checked = check_answer_key(conn, seeded, simulator_data)
    if any("refusing to" in failure for failure in report.failures):
        console.print("[yellow]the warehouse holds another demo dataset and the load guards refused to replace "
                      "it: `itc demo --fresh …` starts over with an empty warehouse[/]")
    if args.stop:
        local_stack.down()
        console.print("stack stopped")
    else:
        console.print("[dim]the local stack keeps running: `itc status`, `itc invoice --month …`, "
                      "`itc stack down`[/]")
    return 1 if report.failures or report.quality_failures or not checked else 0


def answer_key(seeded: SeededExchange, simulator_data: local_stack.SimulatorData) -> Any:
    """The units the generators say each firm must be billed, per service month and product."""
    from scripts.synthetic.verifyplus import SyntheticConfig, VerifyPlusDataset

    dataset = VerifyPlusDataset(SyntheticConfig(
        records=simulator_data.records, seed=simulator_data.seed, firms=simulator_data.firms,
        months=simulator_data.months, start_month=simulator_data.start_month))
    return (demo_check.demand_answer_key(seeded.expected_uploaded, seeded.expected_archived)
            + demo_check.verifyplus_answer_key(dataset))


def check_answer_key(conn: psycopg2.extensions.connection, seeded: SeededExchange,
                     simulator_data: local_stack.SimulatorData, shown: int = 20) -> bool:
    """Compare the invoice lines and the unit ledger with the answer key; print the verdict and, when they
    differ, the first ``shown`` differing cells. True when every cell matches."""
    key = answer_key(seeded, simulator_data)
    found = demo_check.differences(conn, key)
    if not found:
        console.print(f"[green]answer key matched[/]: invoice lines and unit ledger equal the generators' "
                      f"{sum(key.values()):,} units in {len(key)} cells (month, firm, product)")
        return True
    console.print(f"[bold red]answer key differs[/] in {len(found)} cell(s) (month | firm | product):",
                  highlight=False)
    for difference in found[:shown]:
        console.print("  " + escape(difference.line()), highlight=False)
    if len(found) > shown:
        console.print(f"  … and {len(found) - shown} more", highlight=False)
    return False


def _rel(path: Path | None) -> Path | None:
    if path is None:
        return None
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
