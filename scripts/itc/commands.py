"""The job commands of ``itc``: run (and the reports it rewrites), replay; ``itc status`` is
:mod:`scripts.itc.status`, the invoice :mod:`scripts.itc.invoice`."""

from __future__ import annotations

import argparse
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.exceptions
import psycopg2.errors
import psycopg2.extensions
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from itc_common_utilities.manifest import SOURCES
from scripts.itc import invoice, jobs
from scripts.itc.approve import parse_manifest_url, read_approval
from scripts.itc.env import (
    REPORTS,
    apply_stack_defaults,
    console,
    landing_bucket,
    s3_client,
    warehouse,
)
from scripts.itc.errors import ItcError, MissingPieceError, expected_errors, first_line
from scripts.itc.jobs import ManifestObject
from scripts.paths import REPO
from scripts.stack import local_stack


@dataclass
class RunReport:
    """What one run did, for the summary."""

    extracts: dict[str, dict[str, Any]] = field(default_factory=dict)
    loads: list[tuple[ManifestObject, dict[str, Any]]] = field(default_factory=list)
    quality_failures: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # steps that failed (one line each); the rest went on
    timings: dict[str, float] = field(default_factory=dict)

    def landed(self) -> list[str]:
        """What this run still put in the warehouse, one phrase per source."""
        return [f"{source}: {sum(1 for m, _ in self.loads if m.source == source)} snapshot(s) loaded"
                for source in SOURCES if any(m.source == source for m, _ in self.loads)]


def _quiet_lambda_logs() -> None:
    """The handlers' JSON logs go to .local/logs/lambdas.log (jobs.lambda_output), INFO and up."""
    os.environ.setdefault("LOG_LEVEL", "INFO")


def _timed(report: RunReport, name: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    try:
        return fn()
    finally:
        report.timings[name] = report.timings.get(name, 0.0) + time.perf_counter() - start


# ---------------------------------------------------------------------------------- the job

def _step(report: RunReport, progress: Progress, task: Any, label: str, fn: Callable[[], Any]) -> tuple[bool, Any]:
    """Run one step the way its state machine branch does: a failure is recorded (one line), the task
    says FAILED, and the other steps go on. Anything unexpected (a bug) still propagates."""
    try:
        return True, fn()
    except expected_errors() as exc:
        report.failures.append(first_line(exc))
        progress.update(task, description=f"[red]{label}: FAILED[/]")
        return False, None


def ingest(sources: tuple[str, ...], run_id: str, report: RunReport, progress: Progress) -> None:
    """The ingest state machine: one extract per source (here one after the other), each isolated in its
    branch: one source's failure does not stop the other's extract."""
    for source in sources:
        task = progress.add_task(f"extract {source}", total=None)
        ok, summary = _step(report, progress, task, f"extract {source}",
                            lambda s=source: _timed(report, f"extract {s}", lambda: jobs.extract(s, run_id)))
        if ok:
            report.extracts[source] = summary
            progress.update(task, total=1, completed=1,
                            description=f"extract {source}: {_records_of(summary):,} records")


def load_new(conn: psycopg2.extensions.connection, sources: tuple[str, ...], report: RunReport,
             progress: Progress) -> None:
    """The load state machine once per new manifest, oldest first: Load → RefreshViews → QualityChecks."""
    bucket = landing_bucket()
    manifests = jobs.new_manifests(s3_client(), conn, bucket, sources)
    task = progress.add_task(f"load {len(manifests)} new snapshot(s)", total=len(manifests) or 1)
    for n, manifest in enumerate(manifests, start=1):
        progress.update(task, description=f"load {n}/{len(manifests)}: {manifest.source} "
                                          f"{manifest.key.split('/')[1]} → refresh → quality")
        ok, summary = _step(report, progress, task, f"load {manifest.source}",
                            lambda m=manifest: _timed(report, "load", lambda: jobs.load(m)))
        if ok:  # each manifest is its own load execution: a failed one does not stop the next
            report.loads.append((manifest, summary))
            _step(report, progress, task, "refresh", lambda: _timed(report, "refresh", jobs.refresh))
            _quality(report, final=False)
        progress.advance(task)
    if manifests:
        progress.update(task, description=f"loaded {len(manifests)} new snapshot(s): "
                                          + ", ".join(m.source for m in manifests))
    else:
        progress.update(task, completed=1, description="load: no new snapshot in the landing bucket")


def _quality(report: RunReport, *, final: bool) -> None:
    """QualityChecks. A failed check raises in the state machine (→ alert); here the failures are kept
    for the summary and the LAST quality run of the command decides its exit code (an earlier run can
    fail only because the other source's snapshot is not loaded yet). Any other error propagates."""
    try:
        from orchestrator.quality import QualityCheckError
    except ModuleNotFoundError as exc:
        if exc.name and "orchestrator".startswith(exc.name):
            raise MissingPieceError("the orchestrator Lambda (terraform_modules/orchestrator/lambdas/orchestrator) "
                                    "is not in this checkout") from None
        raise
    try:
        _timed(report, "quality", jobs.quality)
        if final:
            report.quality_failures = []
    except QualityCheckError as exc:
        report.quality_failures = [first_line(exc)]
    except expected_errors() as exc:  # the checks could not run (not a failed check): a failed step
        report.failures.append(first_line(exc))


def run_job(sources: tuple[str, ...], run_id: str) -> RunReport:
    _quiet_lambda_logs()
    report = RunReport()
    with _progress() as progress:
        ingest(sources, run_id, report, progress)
        with warehouse() as conn:
            load_new(conn, sources, report, progress)
        task = progress.add_task("refresh + quality", total=None)
        _step(report, progress, task, "refresh", lambda: _timed(report, "refresh", jobs.refresh))
        _quality(report, final=True)
        progress.update(task, total=1, completed=1)
    return report


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                    console=console, transient=False)


