"""The KPI dashboard page: one static HTML file, charts as inline SVG, no network needed to view it.

:func:`collect` reads the figures from the warehouse (analytics and ops only: no PHI is read),
:func:`render` turns them into HTML (pure), :func:`write` does both into ``reports/dashboard.html``.

It shows up to 12 months (:mod:`scripts.itc.dashboard_months`): money per billing month (invoice
usage and adjustments), counts, month-over-month change; every tile names the period it covers
("October 2026 (draft)"). It prints the data's as-of time and each source's freshness
(:mod:`scripts.itc.freshness`), and reject reasons in words
(:mod:`itc_common_utilities.loader.reject_reasons`).

Every number shown carries stable attributes so tests and scrapers can read it back:
``data-kpi="<name>"`` on the headline figures, and ``data-metric``/``data-month``/``data-firm`` (or
``data-source``) on table cells and chart marks, with the exact value in ``data-value``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2.errors
import psycopg2.extensions

from itc_common_utilities.loader.reject_reasons import reason_in_words
from itc_common_utilities.manifest import SOURCES
from scripts.itc import dashboard_months, freshness
from scripts.itc.charts import (
    cell,
    esc,
    fmt_age,
    fmt_int,
    fmt_time,
    grouped_bar_chart,
    horizontal_bar_chart,
    kpi,
    line_chart,
)
from scripts.itc.dashboard_months import Month, fmt_change, fmt_money, month_name, period

TOP_FIRMS = 10

# ------------------------------------------------------------------------------------- queries

DEMANDS_QUERY = """
SELECT billing_month, sending_firm_name, uploaded_count, archived_count
FROM analytics.demands_summary
ORDER BY billing_month, sending_firm_name
"""
VERIFYPLUS_QUERY = """
SELECT billing_month, firm_name, billable_requests, closed_requests, closed_within_target, median_days_to_close
FROM analytics.verifyplus_monthly
ORDER BY billing_month, firm_name
"""
# the month's median over every firm's billable closed requests (a median of the per-firm medians
# would be wrong), with the same rules as analytics.verifyplus_monthly
VERIFYPLUS_CLOSE_QUERY = """
SELECT ref.billing_month(request_created_datetime) AS billing_month,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY days_to_close))::numeric, 2) AS median_days
FROM curated.verifyplus
WHERE is_billable AND days_to_close IS NOT NULL AND request_created_datetime IS NOT NULL
GROUP BY 1 ORDER BY 1
"""
LOADS_QUERY = """
SELECT source, loaded, rejected FROM ops.latest_loads ORDER BY source
"""
# money per billing month: usage lines apart from adjustment and price_adjustment lines (analytics.invoice_lines)
MONEY_QUERY = """
SELECT billing_month,
       coalesce(sum(amount) FILTER (WHERE line_type = 'usage'), 0),
       coalesce(sum(amount) FILTER (WHERE line_type <> 'usage'), 0),
       count(*) FILTER (WHERE amount IS NULL)
