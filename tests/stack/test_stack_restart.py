"""The local stack survives a restart and old reports: moto comes back with the landing bucket and the demo's
Exchange tables, `itc demo --fresh` removes the reports it made, and an invoice CSV of a month with no lines
any more never fails a run. Each test has its own stack folder and ports, never the user's."""

from __future__ import annotations

import socket
from pathlib import Path

import boto3
import psycopg2
import pytest

from scripts.itc import commands, demo
from scripts.itc.errors import ItcError
from scripts.stack import local_stack

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def own_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> local_stack.StackState:
    """The stack's state folder in tmp_path and a free moto port: nothing of the user's stack is touched."""
    monkeypatch.setattr(local_stack, "STACK_DIR", tmp_path / "stack")
    monkeypatch.setattr(local_stack, "STATE_FILE", tmp_path / "stack" / "state.json")
    monkeypatch.setattr(local_stack, "SOURCES_FILE", tmp_path / "stack" / "sources.json")
    monkeypatch.setenv("ITC_MOTO_PORT", str(_free_port()))
    state = local_stack.up(database=False, simulator=False)
    yield state
    local_stack.down(database=False)


def _exchange_tables(url: str) -> list[str]:
    dynamodb = boto3.client("dynamodb", endpoint_url=url, region_name=local_stack.LOCAL_REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    return sorted(t for t in dynamodb.list_tables()["TableNames"] if t.startswith("exchange-local-"))


def test_moto_restart_brings_back_the_bucket_and_the_exchange_tables(
        own_stack: local_stack.StackState) -> None:
    """GIVEN the stack's moto with the demo's 40 demands recorded and seeded WHEN `itc stack down` and
    `itc stack up` restart it (moto keeps no state) THEN the landing bucket exists again and the Exchange
    tables are refilled from the record, with the same items."""
    url = own_stack.services["moto"].url
    local_stack.SourceSeed(40, 3, local_stack.SimulatorData(records=20, seed=3)).save()
    assert demo.restore_sources(own_stack) is not None  # the first fill, as the demo does
    tables = _exchange_tables(url)
    dynamodb = boto3.client("dynamodb", endpoint_url=url, region_name=local_stack.LOCAL_REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    before = {t: dynamodb.scan(TableName=t, Select="COUNT")["Count"] for t in tables}

    local_stack.down(database=False)
    state = local_stack.up(database=False, simulator=False)
    url = state.services["moto"].url
    s3 = boto3.client("s3", endpoint_url=url, region_name=local_stack.LOCAL_REGION,
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    assert local_stack.LOCAL_BUCKET in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert _exchange_tables(url) == []
    said = demo.restore_sources(state)

    assert said == ("the local stack's Exchange tables were empty (moto restarted): refilled with the demo's "
                    "40 demands (seed 3)")
    dynamodb = boto3.client("dynamodb", endpoint_url=url, region_name=local_stack.LOCAL_REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    assert {t: dynamodb.scan(TableName=t, Select="COUNT")["Count"] for t in _exchange_tables(url)} == before
    assert demo.restore_sources(state) is None, "tables present: nothing to restore"


def test_missing_exchange_tables_without_a_record_say_what_to_run(
        own_stack: local_stack.StackState) -> None:
    """GIVEN a stack whose moto has no Exchange tables and no demo ever recorded a seed WHEN `itc run` checks
    the stand-ins THEN it stops with one line naming the cause and the command to run."""
    with pytest.raises(ItcError) as raised:
        demo.restore_sources(own_stack)
    assert str(raised.value) == ("the local stack's Exchange tables are empty (moto keeps no state across a "
                                 "restart): run `itc demo` to seed them")


def test_fresh_clears_only_the_reports_itc_made(tmp_path: Path) -> None:
    """GIVEN a reports folder with a dashboard, invoice and detail CSVs, a statements folder and a user's own
    notes WHEN `itc demo --fresh` clears the reports THEN the four made by itc are removed, the notes kept."""
    for name in ("dashboard.html", "invoice-2026-09.csv", "invoice-2026-09-detail.csv", "notes.txt"):
        (tmp_path / name).write_text("x")
    (tmp_path / "statements-2026-09").mkdir()
    (tmp_path / "statements-2026-09" / "index.html").write_text("x")

    removed = demo.clear_reports(tmp_path)

    assert sorted(p.name for p in removed) == ["dashboard.html", "invoice-2026-09-detail.csv",
                                               "invoice-2026-09.csv", "statements-2026-09"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_old_invoice_of_an_empty_month_never_fails_the_run(
        db: psycopg2.extensions.connection, tmp_path: Path) -> None:
    """GIVEN October 2026 with usage and an invoice-2026-07.csv left on disk from an earlier dataset
    (July has no lines now) WHEN `itc run` rewrites the reports THEN no failure is recorded (the run exits
    0), October's invoice is written and July's stale file is removed and named."""
    from tests.reports.test_invoice_csv import seed_october

    seed_october(db)
    (tmp_path / "invoice-2026-07.csv").write_text("billing_month,amount\n2026-07,805.00\n")
    report = commands.RunReport()

    written = commands.write_reports(db, tmp_path, report)

    assert report.failures == []
    assert written.removed == [tmp_path / "invoice-2026-07.csv"]
    assert sorted(p.name for p in tmp_path.glob("invoice-*.csv")) == ["invoice-2026-10.csv"]