def _records_of(summary: dict[str, Any]) -> int:
    for key in ("records", "total_records", "extracted"):
        value = summary.get(key)
        if isinstance(value, int):
            return value
    tables = summary.get("tables") or summary.get("files") or {}
    if isinstance(tables, dict):
        return sum(int(v.get("records", 0)) if isinstance(v, dict) else int(v) for v in tables.values())
    if isinstance(tables, list):
        return sum(int(t.get("records", 0)) for t in tables if isinstance(t, dict))
    return 0


# ------------------------------------------------------------------------------------ summary

def print_summary(conn: psycopg2.extensions.connection, report: RunReport, *, month: str | None,
                  invoice_path: Path | None, dashboard_path: Path | None) -> None:
    table = Table(title="Sources (latest snapshot loaded by this run)", title_justify="left")
    for col in ("source", "extracted", "new snapshots loaded", "records", "loaded", "rejected", "deleted"):
        table.add_column(col, justify="right" if col != "source" else "left")
    with conn.cursor() as cur:
        for source in SOURCES:
            keys = [m.key for m, _s in report.loads if m.source == source]
            cur.execute("SELECT count(*) OVER (), records, loaded, rejected, deleted FROM ops.load_runs "
                        "WHERE status = 'succeeded' AND manifest_key = ANY(%s) ORDER BY load_id DESC LIMIT 1",
                        (keys,))
            n, records, loaded, rejected, deleted = cur.fetchone() or (0, None, None, None, None)
            extracted = report.extracts.get(source)
            table.add_row(source, f"{_records_of(extracted):,}" if extracted else "–", str(n), _n(records),
                          _n(loaded), _n(rejected), _n(deleted))
    console.print(table)
    _print_top_firms(conn)
    if month:
        invoice.print_invoice(conn, month)
    conn.rollback()
    for label, path in (("invoice", invoice_path), ("dashboard", dashboard_path)):
        if path:
            console.print(f"{label}: [bold]{path}[/]", highlight=False)
    for failure in report.failures:
        console.print("[bold red]failed:[/] " + escape(failure), highlight=False)
    if report.failures:
        console.print("still landed: " + escape("; ".join(report.landed()) or "nothing"), highlight=False)
    if report.quality_failures:
        console.print("[bold red]quality checks failed:[/] " + escape("; ".join(report.quality_failures)),
                      highlight=False)
    else:
        console.print("[green]quality checks passed[/]")
    if report.timings:
        console.print("[dim]timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in report.timings.items()) + "[/]",
                      highlight=False)
    console.print(f"[dim]Lambda logs: {_shown(jobs.LAMBDA_LOG)}[/]")