FROM analytics.invoice_lines
GROUP BY 1 ORDER BY 1
"""
# what is missing from the warehouse now: the rejects of each source's latest succeeded load
REJECTED_QUERY = """
SELECT r.source, r.reason_code, count(*)
FROM ops.rejected_records r
WHERE r.load_id IN (SELECT load_id FROM ops.latest_loads)
GROUP BY 1, 2 ORDER BY 1, 2
"""
QUALITY_QUERY = """
SELECT check_name, subject, passed, detail, level
FROM ops.quality_results
WHERE check_run_id = (SELECT check_run_id FROM ops.quality_results ORDER BY checked_at DESC, result_id DESC LIMIT 1)
ORDER BY check_name, subject
"""


@dataclass
class DashboardData:
    generated_at: datetime
    demands: list[tuple[str, str, int, int]] = field(default_factory=list)  # month, firm, uploaded, archived
    verifyplus: list[tuple[str, str, int, int, int, float | None]] = field(default_factory=list)
    # month, firm, billable, closed, closed within target, median days to close
    days_to_close: list[tuple[str, float]] = field(default_factory=list)  # month, median days
    money: list[tuple[str, Decimal, Decimal, int]] = field(default_factory=list)
    # billing month, usage amount, adjustments amount, lines without a price
    closed: set[str] = field(default_factory=set)  # closed (final) billing months
    fresh: freshness.Freshness = field(default_factory=freshness.Freshness)
    loads: dict[str, tuple[int, int]] = field(default_factory=dict)  # source -> loaded, rejected (latest load)
    rejected: list[tuple[str, str, int]] = field(default_factory=list)  # source, reason, count
    units_at_risk: int = 0  # billable units the latest loads could not bill (analytics.units_at_risk)
    quality: list[tuple[str, str, bool, str | None, str]] = field(default_factory=list)  # ..., level
    missing: list[str] = field(default_factory=list)  # relations not in this database
    business_tz: str = ""  # the warehouse's (ref.business_time_zone())

    def months(self) -> list[Month]:
        """The months shown (up to 12, none skipped) with their figures."""
        shown = dashboard_months.window({r[0] for r in self.demands} | {r[0] for r in self.verifyplus}
                                        | {r[0] for r in self.money})
        months = {m: Month(m) for m in shown}
        for month, usage, adjustments, unpriced in self.money:
            if month in months:
                months[month].usage, months[month].adjustments, months[month].unpriced = usage, adjustments, unpriced
        for month, _firm, up, arch in self.demands:
            if month in months:
                months[month].uploaded += up
                months[month].archived += arch
        for month, _firm, billable, *_sla in self.verifyplus:
            if month in months:
                months[month].billable += billable
        return list(months.values())

    def span(self) -> str:
        """The period of the whole-window tiles: ``September 2026 – October 2026 (2 months)``."""
        months = self.months()
        if not months:
            return "no month with data"
        return f"{month_name(months[0].month)} – {month_name(months[-1].month)} ({len(months)} months)"

    def shown(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """``rows`` (month first) of the months shown."""
        months = {m.month for m in self.months()}
        return [r for r in rows if r[0] in months]

    # derived figures over the months shown
    def total(self, metric: str) -> int:
        return sum(getattr(m, metric) for m in self.months())

    @property
    def billable_total(self) -> int:
        return self.total("billable")

    @property
    def share_within_target(self) -> float | None:
        rows = self.shown(self.verifyplus)
        closed = sum(row[3] for row in rows)
        return round(sum(row[4] for row in rows) / closed, 4) if closed else None

    @property
    def rejected_total(self) -> int:
        return sum(row[2] for row in self.rejected)

    def demands_by_firm(self) -> list[tuple[str, int, int]]:
        firms: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for _month, firm, up, arch in self.shown(self.demands):
            firms[firm][0] += up
            firms[firm][1] += arch
        return sorted(((f, v[0], v[1]) for f, v in firms.items()), key=lambda r: (-r[1], -r[2], r[0]))


def _readable(cur: Any, name: str, data: DashboardData) -> bool:
    """Whether relation ``name`` exists and (a materialized view) has been refreshed at least once."""
    cur.execute("SELECT c.relispopulated FROM pg_class c WHERE c.oid = to_regclass(%s)", (name,))
    row = cur.fetchone()
    if row is None:
        data.missing.append(f"{name} (not created)")
        return False
    if not row[0]:
        data.missing.append(f"{name} (never refreshed)")
        return False
    return True


def collect(conn: psycopg2.extensions.connection) -> DashboardData:
    """Read the dashboard's figures in one read-only snapshot of the warehouse."""
    data = DashboardData(generated_at=datetime.now(UTC))
    with conn.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        if _readable(cur, "analytics.demands_summary", data):
            cur.execute(DEMANDS_QUERY)
            data.demands = [(m, f, int(u), int(a)) for m, f, u, a in cur.fetchall()]
        if _readable(cur, "analytics.verifyplus_monthly", data):
            cur.execute(VERIFYPLUS_QUERY)
            data.verifyplus = [(m, f, int(b), int(c), int(w), float(d) if d is not None else None)
                               for m, f, b, c, w, d in cur.fetchall()]
        if _readable(cur, "curated.verifyplus", data):
            cur.execute(VERIFYPLUS_CLOSE_QUERY)
            data.days_to_close = [(m, float(d)) for m, d in cur.fetchall()]
        if _readable(cur, "analytics.closed_months", data):
            cur.execute("SELECT billing_month FROM analytics.closed_months")
            data.closed = {r[0] for r in cur.fetchall()}
        if _readable(cur, "analytics.invoice_lines", data):
            cur.execute("SAVEPOINT money")
            try:
                cur.execute(MONEY_QUERY)
                data.money = [(m, u, a, int(n)) for m, u, a, n in cur.fetchall()]
            except psycopg2.errors.ObjectNotInPrerequisiteState:  # a view underneath was never refreshed
                cur.execute("ROLLBACK TO SAVEPOINT money")
                data.missing.append("analytics.invoice_lines (a view underneath never refreshed)")
        data.business_tz = freshness.business_time_zone(cur)
        data.fresh = freshness.read_with(cur, data.business_tz)
        cur.execute(LOADS_QUERY)
        data.loads = {s: (int(n or 0), int(r or 0)) for s, n, r in cur.fetchall()}
        cur.execute(REJECTED_QUERY)
        data.rejected = [(s, r, int(n)) for s, r, n in cur.fetchall()]
        if _readable(cur, "analytics.units_at_risk", data):
            cur.execute("SELECT count(*) FROM analytics.units_at_risk")
            data.units_at_risk = int(cur.fetchone()[0])
        cur.execute(QUALITY_QUERY)
        data.quality = [(c, s, bool(p), d, level) for c, s, p, d, level in cur.fetchall()]
    conn.rollback()
    return data


