"""The load guards end to end: the demand Lambda's handler as `itc` calls it (scripts/itc/jobs.py, the
`itc replay` command), moto, a migrated PostgreSQL.

A good load; a snapshot of an Exchange that lost 60 % of its demands is refused and changes nothing;
`itc approve-force` then `itc replay <good manifest> --force --approval FILE` restores the last good
snapshot; and when the bad snapshot was forced in, the forced replay of the good manifest brings the
invoice back to its earlier numbers (analytics.invoice_lines compared before / after). The guards' unit
tests, one per guard and setting, are in common/itc_common_utilities/tests/test_loader_guards.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import psycopg2.extensions
import pytest

from scripts.itc import demo, jobs
from scripts.synthetic.verifyplus import SyntheticConfig, VerifyPlusDataset
from tests.warehouse.kit import read

pytestmark = pytest.mark.slow

DEMANDS = 150
SEED = 11
REPO = Path(__file__).resolve().parents[2]
REASON = "restore the last good snapshot: the Exchange scan of bad lost demands"


@pytest.fixture
def verifyplus_dataset() -> VerifyPlusDataset:
    """The Verify+ side is background here (loaded once, clean): these tests are about demand snapshots."""
    return VerifyPlusDataset(SyntheticConfig(records=60, seed=SEED, start_month=demo.START_MONTH,
                                             months=demo.MONTHS, malformed_share=0))


@pytest.fixture
def env(stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The shared stack (moto, the Quickbase simulator, a priced warehouse), Verify+ loaded once
    (so the quality checks `itc replay` runs see both sources), and who approves forced loads."""
    monkeypatch.setenv("ITC_APPROVER", "ops@example.com")
    jobs.extract("verifyplus", "vp-1")
    jobs.load(next(m for m in jobs.list_manifests(boto3.client("s3"), stack_env["ITC_LANDING_BUCKET"],
                                                  ("verifyplus",))))
    yield stack_env


def land_demands(demands: int, run_id: str) -> jobs.ManifestObject:
    """The Exchange holds ``demands`` synthetic demands; the demand extract lands a snapshot of them."""
    demo.seed_exchange(demands, SEED)
    jobs.extract("demand", run_id)
    bucket = os.environ["ITC_LANDING_BUCKET"]
    return next(m for m in jobs.list_manifests(boto3.client("s3"), bucket, ("demand",)) if f"run={run_id}/" in m.key)


def invoice(conn: psycopg2.extensions.connection) -> list[tuple]:
    return read(conn, "SELECT billing_month, service_month, firm_name, product, line_type, quantity, amount "
                      "FROM analytics.invoice_lines ORDER BY 1, 2, 3, 4, 5")


def demand_rows(conn: psycopg2.extensions.connection) -> list[tuple]:
    return read(conn, "SELECT (SELECT count(*) FROM raw.cases), (SELECT count(*) FROM raw.metadata), "
                      "(SELECT count(*) FROM raw.audit), (SELECT count(*) FROM raw.templates)")


def itc(*argv: str) -> tuple[int, str]:
    """`itc <argv>` in a subprocess with this test's environment: its exit code and what it printed (stdout +
    stderr, whitespace collapsed: the console wraps long lines)."""
    done = subprocess.run([sys.executable, "-m", "scripts.itc", *argv], cwd=REPO, env=dict(os.environ),
                          capture_output=True, text=True, timeout=300, check=False)
    return done.returncode, " ".join((done.stdout + done.stderr).split())


def approval(manifest: jobs.ManifestObject, folder: Path, reason: str = REASON) -> str:
    """`itc approve-force --manifest <url> --reason … --out FILE`: the approval's file."""
    path = folder / f"approval-{manifest.key.split('/')[1]}.json"
    code, said = itc("approve-force", "--manifest", manifest.url, "--reason", reason, "--out", str(path))
    assert code == 0, said
    return str(path)