TOP_FIRMS_QUERY = """
WITH d AS (SELECT sending_firm_name AS firm, sum(uploaded_count) AS up, sum(archived_count) AS arch
           FROM analytics.demands_summary GROUP BY 1),
     v AS (SELECT firm_name AS firm, sum(billable_requests) AS vp FROM analytics.verifyplus_monthly GROUP BY 1)
SELECT coalesce(d.firm, v.firm) AS firm, coalesce(d.up, 0) AS up, coalesce(d.arch, 0) AS arch,
       coalesce(v.vp, 0) AS vp
FROM d FULL OUTER JOIN v ON v.firm = d.firm
ORDER BY coalesce(d.up, 0) + coalesce(d.arch, 0) + coalesce(v.vp, 0) DESC, firm
LIMIT %s
"""


def _shown(path: Path) -> str:
    """A path as the user should read it: relative to the checkout when inside it."""
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def _print_top_firms(conn: psycopg2.extensions.connection, limit: int = 5) -> None:
    if not all(jobs.populated(conn, view) for view in ("analytics.demands_summary", "analytics.verifyplus_monthly")):
        console.print("[yellow]the analytics views are not available (not created or never refreshed)[/]")
        return
    with conn.cursor() as cur:
        cur.execute(TOP_FIRMS_QUERY, (limit,))
        rows = cur.fetchall()
    table = Table(title=f"Top {limit} firms (all months)", title_justify="left")
    table.add_column("firm")
    for col in ("demands uploaded", "demands archived", "Verify+ billable"):
        table.add_column(col, justify="right")
    for firm, up, arch, vp in rows:
        table.add_row(escape(firm), f"{up:,}", f"{arch:,}", f"{vp:,}")
    console.print(table)


# ----------------------------------------------------------------------------------- commands

def _sources(choice: str) -> tuple[str, ...]:
    return SOURCES if choice == "all" else (choice,)


def cmd_run(args: argparse.Namespace) -> int:
    state = local_stack.running_state()
    filled = apply_stack_defaults(state)
    if filled:
        console.print(f"[dim]using the local stack for: {', '.join(sorted(filled))}[/]")
    moto = state.services.get("moto") if state else None
    if moto and os.environ.get("AWS_ENDPOINT_URL") == moto.url and "demand" in _sources(args.source):
        from scripts.itc.exchange_seed import restore_sources

        restored = restore_sources(state)
        if restored:
            console.print(restored, highlight=False)
    report = run_job(_sources(args.source), args.run_id or jobs.new_run_id())
    reports_dir = Path(getattr(args, "reports_dir", None) or REPORTS)
    with warehouse() as conn:
        written = write_reports(conn, reports_dir, report)
        print_summary(conn, report, month=written.month, invoice_path=written.invoice,
                      dashboard_path=written.dashboard)
        for path in written.rewritten:
            console.print(f"invoice rewritten: [bold]{path}[/]", highlight=False)
        for path in written.removed:
            console.print(f"invoice removed: {path} (the warehouse has no lines for its month any more)",
                          highlight=False)
    return 1 if report.failures or report.quality_failures else 0


@dataclass
class WrittenReports:
    dashboard: Path | None = None
    month: str | None = None          # the current draft invoice's month
    invoice: Path | None = None       # its CSV
    rewritten: list[Path] = field(default_factory=list)  # other invoice CSVs already on disk, rewritten
    removed: list[Path] = field(default_factory=list)    # invoice CSVs of months that have no lines any more


INVOICE_FILE = re.compile(r"^invoice-(\d{4}-\d{2})\.csv$")


