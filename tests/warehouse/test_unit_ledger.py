"""The unit ledger behind every invoice line (docs/adr/0006-unit-ledger-and-billing-accounts.md):
analytics.billable_units, invoice_units, closed months reproduced from their frozen units, billing accounts,
price adjustments and the finance role."""

from __future__ import annotations

import uuid
from decimal import Decimal

import psycopg2
import pytest
from psycopg2 import errorcodes, sql

from tests.warehouse.kit import add_case, add_demand, add_demo_prices, add_metadata, add_request, ny, refresh_all, rows

LINE_KEY = "billing_month, service_month, firm_name, billing_account_id, product, line_type, unit_price"


def _lines(db, month):
    return rows(db, "SELECT service_month, firm_name, billing_account_id, product, line_type, quantity, unit_price, "
                    "amount, status FROM analytics.invoice_lines WHERE billing_month = %s ORDER BY 1, 2, 4, 5, 7",
                (month,))


def _unit_sums(db, month, table="analytics.invoice_units"):
    """The invoice lines rebuilt from the units alone (frozen units when ``table`` is the closed ledger)."""
    status = "min(status)" if table == "analytics.invoice_units" else "'closed'"
    return rows(db, f"SELECT service_month, firm_name, billing_account_id, product, line_type, sum(quantity), "
                    f"unit_price, round(sum(quantity) * unit_price, 2), {status} FROM {table} "
                    f"WHERE billing_month = %s GROUP BY {LINE_KEY} HAVING sum(quantity) <> 0 ORDER BY 1, 2, 4, 5, 7",
                (month,))


def _units(db, month, line_type=None):
    return rows(db, "SELECT firm_name, product, line_type, unit_id, quantity, unit_price FROM analytics.invoice_units "
                    "WHERE billing_month = %s AND (%s::text IS NULL OR line_type = %s) ORDER BY 1, 2, 3, 4, 5",
                (month, line_type, line_type))


def _close(db, month, by="finance@example.test"):
    with db.cursor() as cur:
        cur.execute("SELECT analytics.close_month(%s, %s)", (month, by))
        lines = cur.fetchone()[0]
    db.commit()
    return lines


def _load_run(cur, key):
    cur.execute("INSERT INTO ops.load_runs (source, run_id, manifest_bucket, manifest_key, manifest_version_id, "
                "manifest_sha256, status, started_at, extracted_at) VALUES ('demand', %s, 'landing', %s, 'v-1', "
                "repeat('b', 64), 'succeeded', now(), '2025-04-02T06:00:00Z') RETURNING load_id", (key, key))
    return cur.fetchone()[0]


def test_every_line_counts_its_ledger_units(db):
    """GIVEN uploads, archives and Verify+ requests of two firms in March 2025, loaded by one snapshot
    WHEN invoiced THEN each usage line equals the ledger's count for it, each ledger unit names the load,
    manifest and object version it came from, and a duplicate request is not in the ledger."""
    with db.cursor() as cur:
        add_demo_prices(cur)
        load_id = _load_run(cur, "exchange/2025-04-02/_manifest.json")
        for doc, firm in (("D1", "Firm A"), ("D2", "Firm A"), ("D3", "Firm B")):
            add_case(cur, doc, firm=firm, _load_id=load_id)
            add_metadata(cur, doc, uploaded_at=ny(2025, 3, 3), archived_at=ny(2025, 3, 20) if doc == "D1" else None,
                         _load_id=load_id, _source_key="exchange/2025-04-02/metadata.jsonl.gz")
        add_request(cur, 11, ny(2025, 3, 4), firm="Firm B")
        add_request(cur, 12, ny(2025, 3, 4), firm="Firm B", duplicate=True)
    db.commit()
    refresh_all(db)

    ledger = rows(db, "SELECT service_month, firm_name, billing_account_id, product, count(*) "
                      "FROM analytics.billable_units GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 4")
    assert ledger == [("2025-03", "Firm A", None, "demand_archived", 1),
                      ("2025-03", "Firm A", None, "demand_uploaded", 2),
                      ("2025-03", "Firm B", None, "demand_uploaded", 1),
                      ("2025-03", "Firm B", None, "verifyplus_request", 1)]
    lines = _lines(db, "2025-03")
    assert [(m, f, a, p, q) for m, f, a, p, _t, q, *_ in lines] == ledger
    assert _unit_sums(db, "2025-03") == lines
    assert rows(db, "SELECT unit_id, load_id, source_key, manifest_key, manifest_version_id "
                    "FROM analytics.billable_units WHERE product = 'demand_uploaded' ORDER BY 1") == [
        (doc, load_id, "exchange/2025-04-02/metadata.jsonl.gz", "exchange/2025-04-02/_manifest.json", "v-1")
        for doc in ("D1", "D2", "D3")]