# ------------------------------------------------------------------------------------ rendering

CSS = """
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#0f172a;background:#f8fafc}
body{margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:1.5rem;margin:0 0 4px}h2{font-size:1.1rem;margin:28px 0 8px}
.sub{color:#475569;font-size:.9rem}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin:16px 0}
.kpi{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px}
.kpi-label{color:#475569;font-size:.8rem}.kpi-value{font-size:1.5rem;font-weight:600}
.kpi-value.text{font-size:1rem;padding-top:.4rem}
.kpi-period{color:#0f172a;font-size:.75rem;font-weight:600}.kpi-change{color:#475569;font-size:.75rem}
.panel{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px;margin-bottom:12px}
.grid{stroke:#e2e8f0}.tick{font-size:11px;fill:#475569}
table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{border-bottom:1px solid #e2e8f0;padding:4px 8px;text-align:left}td.num{text-align:right}
.ok{color:#059669}.bad{color:#dc2626;font-weight:600}.warn{color:#b45309}
details summary{cursor:pointer;color:#2563eb}
"""


def render(data: DashboardData) -> str:
    """The dashboard page: header, headline tiles, the demand and the Verify+ sections, the health panel."""
    months = data.months()
    out = [*_header(data), *_headline(data, months)]
    out.extend(dashboard_months.render(months, data.closed))
    out.extend(_demand_sections(data, months))
    out.extend(_verifyplus_sections(data, months))
    out.extend(_health(data))
    out.append("</body></html>")
    return "\n".join(out)