def write_reports(conn: psycopg2.extensions.connection, output_dir: Path, report: RunReport) -> WrittenReports:
    """After the loads: write the dashboard and the current draft invoice's CSV again, and every invoice CSV
    already in ``output_dir`` (so no report on disk lags the warehouse, each stamped with its as-of time and
    draft/final). An invoice CSV of a month that has no lines any more (the warehouse was started over) is
    removed, not kept showing data the warehouse no longer has, and never fails the run. A failure is
    recorded in the run's report (the command then exits 1), never hidden."""
    from scripts.itc import dashboard

    written = WrittenReports()

    def attempt(what: str, write: Callable[[], Any]) -> Any:
        try:
            return write()
        except expected_errors() as exc:
            conn.rollback()
            report.failures.append(f"{what} not written: {first_line(exc)}")
            return None

    written.dashboard = attempt("dashboard", lambda: dashboard.write(conn, output_dir / "dashboard.html"))
    if not jobs.populated(conn, "analytics.demands_summary"):
        conn.rollback()
        return written  # nothing was ever refreshed: no invoice to write
    written.month = attempt("invoice", lambda: invoice.draft_month(conn))
    if written.month:
        written.invoice = attempt(f"invoice {written.month}",
                                  lambda: invoice.write_invoice(conn, written.month, output_dir))
    on_disk = sorted(m.group(1) for p in output_dir.glob("invoice-*.csv") if (m := INVOICE_FILE.match(p.name)))
    for month in on_disk:
        if month != written.month and not invoice.has_lines(conn, month):
            (output_dir / f"invoice-{month}.csv").unlink(missing_ok=True)
            written.removed.append(output_dir / f"invoice-{month}.csv")
        elif month != written.month:
            path = attempt(f"invoice {month}", lambda m=month: invoice.write_invoice(conn, m, output_dir))
            written.rewritten += [path] if path else []
    return written


def cmd_replay(args: argparse.Namespace) -> int:
    bucket, key = parse_manifest_url(args.manifest_url)
    force = getattr(args, "force", False)
    if force and not getattr(args, "approval", None):
        raise ItcError("--force needs --approval FILE: an approval of this manifest made by `itc approve-force "
                       "--manifest ... --reason \"why\"` (who approved and why are recorded in ops.load_runs)")
    if not force and getattr(args, "approval", None):
        raise ItcError("--approval goes with --force")
    approval = read_approval(args.approval) if force else None
    apply_stack_defaults(local_stack.running_state())
    _quiet_lambda_logs()
    s3 = s3_client()
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("404", "NoSuchKey", "NoSuchBucket", "403"):
            raise ItcError(f"{args.manifest_url}: no such manifest ({'access denied' if code == '403' else 'not found'}"
                           ")") from None
        raise
    manifest = ManifestObject(bucket, key, head["LastModified"], head.get("VersionId"))
    with warehouse() as conn:
        before = jobs.loaded_manifest_keys(conn, bucket)
    report = RunReport()
    summary = jobs.load(manifest, approval=approval)
    report.loads.append((manifest, summary))
    jobs.refresh()
    _quality(report, final=True)
    with warehouse() as conn, conn.cursor() as cur:
        cur.execute("SELECT load_id, loaded, rejected, deleted, forced_by FROM ops.load_runs WHERE status = "
                    "'succeeded' AND manifest_key = %s AND manifest_bucket = %s ORDER BY load_id DESC LIMIT 1",
                    (key, bucket))
        row = cur.fetchone()
    if key in before and not force:
        console.print(f"{manifest.url} was already loaded (load {row[0] if row else '?'}): nothing changed "
                      "(--force --approval FILE reloads it; `itc approve-force` makes the approval)")
    elif row:
        forced = f", forced by {row[4]}" if force and row[4] else ""
        console.print(f"loaded {manifest.url}: load {row[0]}, {row[1]:,} loaded, {row[2]:,} rejected, "
                      f"{row[3]:,} deleted{forced}", highlight=False)
    if report.quality_failures:
        console.print("[bold red]quality checks failed:[/] " + escape("; ".join(report.quality_failures)),
                      highlight=False)
        return 1
    return 0


def _n(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"