def test_vanished_demands_refused_and_replay_restores(
        env: dict[str, str], stack_db: psycopg2.extensions.connection, tmp_path: Path) -> None:
    """GIVEN a good demand load (150 demands) and its invoice
    WHEN the Exchange loses 60 % of its demands and the next snapshot is loaded
    THEN the load is refused with the guard's message, raw and the invoice are unchanged and the run is
    recorded refused (and not retried by `itc run`); AND `itc replay <good> --force --approval FILE` (the
    approval of `itc approve-force`) reloads the good snapshot (not a no-op), recorded with the approver and
    reason of the approval, the invoice the same; a force without an approval, or with the approval of
    another manifest, is refused and changes nothing."""
    good = land_demands(DEMANDS, "good")
    jobs.load(good)
    jobs.refresh()
    good_invoice, good_rows = invoice(stack_db), demand_rows(stack_db)
    assert good_invoice
    doomed = read(stack_db, "SELECT count(*) FROM raw.cases WHERE document_id >= %s", (f"doc-{60:08d}",))[0][0]

    bad = land_demands(60, "bad")  # demands 60..149 are gone
    code, said = itc("replay", bad.url)

    assert code == 1
    assert said.startswith(f"error: demand load: demand: refusing to delete {doomed:,} of {good_rows[0][0]:,} "
                           f"rows ({100 * doomed / good_rows[0][0]:.1f}%) of raw.cases; the limit is "
                           "ITC_MAX_DELETE_SHARE=0.05.")
    assert said.endswith("If this snapshot is right, load it with force and an approval (itc approve-force).")
    assert (demand_rows(stack_db), invoice(stack_db)) == (good_rows, good_invoice)
    assert read(stack_db, "SELECT run_id, status, error FROM ops.load_runs WHERE source = 'demand' "
                          "ORDER BY load_id") == [
        ("good", "succeeded", None), ("bad", "refused", "LoadRefusedError: " + said[len("error: demand load: "):])]
    pending = jobs.new_manifests(boto3.client("s3"), stack_db, env["ITC_LANDING_BUCKET"])
    assert bad.key not in {m.key for m in pending}, "`itc run` would retry the refused snapshot on every run"

    code, said = itc("replay", good.url)  # unforced: the manifest was loaded, a no-op
    assert code == 0 and "was already loaded" in said and "--force --approval FILE" in said
    code, said = itc("replay", good.url, "--force")
    assert code == 1 and said.startswith("error: --force needs --approval FILE")
    code, said = itc("replay", good.url, "--force", "--approval", approval(bad, tmp_path))
    assert code == 1 and "refusing the forced load: the approval is for another manifest" in said
    assert (demand_rows(stack_db), invoice(stack_db)) == (good_rows, good_invoice)

    code, said = itc("replay", good.url, "--force", "--approval", approval(good, tmp_path))

    assert code == 0 and said.startswith(f"loaded {good.url}: load ") and "forced by ops@example.com" in said
    assert (demand_rows(stack_db), invoice(stack_db)) == (good_rows, good_invoice)
    assert read(stack_db, "SELECT run_id, forced_by, force_reason FROM ops.load_runs WHERE status = 'succeeded' "
                    "AND source = 'demand' ORDER BY load_id") == [
        ("good", None, None), ("good", "ops@example.com", REASON)]


def test_forced_good_replay_restores_the_invoice(
        env: dict[str, str], stack_db: psycopg2.extensions.connection, tmp_path: Path) -> None:
    """GIVEN a good load, then a snapshot missing 60 % of the demands forced in (the invoice shrinks)
    WHEN `itc replay <good manifest> --force --approval FILE` runs
    THEN analytics.invoice_lines is back to its numbers after the good load; a later unforced snapshot of
    the restored Exchange loads normally (it is newer than both)."""
    good = land_demands(DEMANDS, "good")
    jobs.load(good)
    jobs.refresh()
    good_invoice = invoice(stack_db)
    bad = land_demands(60, "bad")
    code, _ = itc("replay", bad.url, "--force", "--approval",
                  approval(bad, tmp_path, "we believed the Exchange purge was real"))
    assert code == 0
    assert invoice(stack_db) != good_invoice
    assert sum(q for *_k, q, _a in invoice(stack_db)) < sum(q for *_k, q, _a in good_invoice)

    code, said = itc("replay", good.url, "--force", "--approval", approval(good, tmp_path))

    assert code == 0, said
    assert invoice(stack_db) == good_invoice
    assert read(stack_db, "SELECT run_id FROM ops.latest_loads WHERE source = 'demand'") == [("good",)]
    # the Exchange is whole again: the next daily snapshot is newer than both, and loads unforced
    later = land_demands(DEMANDS, "later")
    assert [r["status"] for r in jobs.load(later)["loads"]] == ["loaded"]
    jobs.refresh()
    assert invoice(stack_db) == good_invoice
