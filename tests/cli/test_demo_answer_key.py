"""``itc demo`` checks itself (``scripts/itc/demo_check.py``): after the run it compares the invoice lines and
the unit ledger with the generators' answer key, and a planted difference makes it fail naming the cell."""

from __future__ import annotations

import io

import psycopg2
import pytest

from itc_common_utilities.manifest import SOURCES
from scripts.itc import commands, demo, jobs
from scripts.stack import local_stack
from scripts.synthetic.verifyplus import VerifyPlusDataset

pytestmark = pytest.mark.slow

DEMANDS, SEED = 120, 5


@pytest.fixture
def simulator_data(verifyplus_dataset: VerifyPlusDataset) -> local_stack.SimulatorData:
    """What the stack_env simulator serves, in the form `itc demo` starts the simulator with."""
    config = verifyplus_dataset.config
    return local_stack.SimulatorData(records=config.records, seed=config.seed, start_month=config.start_month,
                                     months=config.months, firms=config.firms)


def test_planted_difference_fails_the_demo_check_naming_the_cells(
        stack_env: dict[str, str], stack_db: psycopg2.extensions.connection,
        simulator_data: local_stack.SimulatorData, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN the demo's run over 120 demands and 60 Verify+ requests, whose lines match the answer key
    WHEN one uploaded demand's firm is changed in the warehouse (a planted billing error) and the views
    are refreshed THEN the demo's check fails and prints the two cells that moved, with the answer key's,
    the invoice lines' and the unit ledger's counts."""
    seeded = demo.seed_exchange(DEMANDS, SEED)
    report = commands.run_job(SOURCES, "check-1")
    assert not report.failures
    printed = io.StringIO()
    monkeypatch.setattr(demo.console, "file", printed)
    assert demo.check_answer_key(stack_db, seeded, simulator_data)
    assert "answer key matched" in printed.getvalue()
    printed.seek(0)
    printed.truncate()

    with stack_db.cursor() as cur:
        cur.execute("SELECT unit_id, firm_name, service_month FROM analytics.billable_units "
                    "WHERE product = 'demand_uploaded' ORDER BY unit_id LIMIT 1")
        document_id, firm, month = cur.fetchone()
        cur.execute("UPDATE raw.cases SET sending_firm_name = 'Planted Firm LLP' WHERE document_id = %s",
                    (document_id,))
    stack_db.commit()
    jobs.refresh()

    assert not demo.check_answer_key(stack_db, seeded, simulator_data)
    printed = " ".join(printed.getvalue().split())
    assert "answer key differs in 2 cell(s)" in printed
    key = demo.answer_key(seeded, simulator_data)[(month, firm, "demand_uploaded")]
    assert (f"{month} | {firm} | demand_uploaded: answer key {key}, invoice lines {key - 1}, "
            f"unit ledger {key - 1}") in printed
    assert (f"{month} | Planted Firm LLP | demand_uploaded: answer key 0, invoice lines 1, "
            "unit ledger 1") in printed