def _header(data: DashboardData) -> list[str]:
    out = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        "<title>ITC — KPI dashboard</title>", f"<style>{CSS}</style></head><body>",
        "<h1>ITC — KPI dashboard</h1>",
        f'<div class="sub">Invoice Transactions Collector · data as of <span id="data-as-of" '
        f'data-value="{esc(data.fresh.as_of_text())}">{esc(fmt_time(data.fresh.data_as_of))}</span> (the latest '
        f"snapshot extracted from the sources) · views refreshed {esc(fmt_time(data.fresh.refreshed_at))} · "
        f'generated <span id="generated-at">{fmt_time(data.generated_at)}</span> · months are billing months: '
        f"calendar months in the business time zone ({esc(data.business_tz)})</div>",
    ]
    if data.fresh.views_behind:
        out.append('<div class="panel warn" id="views-behind">A load finished after the last refresh: the figures '
                   "below do not show it yet.</div>")
    return out


def _headline(data: DashboardData, months: list[Month]) -> list[str]:
    """The headline tiles: the latest month's, then the totals of the span, rejects, units at risk, freshness."""
    span, within = data.span(), data.share_within_target
    out = ['<section class="kpis" id="headline">', *_month_tiles(months, data.closed)]
    out += [
        kpi("demands-uploaded-total", "Demands uploaded", data.total("uploaded"), fmt_int(data.total("uploaded")),
            period=span),
        kpi("demands-archived-total", "Demands archived", data.total("archived"), fmt_int(data.total("archived")),
            period=span),
        kpi("verifyplus-billable-total", "Verify+ billable requests", data.total("billable"),
            fmt_int(data.total("billable")), period=span),
        kpi("verifyplus-within-target", "Verify+ closed within SLA target", "" if within is None else within,
            "–" if within is None else f"{within:.1%}", period=span),
        kpi("firms-total", "Sending firms (demands)", len(data.demands_by_firm()), period=span),
        kpi("rejected-total", "Rejected records", data.rejected_total, fmt_int(data.rejected_total),
            period="the latest load of each source"),
        kpi("units-at-risk", "Units at risk (not billed)", data.units_at_risk, fmt_int(data.units_at_risk),
            period="analytics.units_at_risk"),
        kpi("data-as-of", "Data as of", data.fresh.as_of_text(), fmt_time(data.fresh.data_as_of),
            period="the latest snapshot extracted", text=True),
        kpi("last-refresh", "Last refresh", data.fresh.refreshed_at.isoformat() if data.fresh.refreshed_at else
            "never", fmt_time(data.fresh.refreshed_at), period="the analytics views", text=True),
        "</section>",
    ]
    if data.missing:
        out.append('<div class="panel bad" id="missing">Not in this warehouse yet: '
                   + ", ".join(esc(m) for m in data.missing) + "</div>")
    return out


def _demand_sections(data: DashboardData, months: list[Month]) -> list[str]:
    """Demands per month and per firm (charts), and per month and firm (table)."""
    span, by_firm = data.span(), data.demands_by_firm()
    out = [f"<h2>Demands per month ({esc(span)})</h2>"]
    out.append('<div class="panel">' + grouped_bar_chart(
        "chart-demands-month", "Demands uploaded and archived per month", [m.month for m in months],
        {"uploaded": [m.uploaded for m in months], "archived": [m.archived for m in months]},
        label_attr="data-month") + "</div>")
    top = by_firm[:TOP_FIRMS]
    out.append(f"<h2>Demands per firm (top {len(top)} of {len(by_firm)}, {esc(span)})</h2>")
    out.append('<div class="panel">' + horizontal_bar_chart(
        "chart-demands-firm", "Demands uploaded and archived per firm", [f for f, _u, _a in top],
        {"uploaded": [u for _f, u, _a in top], "archived": [a for _f, _u, a in top]},
        label_attr="data-firm") + "</div>")

    out.append('<details class="panel"><summary>Demands per month and firm (table)</summary>'
               '<table id="table-demands"><thead><tr><th>Month</th><th>Sending firm</th>'
               "<th>Uploaded</th><th>Archived</th></tr></thead><tbody>")
    for month, firm, up, arch in data.shown(data.demands):
        out.append(f"<tr>{cell(month)}{cell(firm)}"
                   f"{cell(up, fmt_int(up), metric='uploaded', month=month, firm=firm)}"
                   f"{cell(arch, fmt_int(arch), metric='archived', month=month, firm=firm)}</tr>")
    out.append("</tbody></table></details>")
    return out