def test_closed_month_is_reproduced_and_adjustments_name_units(db):
    """GIVEN October 2025 closed with demands A1, A2 (Firm A)
    WHEN a later load deletes A1, moves A2 to Firm B and adds A3 (Firm A) in October
    THEN October's closed lines are unchanged and still the sums of its frozen units; November's invoice holds
    a -1 adjustment for Firm A (units A3 +1, A1 -1, A2 -1) and +1 for Firm B (A2), and closing November
    freezes exactly those units."""
    with db.cursor() as cur:
        add_demo_prices(cur)
        add_demand(cur, "A1", firm="Firm A", uploaded_at=ny(2025, 10, 2))
        add_demand(cur, "A2", firm="Firm A", uploaded_at=ny(2025, 10, 3))
    db.commit()
    refresh_all(db)
    assert _close(db, "2025-10") == 1
    closed = _lines(db, "2025-10")
    assert closed == [("2025-10", "Firm A", None, "demand_uploaded", "usage", 2, Decimal("25.00"), Decimal("50.00"),
                       "closed")]

    with db.cursor() as cur:
        cur.execute("DELETE FROM raw.metadata WHERE document_id = 'A1'")
        cur.execute("DELETE FROM raw.cases WHERE document_id = 'A1'")
        cur.execute("UPDATE raw.cases SET sending_firm_name = 'Firm B' WHERE document_id = 'A2'")
        add_demand(cur, "A3", firm="Firm A", uploaded_at=ny(2025, 10, 30))
    db.commit()
    refresh_all(db)

    assert _lines(db, "2025-10") == closed
    assert _unit_sums(db, "2025-10", "analytics.closed_billable_units") == closed
    assert rows(db, "SELECT unit_id FROM analytics.closed_billable_units WHERE billing_month = '2025-10' ORDER BY 1") \
        == [("A1",), ("A2",)]
    november = [("2025-10", "Firm A", None, "demand_uploaded", "adjustment", -1, Decimal("25.00"), Decimal("-25.00"),
                 "open"),
                ("2025-10", "Firm B", None, "demand_uploaded", "adjustment", 1, Decimal("25.00"), Decimal("25.00"),
                 "open")]
    assert _lines(db, "2025-11") == november
    assert _units(db, "2025-11") == [
        ("Firm A", "demand_uploaded", "adjustment", "A1", -1, Decimal("25.00")),
        ("Firm A", "demand_uploaded", "adjustment", "A2", -1, Decimal("25.00")),
        ("Firm A", "demand_uploaded", "adjustment", "A3", 1, Decimal("25.00")),
        ("Firm B", "demand_uploaded", "adjustment", "A2", 1, Decimal("25.00")),
    ]
    assert _unit_sums(db, "2025-11") == november

    assert _close(db, "2025-11") == 2
    frozen = [(*line[:8], "closed") for line in november]
    assert _lines(db, "2025-11") == frozen
    assert rows(db, "SELECT count(*), sum(quantity) FROM analytics.closed_billable_units "
                    "WHERE billing_month = '2025-11'") == [(4, 0)]
    assert _lines(db, "2025-12") == []


