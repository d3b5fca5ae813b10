"""The `itc` command's expected failures: one clear line, exit code 1 (2 for usage), no traceback, no secret."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest

from tests.warehouse.kit import refresh_all

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def itc(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # a private HOME-less environment: nothing from the developer's shell or a running local stack leaks in
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ITC_", "AWS_"))}
    return subprocess.run([sys.executable, "-m", "scripts.itc", *args], cwd=REPO, env={**base, **env},
                          capture_output=True, text=True, timeout=120, check=False)


def assert_one_line_error(result: subprocess.CompletedProcess, *expected: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for text in expected:
        assert text in lines[0], lines[0]


def test_status_with_database_down_hides_the_password() -> None:
    """GIVEN ITC_DATABASE_URL naming a port where nothing listens, with a password in it
    WHEN `itc status` runs
    THEN it prints one `error:` line naming the connection problem, never the password, and exits 1."""
    url = f"postgresql://itc_user:s3cr3t-pw@127.0.0.1:{_free_port()}/itc"
    result = itc("status", env={"ITC_DATABASE_URL": url})
    assert_one_line_error(result, "connecting to the warehouse failed")
    assert "s3cr3t-pw" not in result.stderr + result.stdout


def test_given_a_bad_month_when_invoice_runs_then_usage_error_names_the_format() -> None:
    """GIVEN `--month 2026-13` WHEN `itc invoice` runs THEN argparse refuses it, naming YYYY-MM (exit 2)."""
    result = itc("invoice", "--month", "2026-13", env={})
    assert result.returncode == 2
    assert "'2026-13' is not a month: use YYYY-MM" in result.stderr
    assert "Traceback" not in result.stderr


def test_replay_of_a_non_manifest_url_explains_the_form() -> None:
    """GIVEN an S3 URL that is not a _manifest.json WHEN `itc replay` runs THEN one line says the expected form."""
    result = itc("replay", "s3://landing/demand/run=1/documents.jsonl.gz", env={})
    assert_one_line_error(result, "is not a manifest URL", "_manifest.json")


def test_invoice_before_any_refresh_says_what_to_run(db_dsn: str) -> None:
    """GIVEN a migrated warehouse whose analytics views were never refreshed
    WHEN `itc invoice --month 2026-10` runs
    THEN it says the views were never refreshed and what to run, and writes nothing."""
    result = itc("invoice", "--month", "2026-10", "--output-dir", "/nonexistent-itc-reports",
                 env={"ITC_DATABASE_URL": db_dsn})
    assert_one_line_error(result, "never been refreshed", "itc run")


def test_run_without_landing_bucket_fails_in_one_line(
    db_dsn: str,
) -> None:
    """GIVEN an emulator endpoint with no landing bucket (nothing listening) and an Exchange without tables
    WHEN `itc run --source demand` runs
    THEN it fails with one line, no traceback, exit 1."""
    env = {"ITC_DATABASE_URL": db_dsn, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{_free_port()}",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
           "AWS_DEFAULT_REGION": "us-east-1", "ITC_LANDING_BUCKET": "no-such-bucket", "ITC_EXCHANGE_ENV": "none",
           "AWS_MAX_ATTEMPTS": "1", "ITC_SCAN_SEGMENTS": "1"}
    result = itc("run", "--source", "demand", env=env)
    assert_one_line_error(result)


def test_closing_a_closed_month_says_already_closed(
    db: psycopg2.extensions.connection, db_dsn: str, tmp_path: Path,
) -> None:
    """GIVEN a refreshed warehouse and October 2026 closed once with `itc invoice --close`
    WHEN `itc invoice --month 2026-10 --close` runs again
    THEN it refuses with one line saying the month is already closed (later changes become adjustments)."""
    refresh_all(db)
    env = {"ITC_DATABASE_URL": db_dsn, "ITC_CLOSED_BY": "finance test"}
    first = itc("invoice", "--month", "2026-10", "--close", "--output-dir", str(tmp_path), env=env)
    # an empty month closes (0 lines) but has no lines to write: the CLI says so
    assert "closed 2026-10 (0 line(s) frozen, closed by finance test)" in first.stdout, first.stdout + first.stderr
    again = itc("invoice", "--month", "2026-10", "--close", "--output-dir", str(tmp_path), env=env)
    assert_one_line_error(again, "month 2026-10 is already closed")


def test_local_handlers_log_in_as_their_service_logins(db_dsn, monkeypatch):
    """GIVEN the local stack's admin DSN WHEN itc runs a load / a refresh THEN the handler connects as
    itc_loader_demand / itc_loader_verifyplus / itc_refresher (never the superuser), and migrations and
    extracts keep the admin DSN."""
    import os

    import psycopg2

    from scripts.itc.jobs import service_login

    monkeypatch.setenv("ITC_ADMIN_DATABASE_URL", db_dsn)
    monkeypatch.setenv("ITC_DATABASE_URL", db_dsn)
    seen = {}
    for component, mode in [("demand", "load"), ("verifyplus", "load"), ("orchestrator", "refresh"),
                            ("orchestrator", "migrate"), ("demand", "extract")]:
        with service_login(component, mode):
            conn = psycopg2.connect(os.environ["ITC_DATABASE_URL"])
            with conn.cursor() as cur:
                cur.execute("SELECT current_user")
                seen[(component, mode)] = cur.fetchone()[0]
            conn.close()
    assert os.environ["ITC_DATABASE_URL"] == db_dsn
    assert (seen[("demand", "load")], seen[("verifyplus", "load")]) == ("itc_loader_demand", "itc_loader_verifyplus")
    assert seen[("orchestrator", "refresh")] == "itc_refresher"
    assert seen[("orchestrator", "migrate")] == seen[("demand", "extract")] == "postgres"


def test_status_shows_warnings_and_fails_only_on_errors(
        db_dsn: str) -> None:
    """GIVEN the last quality run recorded a passed check and a row-count warning
    WHEN `itc status` runs THEN it shows the warning, counts it apart, and exits 0;
    GIVEN a later run with an error-level failure as well THEN it shows FAILED and exits 1."""
    import psycopg2

    swing = "raw.cases went from 10 rows (load 1) to 2 (load 2), -80.0%: more than ref.settings " \
            "row_count_warning_share 0.2"
    with psycopg2.connect(db_dsn) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO ops.quality_results (check_run_id, check_name, subject, passed, detail, level) "
                    "VALUES ('q1', 'freshness', 'demand', true, NULL, 'error'), "
                    "('q1', 'row_count_change', 'demand.documents', false, %s, 'warning')", (swing,))
    conn.close()
    env = {"ITC_DATABASE_URL": db_dsn}
    result = itc("status", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    out = " ".join(result.stdout.split())
    assert "1/2 passed, 1 warning(s)" in out
    assert f"WARNING row_count_change demand.documents: {swing}" in out

    with psycopg2.connect(db_dsn) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO ops.quality_results (check_run_id, check_name, subject, passed, detail, level, "
                    "checked_at) VALUES ('q2', 'usage_months', '1970-01 demand_uploaded', false, 'in 1970', "
                    "'error', now() + interval '1 second'), ('q2', 'row_count_change', 'demand.documents', false, "
                    "%s, 'warning', now() + interval '1 second')", (swing,))
    conn.close()
    result = itc("status", env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    out = " ".join(result.stdout.split())
    assert "0/2 passed, 1 warning(s)" in out
    assert "FAILED usage_months 1970-01 demand_uploaded: in 1970" in out and "WARNING row_count_change" in out


WIDE = {"COLUMNS": "250"}  # rich wraps table cells to the terminal's width; the words are long


def _seed_rejects(dsn: str) -> None:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO ops.load_runs (source, run_id, manifest_bucket, manifest_key, manifest_sha256, "
                    "extracted_at, status, started_at, finished_at, records, loaded, rejected) VALUES ('demand', 'r1', "
                    "'landing', 'demand/run=r1/_manifest.json', %s, '2026-11-01T05:00:00Z', 'succeeded', "
                    "'2026-11-01T05:01:00Z', '2026-11-01T05:02:00Z', 10, 7, 3) RETURNING load_id", ("a" * 64,))
        load_id = cur.fetchone()[0]
        for line, reason in ((3, "bad_type"), (4, "bad_type"), (7, "missing_key")):
            cur.execute("INSERT INTO ops.rejected_records (load_id, source, table_name, source_key, line_number, "
                        "reason_code) VALUES (%s, 'demand', 't', 'k', %s, %s)", (load_id, line, reason))
    conn.close()


def test_status_explains_rejects_in_words_and_data_shown(
        db_dsn: str) -> None:
    """GIVEN the latest demand load rejected two records as bad_type and one as missing_key
    WHEN `itc status` runs THEN it lists the rejects by reason in plain words (not the codes), with their
    counts, and says what data the warehouse shows (as of the snapshot's extraction, complete through)."""
    from itc_common_utilities.loader.reject_reasons import reason_in_words

    _seed_rejects(db_dsn)
    result = itc("status", env={"ITC_DATABASE_URL": db_dsn, **WIDE})
    out = " ".join(result.stdout.split())
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"demand │ 2 │ {reason_in_words('bad_type')}" in out
    assert f"demand │ 1 │ {reason_in_words('missing_key')}" in out
    assert "bad_type" not in out
    assert "data as of 2026-11-01T05:00:00Z: demand extracted 2026-11-01T05:00:00Z (complete through 2026-10-31)" in out


def test_analyst_status_shows_freshness_not_ops_error(
        db: psycopg2.extensions.connection, db_dsn: str) -> None:
    """GIVEN an analyst login (no privilege on ops) and a loaded snapshot WHEN `itc status` runs as the analyst
    THEN it exits 0 and prints what analytics.data_freshness says (not 'permission denied for schema ops')."""
    from urllib.parse import quote, urlsplit, urlunsplit

    from scripts.itc import access

    _seed_rejects(db_dsn)
    name = "status_analyst_" + os.urandom(4).hex()
    password = access.grant_analyst(db, name, granted_by="test lead", reason="status test", valid_days=1)
    try:
        parts = urlsplit(db_dsn)
        dsn = urlunsplit(parts._replace(netloc=f"{name}:{quote(password, safe='')}@{parts.hostname}:{parts.port}"))
        result = itc("status", env={"ITC_DATABASE_URL": dsn, **WIDE})
    finally:
        access.revoke_analyst(db, name, revoked_by="test cleanup", reason="test over")
    out = " ".join(result.stdout.split())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "analyst view: read from analytics.data_freshness" in out
    assert "demand │ succeeded │ 2026-11-01 05:00 UTC │ 2026-10-31" in out
    assert "permission denied" not in result.stdout + result.stderr


def test_stale_invoice_is_rewritten_after_load(
        db: psycopg2.extensions.connection, tmp_path: Path) -> None:
    """GIVEN October 2026 open with $120.00 of usage and an old reports/invoice-2026-10.csv on disk
    WHEN `itc run` writes the reports after its loads THEN the dashboard and the current draft invoice
    (October) are written, stamped draft and as of the snapshot; once October is closed, the next run
    rewrites the same file as final (a file on disk never keeps saying something the warehouse does not)."""
    import csv

    from scripts.itc import commands
    from tests.reports.test_invoice_csv import seed_october

    seed_october(db)
    (tmp_path / "invoice-2026-10.csv").write_text("billing_month,amount\n2026-10,5055.00\n")
    report = commands.RunReport()

    written = commands.write_reports(db, tmp_path, report)

    assert report.failures == []
    assert (written.month, written.invoice, written.rewritten) == ("2026-10", tmp_path / "invoice-2026-10.csv", [])
    assert 'data-kpi="data-as-of" data-value="2026-11-01T05:00:00Z"' in written.dashboard.read_text()
    with written.invoice.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["line_type"], r["amount"], r["invoice_status"], r["data_as_of"]) for r in rows][-1] == (
        "total", "120.00", "draft", "2026-11-01T05:00:00Z")

    with db, db.cursor() as cur:
        cur.execute("SELECT analytics.close_month('2026-10', 'finance test')")
    written = commands.write_reports(db, tmp_path, report)
    assert (written.month, written.invoice, written.rewritten) == (None, None, [tmp_path / "invoice-2026-10.csv"])
    with (tmp_path / "invoice-2026-10.csv").open(newline="") as fh:
        assert {r["invoice_status"] for r in csv.DictReader(fh)} == {"final"}
    assert report.failures == []


@pytest.mark.slow
def test_run_names_where_it_wrote_the_reports(
        local_sources: dict[str, str], tmp_path: Path) -> None:
    """GIVEN the local stack with 120 synthetic demands and 60 Verify+ requests WHEN `itc run --reports-dir D`
    loads them THEN it exits 0, writes D/dashboard.html and the current draft invoice D/invoice-M.csv, names
    both, and prints that invoice's table stamped draft with the data's as-of time."""
    result = subprocess.run([sys.executable, "-m", "scripts.itc", "run", "--reports-dir", str(tmp_path)], cwd=REPO,
                            env={**os.environ, **WIDE}, capture_output=True, text=True, timeout=300, check=False)
    out = " ".join(result.stdout.split())
    assert result.returncode == 0, result.stdout + result.stderr
    invoices = sorted(tmp_path.glob("invoice-*.csv"))
    assert len(invoices) == 1 and (tmp_path / "dashboard.html").is_file()
    month = invoices[0].stem.removeprefix("invoice-")
    assert f"invoice: {invoices[0]}" in out and f"dashboard: {tmp_path / 'dashboard.html'}" in out
    assert f"Invoice {month} (draft) · data as of 20" in out