def _verifyplus_sections(data: DashboardData, months: list[Month]) -> list[str]:
    """Verify+ billable requests and time to close per month (charts), and per month and firm (table)."""
    span = data.span()
    out = [f"<h2>Verify+ billable requests per month ({esc(span)})</h2>"]
    out.append('<div class="panel">' + grouped_bar_chart(
        "chart-verifyplus-month", "Verify+ billable requests per month", [m.month for m in months],
        {"billable": [m.billable for m in months]}, label_attr="data-month") + "</div>")
    out.append("<h2>Verify+ time to close (median days from request to close, billable requests, "
               f"{esc(span)})</h2>")
    out.append('<div class="panel">' + line_chart(
        "chart-verifyplus-close", "Median days to close per month", data.shown(data.days_to_close),
        metric="median-days-to-close") + "</div>")
    out.append('<details class="panel"><summary>Verify+ per month and firm (table)</summary>'
               '<table id="table-verifyplus"><thead><tr><th>Month</th><th>Firm</th><th>Billable requests</th>'
               "<th>Closed</th><th>Within target</th><th>Median days to close</th></tr></thead><tbody>")
    for month, firm, billable, closed, within_n, median in data.shown(data.verifyplus):
        out.append(f"<tr>{cell(month)}{cell(firm)}"
                   f"{cell(billable, fmt_int(billable), metric='billable', month=month, firm=firm)}"
                   f"{cell(closed, fmt_int(closed), metric='closed', month=month, firm=firm)}"
                   f"{cell(within_n, fmt_int(within_n), metric='closed-within-target', month=month, firm=firm)}"
                   + cell("" if median is None else median, "–" if median is None else f"{median:g}",
                          metric="median-days-to-close", month=month, firm=firm) + "</tr>")
    out.append("</tbody></table></details>")
    return out


def _month_tiles(months: list[Month], closed: set[str]) -> list[str]:
    """The latest month's tiles, each labelled with the month and its status, with the change from the month
    before."""
    if not months:
        return []
    last, before = months[-1], (months[-2] if len(months) > 1 else None)
    label = period(last.month, closed)
    prior = month_name(before.month) if before else "previous month"

    def change(metric: str) -> str:
        return fmt_change(getattr(last, metric), getattr(before, metric) if before else None, prior)

    return [
        kpi("invoice-total-month", "Invoice total", last.total, fmt_money(last.total), period=label,
            change=change("total")),
        kpi("invoice-usage-month", "Usage billed", last.usage, fmt_money(last.usage), period=label),
        kpi("invoice-adjustments-month", "Adjustments billed", last.adjustments, fmt_money(last.adjustments),
            period=label),
        kpi("demands-uploaded-month", "Demands uploaded", last.uploaded, fmt_int(last.uploaded), period=label,
            change=change("uploaded")),
        kpi("demands-archived-month", "Demands archived", last.archived, fmt_int(last.archived), period=label,
            change=change("archived")),
        kpi("verifyplus-billable-month", "Verify+ billable requests", last.billable, fmt_int(last.billable),
            period=label, change=change("billable")),
    ]


