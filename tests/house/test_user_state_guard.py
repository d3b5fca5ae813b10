"""The suite's guard over a user's things (``scripts/stack/user_state.py``, used by the repository's conftest):
it sees a changed report, a changed warehouse row and a new landing object, and the suite's own reports go
to a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg2

from scripts import paths
from scripts.stack import user_state


def test_given_a_report_rewritten_when_fingerprinted_again_then_the_file_is_named(tmp_path: Path) -> None:
    """GIVEN a reports folder with an invoice CSV and a dashboard WHEN the invoice is rewritten and a file
    added THEN the differences name the rewritten invoice as changed and the new file as added."""
    (tmp_path / "invoice-2026-10.csv").write_text("firm,total\nAcme,5095.00\n")
    (tmp_path / "dashboard.html").write_text("<html></html>")
    before = user_state.reports(tmp_path)
    (tmp_path / "invoice-2026-10.csv").write_text("firm,total\nAcme,805.00\n")
    (tmp_path / "invoice-2026-11.csv").write_text("firm,total\n")
    changed = user_state.differences(before, user_state.reports(tmp_path))
    assert [line.split(":")[0] for line in changed] == ["reports/invoice-2026-10.csv", "reports/invoice-2026-11.csv"]
    assert "changed" in changed[0] and "added" in changed[1]


def test_given_a_warehouse_when_one_row_changes_then_its_table_is_named(db_dsn: str) -> None:
    """GIVEN a migrated warehouse with one billing account WHEN its name changes THEN the fingerprint
    differs in ref.billing_accounts' line (still one row, another checksum) and in the finance audit that
    recorded the change, nowhere else."""
    with psycopg2.connect(db_dsn) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO ref.billing_accounts (account_id, account_name) VALUES ('acct-1', 'Acme')")
    before = user_state.warehouse(db_dsn)
    assert before["ref.billing_accounts"].startswith("1 rows")
    with psycopg2.connect(db_dsn) as conn, conn.cursor() as cur:
        cur.execute("UPDATE ref.billing_accounts SET account_name = 'Acme Law' WHERE account_id = 'acct-1'")
    changed = user_state.differences(before, user_state.warehouse(db_dsn))
    assert [line.split(":")[0] for line in changed] == ["ops.finance_audit", "ref.billing_accounts"]
    assert "1 rows" in changed[1].split("->")[1]


def test_given_the_suite_running_then_itc_reports_and_logs_go_to_a_temporary_folder() -> None:
    """GIVEN the test session WHEN a test (or `itc` in a subprocess) writes reports or the Lambda log by
    default THEN they go under a temporary folder, not the checkout's reports/ or .local/logs/."""
    assert paths.REPORTS != paths.CHECKOUT_REPORTS and not paths.REPORTS.is_relative_to(paths.REPO)
    assert not paths.LOG_DIR.is_relative_to(paths.REPO)
    assert os.environ["ITC_REPORTS_DIR"] == str(paths.REPORTS)
