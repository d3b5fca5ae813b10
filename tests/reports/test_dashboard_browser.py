"""The KPI dashboard page in a real headless Chromium: it renders offline, has its charts, and shows
exactly the warehouse's numbers: money per billing month, every tile labelled with its period and
status, the data's as-of time and each source's freshness, reject reasons in words.

Needs the Debian ``chromium`` package (``make test`` installs it when it can:
``scripts/build/system_packages.sh``). When it is missing the test FAILS, saying so: a skipped browser test would hide a
broken dashboard.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import psycopg2
import pytest

from itc_common_utilities.loader.reject_reasons import reason_in_words
from scripts.itc import dashboard
from tests.warehouse.kit import VIEWS_IN_ORDER, add_demo_prices, refresh_all

pytestmark = pytest.mark.browser

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# (document id, firm, uploaded at, archived at) — times in UTC; New York is UTC-4 (EDT) / UTC-5 (EST)
DEMANDS = [
    ("d1", "Abbott Law Group", "2026-09-10T15:00:00Z", None),
    ("d2", "Abbott Law Group", "2026-09-30T12:00:00Z", "2026-10-05T12:00:00Z"),
    ("d3", "Baker & Partners  ", "2026-10-01T03:30:00Z", None),  # 23:30 on 30 Sep in New York: September
    ("d4", "Baker & Partners", "2026-10-15T12:00:00Z", "2026-10-20T12:00:00Z"),
    ("d5", "Castillo LLP", "2026-10-20T12:00:00Z", None),
    ("d6", "Castillo LLP", None, None),  # no upload time: not a billable upload
]
# (request id, firm, created at, duplicate, excluded, closed at)
REQUESTS = [
    (101, "Abbott Law Group", "2026-09-02T14:00:00Z", False, False, "2026-09-04T14:00:00Z"),  # 2 days
    (102, "Abbott Law Group", "2026-09-03T14:00:00Z", True, False, "2026-09-04T14:00:00Z"),  # duplicate
    (103, "Baker & Partners", "2026-10-02T14:00:00Z", False, False, "2026-10-07T14:00:00Z"),  # 5 days
    (104, "Baker & Partners", "2026-10-03T14:00:00Z", False, True, None),  # excluded
    (105, "Castillo LLP", "2026-10-04T14:00:00Z", False, False, "2026-10-05T14:00:00Z"),  # 1 day
]


def find_chromium() -> str:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("headless Chromium is not installed: run `apt-get update && apt-get install -y "
                "--no-install-recommends chromium` (`make test` does it when run as root)")


def chromium(binary: str, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
         f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )


class DomReader(HTMLParser):
    """Collects what the page shows: KPI values, data cells/marks, svg charts, and whether it loads anything."""

    def __init__(self) -> None:
        super().__init__()
        self.kpis: dict[str, str] = {}
        self.marks: list[dict[str, str]] = []
        self.svg_ids: list[str] = []
        self.external: list[str] = []
        self.quality: dict[str, str] = {}
        self.periods: dict[str, str] = {}  # kpi -> the period its tile names
        self.reasons: dict[str, set[str]] = {}  # reject reason code -> the words shown for it
        self.month_labels: dict[str, str] = {}  # month -> its label in the month table
        self._reason: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "svg":
            self.svg_ids.append(a.get("id", ""))
        if "data-kpi" in a:
            self.kpis[a["data-kpi"]] = a["data-value"]
            self.periods[a["data-kpi"]] = a["data-period"]
        if tag == "td" and "data-reason" in a and "data-metric" not in a:  # the reason's cell, not its count
            self._reason = a["data-reason"]
        if tag == "td" and "data-status" in a:
            self.month_labels[a["data-month"]] = a["data-value"]
        if "data-metric" in a and "data-value" in a:
            self.marks.append({"tag": tag, **a})
        if a.get("id") == "quality-status":
            self.quality = a
        for attr in ("src", "href"):
            if a.get(attr, "").startswith(("http:", "https:", "//")):
                self.external.append(a[attr])

    def handle_data(self, data: str) -> None:
        if self._reason:
            self.reasons.setdefault(self._reason, set()).add(data)
            self._reason = None

    def values(self, tag: str, metric: str, key: str) -> dict[str, float]:
        return {m[key]: float(m["data-value"]) for m in self.marks
                if m["tag"] == tag and m["data-metric"] == metric and key in m}


def seed_warehouse(conn: psycopg2.extensions.connection) -> None:
    with conn, conn.cursor() as cur:
        for source in ("demand", "verifyplus"):
            cur.execute(
                "INSERT INTO ops.load_runs (source, run_id, manifest_bucket, manifest_key, manifest_sha256, "
                "extracted_at, status, started_at, finished_at, records, loaded, rejected) "
                "VALUES (%s, 'r1', 'landing', %s, %s, '2026-11-01T05:00:00Z', 'succeeded', "
                "'2026-11-01T05:01:00Z', '2026-11-01T05:02:00Z', 10, 8, 2) RETURNING load_id",
                (source, f"{source}/run=r1/_manifest.json", ("a" if source == "demand" else "b") * 64))
            load_id = cur.fetchone()[0]
            for line, reason in ((3, "bad_timestamp"), (7, "missing_key")):
                cur.execute(
                    "INSERT INTO ops.rejected_records (load_id, source, table_name, source_key, line_number, "
                    "reason_code) VALUES (%s, %s, 't', 'k', %s, %s)", (load_id, source, line, reason))
            if source == "demand":
                for doc, firm, uploaded, archived in DEMANDS:
                    cur.execute("INSERT INTO raw.cases (document_id, version, sending_firm_name, _load_id, "
                                "_source_key) VALUES (%s, 1, %s, %s, 'k')", (doc, firm, load_id))
                    cur.execute("INSERT INTO raw.metadata (document_id, uploaded_at, archived_at, _load_id, "
                                "_source_key) VALUES (%s, %s, %s, %s, 'k')", (doc, uploaded, archived, load_id))
            else:
                for rid, firm, created, dup, excl, closed in REQUESTS:
                    cur.execute("INSERT INTO raw.verifyplus (request_id, firm_name, request_created_datetime, "
                                "duplicate_request, exclude_from_reporting, verify_close_datetime, _load_id, "
                                "_source_key) VALUES (%s, %s, %s, %s, %s, %s, %s, 'k')",
                                (rid, firm, created, dup, excl, closed, load_id))
        add_demo_prices(cur)  # demands 25.00 uploaded, 5.00 archived; Verify+ 40.00 in 2026
        for view in VIEWS_IN_ORDER:
            cur.execute("INSERT INTO ops.view_refreshes (view_name, refreshed_at, duration_ms, concurrent) "
                        "VALUES (%s, '2026-11-01T05:03:00Z', 5, false)", (view,))
        cur.execute("INSERT INTO ops.quality_results (check_run_id, check_name, subject, passed, detail, level) "
                    "VALUES ('q1', 'freshness', 'demand', true, NULL, 'error'), "
                    "('q1', 'summary_totals', '', false, 'off by one', 'error'), "
                    "('q1', 'row_count_change', 'raw.cases', false, 'went from 10 rows to 2', 'warning')")
    refresh_all(conn)
    with conn, conn.cursor() as cur:  # September's invoice is final (its rejects accepted), October's a draft
        cur.execute("SELECT analytics.accept_units_at_risk('2026-09', 'the test rejects these')")
        cur.execute("SELECT analytics.close_month('2026-09', 'finance test')")


def test_dashboard_in_chromium_shows_the_warehouse_numbers(
    db: psycopg2.extensions.connection, tmp_path: Path
) -> None:
    """GIVEN a warehouse with known demands, Verify+ requests, prices, loads (snapshots extracted 2026-11-01
    05:00 UTC), rejects and refreshes, September 2026 closed
    WHEN the dashboard is written and opened in headless Chromium (offline, file://)
    THEN it renders its charts as SVG, loads nothing from the network, every number it shows equals what
    the database says, the money per billing month included; each tile names its period ("October 2026
    (draft)"), the months say draft/final, the change from September is shown, the data's as-of time and
    each source's complete-through day are printed, and rejects are in words."""
    binary = find_chromium()
    seed_warehouse(db)
    page = dashboard.write(db, tmp_path / "dashboard.html")

    dumped = chromium(binary, tmp_path, "--dump-dom", page.as_uri())
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    dom = DomReader()
    dom.feed(dumped.stdout)

    # renders, offline, with its charts
    assert "ITC — KPI dashboard" in dumped.stdout
    assert dom.external == []
    assert {"chart-invoice-month", "chart-demands-month", "chart-demands-firm", "chart-verifyplus-month",
            "chart-verifyplus-close"} <= set(dom.svg_ids)

    # the numbers the database holds, read independently of the dashboard's own queries
    with db.cursor() as cur:
        cur.execute("SELECT billing_month, sum(uploaded_count), sum(archived_count) FROM analytics.demands_summary "
                    "GROUP BY 1")
        db_months = {m: (int(u), int(a)) for m, u, a in cur.fetchall()}
        cur.execute("SELECT sending_firm_name, sum(uploaded_count), sum(archived_count) "
                    "FROM analytics.demands_summary GROUP BY 1")
        db_firms = {f: (int(u), int(a)) for f, u, a in cur.fetchall()}
        cur.execute("SELECT billing_month, sum(billable_requests) FROM analytics.verifyplus_monthly GROUP BY 1")
        db_vp = {m: int(n) for m, n in cur.fetchall()}
        cur.execute("SELECT count(*) FROM ops.rejected_records")
        db_rejected = cur.fetchone()[0]
        cur.execute("SELECT billing_month, sum(amount) FROM analytics.invoice_lines GROUP BY 1")
        db_money = {m: float(a) for m, a in cur.fetchall()}
    db.rollback()

    # the seeded truth: September = d1, d2, d3 (23:30 New York on 30 Sep); October = d4, d5
    assert db_months == {"2026-09": (3, 0), "2026-10": (2, 2)}
    assert dom.values("rect", "uploaded", "data-month") == {m: v[0] for m, v in db_months.items()}
    assert dom.values("rect", "archived", "data-month") == {m: v[1] for m, v in db_months.items()}
    assert dom.values("rect", "uploaded", "data-firm") == {f: v[0] for f, v in db_firms.items()}
    assert dom.values("rect", "archived", "data-firm") == {f: v[1] for f, v in db_firms.items()}
    assert db_vp == {"2026-09": 1, "2026-10": 2}
    assert dom.values("rect", "billable", "data-month") == db_vp
    # median days to close of billable closed requests: Sep {2} -> 2, Oct {5, 1} -> 3
    assert dom.values("circle", "median-days-to-close", "data-month") == {"2026-09": 2.0, "2026-10": 3.0}

    # money: September 3 uploads x 25 + 1 Verify+ x 40 = 115; October 2 x 25 + 2 archived x 5 + 2 x 40 = 140
    assert db_money == {"2026-09": 115.0, "2026-10": 140.0}
    assert dom.values("td", "invoice-total", "data-month") == db_money
    assert dom.values("rect", "usage", "data-month") == db_money
    assert dom.values("rect", "adjustments", "data-month") == {"2026-09": 0.0, "2026-10": 0.0}
    changes = {m["data-month"]: m["data-value"] for m in dom.marks if m["data-metric"] == "invoice-total-change"}
    assert changes == {"2026-09": "", "2026-10": "0.2174"}  # September: no month before it shown
    assert dom.month_labels == {"2026-09": "September 2026 (final)", "2026-10": "October 2026 (draft)"}
    assert (dom.kpis["invoice-total-month"], dom.periods["invoice-total-month"]) == ("140.00", "October 2026 (draft)")
    assert "+21.7% vs September 2026" in dumped.stdout
    assert dom.periods["demands-uploaded-total"] == "September 2026 – October 2026 (2 months)"
    assert all(dom.periods.values()), dom.periods  # every tile names its period

    # what data it shows: the snapshots' extraction time; complete through the day before (New York)
    assert dom.kpis["data-as-of"] == "2026-11-01T05:00:00Z"
    assert dom.values("td", "failed-since", "data-source") == {"demand": 0.0, "verifyplus": 0.0}
    assert 'data-metric="complete-through" data-source="demand" data-value="2026-10-31"' in dumped.stdout
    # rejects in words, not codes
    assert dom.reasons == {"bad_timestamp": {reason_in_words("bad_timestamp")},
                           "missing_key": {reason_in_words("missing_key")}}
    assert ">bad_timestamp<" not in dumped.stdout

    assert dom.kpis["demands-uploaded-total"] == "5"
    assert dom.kpis["demands-archived-total"] == "2"
    assert dom.kpis["verifyplus-billable-total"] == "3"
    assert dom.kpis["rejected-total"] == str(db_rejected) == "4"
    assert dom.kpis["firms-total"] == "3"
    assert datetime.fromisoformat(dom.kpis["last-refresh"]) == datetime(2026, 11, 1, 5, 3, tzinfo=UTC)
    assert dom.values("td", "rejected", "data-source") == {"demand": 2.0, "verifyplus": 2.0}
    # a warning (a row-count swing) is shown, and is not counted as a failed check
    assert (dom.quality["data-failed"], dom.quality["data-warnings"], dom.quality["data-checks"]) == ("1", "1", "3")

    # and it paints: a screenshot of the page is a real image
    shot = tmp_path / "dashboard.png"  # kept under pytest's --basetemp for a look
    painted = chromium(binary, tmp_path, f"--screenshot={shot}", "--window-size=1200,2200", page.as_uri())
    assert painted.returncode == 0, painted.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_empty_warehouse_dashboard_says_what_is_missing(
    db: psycopg2.extensions.connection,
) -> None:
    """GIVEN a migrated warehouse whose views were never refreshed
    WHEN the dashboard is rendered
    THEN it still renders (zeros) and names the views that have no data yet, instead of failing."""
    html = dashboard.render(dashboard.collect(db))
    assert 'data-kpi="demands-uploaded-total" data-value="0"' in html
    assert "analytics.demands_summary (never refreshed)" in html
    assert "no load yet" in html


def test_hostile_firm_names_are_shown_as_text() -> None:
    """GIVEN firm names holding HTML/script and quotes (they come from the sources as typed)
    WHEN the dashboard is rendered
    THEN they appear escaped: no script element, no broken attribute, the value still readable."""
    data = dashboard.DashboardData(
        generated_at=datetime(2026, 11, 1, tzinfo=UTC),
        demands=[("2026-10", '<script>alert("x")</script>', 3, 1), ("2026-10", "O'Brien & \"Sons\"", 2, 0)],
    )
    html = dashboard.render(data)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    dom = DomReader()
    dom.feed(html)
    assert dom.values("rect", "uploaded", "data-firm") == {'<script>alert("x")</script>': 3.0,
                                                           "O'Brien & \"Sons\"": 2.0}


def test_dashboard_shows_last_twelve_months_with_gaps_as_zero(
) -> None:
    """GIVEN demands in 15 months (August 2025 – October 2026) except March 2026, and invoice money in October
    and September 2026 (September closed, a credit in October)
    WHEN the dashboard is rendered
    THEN the month table has the 12 months November 2025 – October 2026, March 2026 among them with zero,
    April's change is not a figure (from zero), October's money is split usage/adjustments, its tiles say
    "October 2026 (draft)" and the invoice total tile gives the change from September."""
    months = [f"{2025 + (m > 12)}-{(m - 1) % 12 + 1:02d}" for m in range(8, 23) if m != 15]  # no 2026-03
    data = dashboard.DashboardData(
        generated_at=datetime(2026, 11, 2, tzinfo=UTC),
        demands=[(m, "Acme Law", i + 1, 0) for i, m in enumerate(months)],
        money=[("2026-09", Decimal("100.00"), Decimal("0"), 0), ("2026-10", Decimal("150.00"), Decimal("-25.00"), 0)],
        closed={"2026-09"},
    )
    dom = DomReader()
    dom.feed(dashboard.render(data))

    shown = dom.values("td", "month-uploaded", "data-month")
    assert list(shown) == ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06",
                           "2026-07", "2026-08", "2026-09", "2026-10"]
    assert shown["2026-03"] == 0 and shown["2026-10"] == 14
    assert dom.month_labels["2026-09"] == "September 2026 (final)"
    changes = {m["data-month"]: m["data-value"] for m in dom.marks if m["data-metric"] == "month-uploaded-change"}
    assert changes["2026-03"] == "-1.0" and changes["2026-04"] == ""  # to zero, then from zero
    assert dom.values("td", "invoice-adjustments", "data-month")["2026-10"] == -25.0
    assert dom.values("rect", "adjustments", "data-month")["2026-10"] == -25.0
    assert dom.kpis["invoice-total-month"] == "125.00"
    assert {dom.periods[k] for k in dom.periods if k.endswith("-month")} == {"October 2026 (draft)"}
    assert dom.periods["demands-uploaded-total"] == "November 2025 – October 2026 (12 months)"