def _health(data: DashboardData) -> list[str]:
    """Data health: each source's freshness, each view's last refresh, rejects in words, the quality run."""
    now = data.generated_at
    failed_checks = [q for q in data.quality if not q[2] and q[4] != "warning"]
    warned_checks = [q for q in data.quality if not q[2] and q[4] == "warning"]
    out = ["<h2>Data health</h2>",
           '<div class="panel"><table id="table-freshness"><thead><tr><th>Source</th><th>Status</th>'
           "<th>Extracted at (data as of)</th><th>Complete through</th><th>Last load</th><th>Age</th>"
           "<th>Failed since</th><th>Loaded</th><th>Rejected</th></tr></thead><tbody>"]
    fresh = {s.source: s for s in data.fresh.sources}
    for source in sorted(set(SOURCES) | set(fresh)):
        f = fresh.get(source) or freshness.SourceFreshness(source, None, None, None, "never loaded")
        loaded, rejected = data.loads.get(source, (0, 0))
        through = f.complete_through.isoformat() if f.complete_through else "–"
        extracted = f.extracted_at.isoformat() if f.extracted_at else ""
        last_load = f.last_load_at.isoformat() if f.last_load_at else ""
        out.append(
            f"<tr>{cell(source)}{cell(f.status or '–')}"
            f"{cell(extracted, fmt_time(f.extracted_at), metric='extracted-at', source=source)}"
            f"{cell(through, metric='complete-through', source=source)}"
            f"{cell(last_load, fmt_time(f.last_load_at), metric='last-load', source=source)}"
            f"{cell(fmt_age(f.last_load_at, now))}{cell(f.failed_loads_since, metric='failed-since', source=source)}"
            f"{cell(loaded, fmt_int(loaded), metric='loaded', source=source)}"
            f"{cell(rejected, fmt_int(rejected), metric='rejected', source=source)}</tr>")
    out.append("</tbody></table></div>")
    out.append('<div class="panel"><table id="table-refreshes"><thead><tr><th>View</th><th>Status</th>'
               "<th>Last refresh</th></tr></thead><tbody>")
    for r in data.fresh.relations:
        at = r.refreshed_at
        out.append(f"<tr>{cell(r.name)}{cell(r.status)}"
                   f"{cell(at.isoformat() if at else '', fmt_time(at), metric='refreshed-at', view=r.name)}</tr>")
    if not data.fresh.relations:
        out.append(f'<tr><td colspan="3">last refresh: {esc(fmt_time(data.fresh.refreshed_at))}</td></tr>')
    out.append("</tbody></table></div>")
    out.append('<div class="panel"><table id="table-rejected"><thead><tr><th>Source</th><th>Why rejected</th>'
               "<th>Records</th></tr></thead><tbody>")
    for source, reason, n in data.rejected:
        out.append(f'<tr>{cell(source)}<td data-reason="{esc(reason)}" title="reason code: {esc(reason)}">'
                   f"{esc(reason_in_words(reason))}</td>"
                   f"{cell(n, fmt_int(n), metric='rejected-by-reason', source=source, reason=reason)}</tr>")
    if not data.rejected:
        out.append('<tr><td colspan="3">no rejected records</td></tr>')
    out.append("</tbody></table></div>")
    status = ("no quality run yet" if not data.quality else
              f"{len(data.quality) - len(failed_checks)} of {len(data.quality)} checks passed"
              + (f", {len(warned_checks)} warning(s)" if warned_checks else ""))
    css = "ok" if data.quality and not failed_checks else "bad"
    out.append(f'<div class="panel"><div class="{css}" id="quality-status" data-failed="{len(failed_checks)}" '
               f'data-warnings="{len(warned_checks)}" data-checks="{len(data.quality)}">Quality: {esc(status)}</div>')
    if failed_checks or warned_checks:
        out.append("<ul>" + "".join(f'<li class="{"bad" if q in failed_checks else "warn"}">'
                                    f"{'' if q in failed_checks else 'warning: '}{esc(q[0])} {esc(q[1])}: "
                                    f"{esc(q[3] or '')}</li>" for q in failed_checks + warned_checks) + "</ul>")
    out.append("</div>")
    return out


def write(conn: psycopg2.extensions.connection, path: Path, **kwargs: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(collect(conn, **kwargs)), encoding="utf-8")
    return path