def test_closed_lines_are_the_sums_of_frozen_units(db):
    """GIVEN usage of two products and two firms in a month WHEN the month is closed THEN closed_invoice_lines
    equals the frozen units grouped by line, and closed_months counts both."""
    with db.cursor() as cur:
        add_demo_prices(cur)
        add_demand(cur, "A1", firm="Firm A", uploaded_at=ny(2025, 5, 2), archived_at=ny(2025, 5, 9))
        add_demand(cur, "B1", firm="Firm B", uploaded_at=ny(2025, 5, 2))
        add_request(cur, 7, ny(2025, 5, 5), firm="Firm B")
    db.commit()
    refresh_all(db)
    assert _close(db, "2025-05") == 4
    assert len(_lines(db, "2025-05")) == 4
    assert _unit_sums(db, "2025-05", "analytics.closed_billable_units") == _lines(db, "2025-05")
    assert rows(db, "SELECT line_count, unit_count, total_amount FROM analytics.closed_months") == [
        (4, 4, Decimal("25.00") + Decimal("5.00") + Decimal("25.00") + Decimal("35.00"))]


def test_given_a_renamed_firm_mapped_to_an_account_then_it_is_billed_on_one_account(db):
    """GIVEN demands from 'Smith Law' and its new name 'Smith Law, LLP', a Verify+ request from ' smith  LAW ',
    a demand under another name but Smith's Exchange customerId, and an unmapped firm
    WHEN both names and the customer id are mapped to account smith-law ('Smith Law LLP')
    THEN Smith is billed on one line per product under the account's name, the unmapped firm under its own name,
    and the ledger keeps each unit's source firm name."""
    with db.cursor() as cur:
        add_demo_prices(cur)
        add_demand(cur, "S1", firm="Smith Law", uploaded_at=ny(2025, 6, 2))
        add_demand(cur, "S2", firm="Smith Law, LLP", uploaded_at=ny(2025, 6, 20))
        add_case(cur, "S3", firm="S.L. Trial Team", customer_id="cust-42")
        add_metadata(cur, "S3", uploaded_at=ny(2025, 6, 21))
        add_request(cur, 31, ny(2025, 6, 3), firm=" smith  LAW ")
        add_demand(cur, "O1", firm="Other Firm", uploaded_at=ny(2025, 6, 4))
        cur.execute("INSERT INTO ref.billing_accounts (account_id, account_name) VALUES ('smith-law', 'Smith Law LLP')")
        cur.execute("INSERT INTO ref.billing_account_names (match_kind, match_value, account_id) VALUES "
                    "('firm_name', 'Smith Law', 'smith-law'), ('firm_name', 'Smith Law, LLP', 'smith-law'), "
                    "('customer_id', 'cust-42', 'smith-law')")
    db.commit()
    refresh_all(db)
    assert [(f, a, p, q) for _m, f, a, p, _t, q, *_ in _lines(db, "2025-06")] == [
        ("Other Firm", None, "demand_uploaded", 1),
        ("Smith Law LLP", "smith-law", "demand_uploaded", 3),
        ("Smith Law LLP", "smith-law", "verifyplus_request", 1),
    ]
    assert rows(db, "SELECT unit_id, source_firm_name FROM analytics.billable_units "
                    "WHERE billing_account_id = 'smith-law' ORDER BY 1") == [
        ("31", " smith  LAW"), ("S1", "Smith Law"), ("S2", "Smith Law, LLP"), ("S3", "S.L. Trial Team")]


