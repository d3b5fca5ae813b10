"""End to end: synthetic sources → extract → landing → load → refresh → quality → invoice, in process.

The same code path as ``itc run`` / ``itc demo`` (the Lambda handlers called with the events their
state machines pass), against a moto server (real HTTP, in a thread), the Quickbase simulator
(real HTTP, in a thread) and a real migrated PostgreSQL. The invoice lines' quantities must equal
the counts this test computes from the synthetic generators' answer keys, per month, firm and
product.
"""

from __future__ import annotations

import csv
from collections import Counter
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest

from itc_common_utilities.manifest import SOURCES
from scripts.itc import commands, dashboard, demo, invoice, jobs
from scripts.synthetic.verifyplus import SyntheticConfig, VerifyPlusDataset
from tests.warehouse.kit import read

pytestmark = pytest.mark.slow

DEMANDS = 150
REQUESTS = 100  # with the default malformed share, 1 reject: 1.0%, not over ITC_MAX_REJECT_SHARE
SEED = 11


@pytest.fixture
def verifyplus_dataset() -> VerifyPlusDataset:
    return VerifyPlusDataset(SyntheticConfig(records=REQUESTS, seed=SEED, start_month=demo.START_MONTH,
                                             months=demo.MONTHS))


def expected_verifyplus(dataset: VerifyPlusDataset) -> Counter[tuple[str, str, str]]:
    """Billable requests per (month in New York, firm): not malformed, not duplicate, not excluded."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for truth in dataset.truths():
        if truth.reject_reason is None and not truth.duplicate and not truth.excluded:
            counts[(truth.month, truth.firm.rstrip(), "verifyplus_request")] += 1
    return counts


def expected_demands(seeded: demo.SeededExchange) -> Counter[tuple[str, str, str]]:
    counts: Counter[tuple[str, str, str]] = Counter()
    for (month, firm), n in seeded.expected_uploaded.items():
        counts[(month, firm, "demand_uploaded")] += n
    for (month, firm), n in seeded.expected_archived.items():
        counts[(month, firm, "demand_archived")] += n
    return +counts


def invoice_quantities(conn: psycopg2.extensions.connection) -> Counter[tuple[str, str, str]]:
    with conn.cursor() as cur:
        cur.execute("SELECT service_month, firm_name, product, sum(quantity) FROM analytics.invoice_lines "
                    "GROUP BY 1, 2, 3")
        rows = cur.fetchall()
    conn.rollback()
    return +Counter({(m, f, p): int(q) for m, f, p, q in rows})


def ledger_quantities(conn: psycopg2.extensions.connection, relation: str) -> Counter[tuple[str, str, str]]:
    """Units per (service month, firm, product) counted in the unit ledger ``relation``."""
    column = "quantity" if relation == "analytics.invoice_units" else "1"
    with conn.cursor() as cur:
        cur.execute(f"SELECT service_month, firm_name, product, sum({column}) FROM {relation} GROUP BY 1, 2, 3")
        rows = cur.fetchall()
    conn.rollback()
    return +Counter({(m, f, p): int(q) for m, f, p, q in rows})


def test_invoice_lines_equal_the_source_counts(
    stack_env: dict[str, str], stack_db: psycopg2.extensions.connection, verifyplus_dataset: VerifyPlusDataset,
    tmp_path: Path,
) -> None:
    """GIVEN 150 synthetic Exchange demands in moto and 90 synthetic Verify+ requests in the simulator
    WHEN `itc run` extracts both, loads each new snapshot, refreshes and checks quality
    THEN every invoice line's quantity equals the count computed here from the generators, per
    month, firm and product, and so do the unit ledger's units (analytics.billable_units, invoice_units);
    rejected records are quarantined, not lost; the quality checks pass;
    and the invoice CSV holds the same lines. A second run and a replay change nothing."""
    seeded = demo.seed_exchange(DEMANDS, SEED)

    report = commands.run_job(SOURCES, "e2e-1")

    assert [m.source for m, _ in report.loads] == ["demand", "verifyplus"]
    assert report.quality_failures == []
    expected = expected_demands(seeded) + expected_verifyplus(verifyplus_dataset)
    assert invoice_quantities(stack_db) == expected
    # the unit ledger behind the lines: one unit per billed demand/request, summing to the same answer key
    assert ledger_quantities(stack_db, "analytics.billable_units") == expected
    assert ledger_quantities(stack_db, "analytics.invoice_units") == expected

    # nothing lost: per source, manifest records = loaded + rejected, and rejections are on file
    with stack_db.cursor() as cur:
        cur.execute("SELECT source, records, loaded, rejected FROM ops.load_runs WHERE status = 'succeeded'")
        runs = {s: (r, lo, rej) for s, r, lo, rej in cur.fetchall()}
        cur.execute("SELECT reason_code, count(*) FROM ops.rejected_records WHERE source = 'verifyplus' GROUP BY 1")
        vp_rejections = dict(cur.fetchall())
    stack_db.rollback()
    for records, loaded, rejected in runs.values():
        assert records == loaded + rejected
    assert runs["verifyplus"][0] == REQUESTS
    assert vp_rejections == verifyplus_dataset.expected_rejections()

    # the invoice file holds the same lines as the warehouse for the month
    month = max(m for m, _f, _p in expected)
    path = invoice.write_invoice(stack_db, month, tmp_path)
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    lines = [r for r in rows if r["line_type"] in ("usage", "adjustment", "price_adjustment")]
    assert Counter({(r["service_month"], r["firm_name"], r["product"]): int(r["quantity"]) for r in lines}) == \
        Counter({k: v for k, v in expected.items() if k[0] == month})
    assert all(r["amount"] for r in lines)  # every line priced
    # below the lines: a subtotal per firm and one total, equal to the lines' amounts
    assert [r["line_type"] for r in rows if r not in lines][-1] == "total"
    assert Decimal(rows[-1]["amount"]) == sum(Decimal(r["amount"]) for r in lines)
    assert {r["invoice_status"] for r in rows} == {"draft"}

    # the dashboard shows the same totals
    shown = dashboard.collect(stack_db)
    assert shown.total("uploaded") == sum(n for (_m, _f, p), n in expected.items() if p == "demand_uploaded")
    assert shown.total("archived") == sum(n for (_m, _f, p), n in expected.items() if p == "demand_archived")
    assert shown.billable_total == sum(n for (_m, _f, p), n in expected.items() if p == "verifyplus_request")

    # a second run lands new snapshots of unchanged sources: same invoice; a replay is a no-op
    first_manifest = report.loads[0][0]
    again = commands.run_job(SOURCES, "e2e-2")
    assert len(again.loads) == 2 and again.quality_failures == []
    assert invoice_quantities(stack_db) == expected
    replayed = jobs.load(first_manifest)
    assert [r["status"] for r in replayed["loads"]] == ["skipped"]
    assert invoice_quantities(stack_db) == expected


def test_later_source_change_is_an_adjustment_line(
    stack_env: dict[str, str], stack_db: psycopg2.extensions.connection, verifyplus_dataset: VerifyPlusDataset,
    tmp_path: Path,
) -> None:
    """GIVEN a loaded warehouse whose September 2026 invoice was closed with `itc invoice --close`
    WHEN the Exchange later holds more demands (some uploaded in September) and `itc run` loads them
    THEN September's closed lines are unchanged, and the difference appears as adjustment lines on
    the next invoice (October), equal to the generator's count difference per firm."""
    before = demo.seed_exchange(DEMANDS, SEED)
    commands.run_job(SOURCES, "close-1")
    invoice.close_month(stack_db, "2026-09", "e2e test")
    closed_before = invoice_lines(stack_db, "2026-09")
    assert closed_before and {r[5] for r in closed_before} == {"closed"}

    after = demo.seed_exchange(DEMANDS + 60, SEED)  # demands 0..149 unchanged, 60 more
    report = commands.run_job(("demand",), "close-2")
    assert report.quality_failures == []

    assert invoice_lines(stack_db, "2026-09") == closed_before  # a closed month is never rewritten
    adjustments = Counter()
    for (month, firm), n in after.expected_uploaded.items():
        if month == "2026-09":
            adjustments[(firm, "demand_uploaded")] += n - before.expected_uploaded.get((month, firm), 0)
    for (month, firm), n in after.expected_archived.items():
        if month == "2026-09":
            adjustments[(firm, "demand_archived")] += n - before.expected_archived.get((month, firm), 0)
    with stack_db.cursor() as cur:
        cur.execute("SELECT firm_name, product, quantity FROM analytics.invoice_lines "
                    "WHERE billing_month = '2026-10' AND line_type = 'adjustment' AND service_month = '2026-09'")
        shown = Counter({(f, p): int(q) for f, p, q in cur.fetchall()})
    stack_db.rollback()
    assert +adjustments and shown == +adjustments

    # and the October invoice file carries them, marked as adjustments of September
    path = invoice.write_invoice(stack_db, "2026-10", tmp_path)
    with path.open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["line_type"] == "adjustment"]
    assert {(r["firm_name"], r["product"]): int(r["quantity"]) for r in rows} == dict(+adjustments)
    assert {r["service_month"] for r in rows} == {"2026-09"}


def invoice_lines(conn: psycopg2.extensions.connection, month: str) -> list[tuple]:
    return read(conn, "SELECT firm_name, product, line_type, quantity, amount, status FROM analytics.invoice_lines "
                      "WHERE billing_month = %s ORDER BY 1, 2, 3", (month,))
