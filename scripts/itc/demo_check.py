"""``itc demo`` checks itself: the warehouse's invoice lines and unit ledger against the generators' answer key.

The synthetic generators know, from the data they made alone, how many units each firm must be billed
per month and product (:func:`scripts.synthetic.exchange.expected_counts`,
:meth:`scripts.synthetic.verifyplus.VerifyPlusDataset.truths`). After the demo's run, the units per
(service month, firm, product) are counted twice in the warehouse - in ``analytics.invoice_lines``
(the quantities summed by the month of the usage they bill, adjustments included) and in the unit
ledger ``analytics.billable_units`` - and each is compared with the answer key, cell by cell. A demo
that bills wrong fails (exit 1) and prints the differing cells.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import psycopg2.extensions

Cell = tuple[str, str, str]  # (service month YYYY-MM, firm name, product)

INVOICE_QUERY = ("SELECT service_month, firm_name, product, sum(quantity) FROM analytics.invoice_lines "
                 "GROUP BY 1, 2, 3")
LEDGER_QUERY = "SELECT service_month, firm_name, product, count(*) FROM analytics.billable_units GROUP BY 1, 2, 3"


@dataclass(frozen=True)
class Difference:
    """One cell where the warehouse and the answer key disagree."""

    cell: Cell
    expected: int
    invoice: int
    ledger: int

    def line(self) -> str:
        month, firm, product = self.cell
        return (f"{month} | {firm} | {product}: answer key {self.expected}, invoice lines {self.invoice}, "
                f"unit ledger {self.ledger}")


def demand_answer_key(expected_uploaded: dict[tuple[str, str], int],
                      expected_archived: dict[tuple[str, str], int]) -> Counter[Cell]:
    """The Exchange generator's billable uploads and archives per (month, firm), as cells."""
    key: Counter[Cell] = Counter()
    for (month, firm), n in expected_uploaded.items():
        key[(month, firm, "demand_uploaded")] += n
    for (month, firm), n in expected_archived.items():
        key[(month, firm, "demand_archived")] += n
    return +key


def verifyplus_answer_key(dataset: object) -> Counter[Cell]:
    """Billable Verify+ requests per (month, firm) from the generator's truths: loaded (not malformed),
    not a duplicate, not excluded; the firm name as the warehouse trims it."""
    key: Counter[Cell] = Counter()
    for truth in dataset.truths():  # type: ignore[attr-defined]
        if truth.reject_reason is None and not truth.duplicate and not truth.excluded:
            key[(truth.month, truth.firm.rstrip(), "verifyplus_request")] += 1
    return key


def _counted(conn: psycopg2.extensions.connection, query: str) -> Counter[Cell]:
    with conn.cursor() as cur:
        cur.execute(query)
        rows = cur.fetchall()
    conn.rollback()
    return +Counter({(m, f, p): int(q) for m, f, p, q in rows})


def differences(conn: psycopg2.extensions.connection, answer_key: Counter[Cell]) -> list[Difference]:
    """Every cell where the invoice lines or the unit ledger differ from ``answer_key``, sorted."""
    invoice, ledger = _counted(conn, INVOICE_QUERY), _counted(conn, LEDGER_QUERY)
    return [Difference(cell, answer_key.get(cell, 0), invoice.get(cell, 0), ledger.get(cell, 0))
            for cell in sorted(set(answer_key) | set(invoice) | set(ledger))
            if not answer_key.get(cell, 0) == invoice.get(cell, 0) == ledger.get(cell, 0)]