def test_repriced_closed_month_is_credited_and_rebilled(db):
    """GIVEN March 2025 closed with 2 uploads at 25.00 WHEN finance re-prices uploads from March 2025 at 30.00
    THEN April's invoice holds price_adjustment lines -2 x 25.00 and +2 x 30.00 for March (net +10.00), whose
    units are the two demands; after April closes, nothing more is pending."""
    with db.cursor() as cur:
        add_demo_prices(cur)
        add_demand(cur, "A1", firm="Firm A", uploaded_at=ny(2025, 3, 5))
        add_demand(cur, "A2", firm="Firm A", uploaded_at=ny(2025, 3, 6))
    db.commit()
    refresh_all(db)
    _close(db, "2025-03")
    with db.cursor() as cur:
        cur.execute("UPDATE ref.price_list SET effective_to = '2025-03-01' "
                    "WHERE product = 'demand_uploaded' AND effective_to IS NULL")
        cur.execute("INSERT INTO ref.price_list (product, unit_price, effective_from, note) "
                    "VALUES ('demand_uploaded', 30.00, '2025-03-01', 'contract renewal')")
    db.commit()
    april = [("2025-03", "Firm A", None, "demand_uploaded", "price_adjustment", -2, Decimal("25.00"),
              Decimal("-50.00"), "open"),
             ("2025-03", "Firm A", None, "demand_uploaded", "price_adjustment", 2, Decimal("30.00"),
              Decimal("60.00"), "open")]
    assert _lines(db, "2025-04") == april
    assert _units(db, "2025-04") == [
        ("Firm A", "demand_uploaded", "price_adjustment", "A1", -1, Decimal("25.00")),
        ("Firm A", "demand_uploaded", "price_adjustment", "A1", 1, Decimal("30.00")),
        ("Firm A", "demand_uploaded", "price_adjustment", "A2", -1, Decimal("25.00")),
        ("Firm A", "demand_uploaded", "price_adjustment", "A2", 1, Decimal("30.00")),
    ]
    assert _close(db, "2025-04") == 2
    assert rows(db, "SELECT total_amount FROM analytics.closed_months WHERE billing_month = '2025-04'") == \
        [(Decimal("10.00"),)]
    assert _lines(db, "2025-05") == []


@pytest.fixture
def finance_login(db_dsn):
    """A login holding itc_finance (as a finance person's would), dropped afterwards."""
    admin = psycopg2.connect(db_dsn)
    name, password = f"finance_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with admin, admin.cursor() as cur:
        cur.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE itc_finance").format(
            sql.Identifier(name), sql.Literal(password)))
    conn = psycopg2.connect(db_dsn.replace("postgres@", f"{name}:{password}@", 1))
    yield name, conn
    conn.close()
    with admin, admin.cursor() as cur:
        cur.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))
    admin.close()


def test_finance_login_acts_are_audited(db, finance_login):
    """GIVEN a finance login WHEN it enters a price, an account and a mapping and closes a month
    THEN each act is in ops.finance_audit under its login (the login and time set by the database, not the
    caller), the close records the login too; and it is refused raw data, PHI, the load records, writing the
    audit trail or the closed lines."""
    name, fin = finance_login
    with db.cursor() as cur:
        add_demand(cur, "A1", firm="Firm A", uploaded_at=ny(2025, 3, 5))
    db.commit()
    refresh_all(db)
    with fin.cursor() as cur:
        cur.execute("INSERT INTO ref.price_list (product, unit_price, effective_from, created_by) "
                    "VALUES ('demand_uploaded', 25.00, '2020-01-01', 'someone else')")
        cur.execute("INSERT INTO ref.billing_accounts (account_id, account_name) VALUES ('firm-a', 'Firm A Inc.')")
        cur.execute("INSERT INTO ref.billing_account_names (match_kind, match_value, account_id) "
                    "VALUES ('firm_name', 'Firm A', 'firm-a')")
        cur.execute("SELECT analytics.close_month('2025-03', 'Dana (finance)')")
    fin.commit()
    assert rows(db, "SELECT action, object, object_key, login FROM ops.finance_audit ORDER BY event_id") == [
        ("insert", "ref.price_list", "1", name), ("insert", "ref.billing_accounts", "firm-a", name),
        ("insert", "ref.billing_account_names", "firm_name:Firm A", name), ("close", "analytics.closed_months",
                                                                              "2025-03", name)]
    assert rows(db, "SELECT created_by FROM ref.price_list") == [(name,)]
    assert rows(db, "SELECT closed_by, closed_by_login FROM analytics.closed_months") == [("Dana (finance)", name)]
    assert _lines(db, "2025-03")[0][1:3] == ("Firm A Inc.", "firm-a")

    refused = {}
    for label, statement in (("raw", "SELECT document_id FROM raw.cases"),
                             ("phi", "SELECT claimant_name FROM curated.demands_uploaded"),
                             ("loads", "SELECT * FROM ops.load_runs"),
                             ("forge audit", "INSERT INTO ops.finance_audit (action, object) VALUES ('insert', 'x')"),
                             ("edit closed", "UPDATE analytics.closed_invoice_lines SET quantity = 0"),
                             ("settings", "UPDATE ref.settings SET value = '5' "
                                          "WHERE key = 'verifyplus_sla_target_days'")):
        with fin.cursor() as cur:
            try:
                cur.execute(statement)
                refused[label] = "allowed"
            except psycopg2.Error as exc:
                refused[label] = exc.pgcode
        fin.rollback()
    assert refused == dict.fromkeys(refused, errorcodes.INSUFFICIENT_PRIVILEGE)


def test_given_the_audit_trail_when_anyone_edits_it_then_refused(db):
    """GIVEN a price change audited WHEN even the owner updates or deletes the audit row THEN refused."""
    with db.cursor() as cur:
        add_demo_prices(cur)
    db.commit()
    for statement in ("UPDATE ops.finance_audit SET login = 'x'", "DELETE FROM ops.finance_audit"):
        with db.cursor() as cur, pytest.raises(psycopg2.Error, match="append-only audit trail"):
            cur.execute(statement)
        db.rollback()
    assert rows(db, "SELECT count(*) > 0 FROM ops.finance_audit WHERE object = 'ref.price_list'") == [(True,)]


def test_given_firms_without_a_billing_account_then_a_quality_warning_names_them(db):
    """GIVEN an open month with a mapped firm and two unmapped ones WHEN the quality checks run
    THEN unmapped_firms is a WARNING (the run still passes) naming the two unmapped firms only, and the ledger
    totals check passes."""
    from orchestrator.quality_checks import WARNING, check_summary_totals, check_unmapped_firms

    with db.cursor() as cur:
        add_demo_prices(cur)
        add_demand(cur, "A1", firm="Mapped Firm", uploaded_at=ny(2025, 7, 2))
        add_demand(cur, "B1", firm="Zed & Co", uploaded_at=ny(2025, 7, 2))
        add_request(cur, 5, ny(2025, 7, 3), firm="Alpha Law")
        cur.execute("INSERT INTO ref.billing_accounts (account_id, account_name) VALUES ('mapped', 'Mapped Firm')")
        cur.execute("INSERT INTO ref.billing_account_names (match_kind, match_value, account_id) "
                    "VALUES ('firm_name', 'mapped firm', 'mapped')")
    db.commit()
    refresh_all(db)
    with db.cursor() as cur:
        [result] = check_unmapped_firms(cur)
        totals = check_summary_totals(cur)
    assert (result.level, result.passed, result.observed["names"]) == (WARNING, False, ["Alpha Law", "Zed & Co"])
    assert result.detail.startswith("2 firm(s) on an open invoice bill under their own name, with no billing "
                                    "account: Alpha Law, Zed & Co")
    assert not result.failed_error
    assert [(t.subject, t.passed) for t in totals if t.subject.startswith("billable_units")] == [
        ("billable_units demand_uploaded", True), ("billable_units demand_archived", True),
        ("billable_units verifyplus_request", True)]
