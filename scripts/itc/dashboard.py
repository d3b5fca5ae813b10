"""The KPI dashboard page: one static HTML file, charts as inline SVG, no network needed to view it.

:func:`collect` reads the figures from the warehouse (analytics and ops only: no PHI is read),
:func:`render` turns them into HTML (pure), :func:`write` does both into ``reports/dashboard.html``.

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

import psycopg2.extensions

from scripts.itc.charts import esc, grouped_bar_chart, horizontal_bar_chart, line_chart

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
FRESHNESS_QUERY = """
SELECT s.source, l.finished_at, l.extracted_at, l.run_id, l.records, l.loaded, l.rejected
FROM (VALUES ('demand'), ('verifyplus')) AS s (source)
LEFT JOIN ops.latest_loads l ON l.source = s.source
ORDER BY s.source
"""
REFRESH_QUERY = """
SELECT view_name, max(refreshed_at) FROM ops.view_refreshes GROUP BY view_name ORDER BY view_name
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
    freshness: list[tuple[str, datetime | None, datetime | None, int, int]] = field(default_factory=list)
    refreshes: list[tuple[str, datetime]] = field(default_factory=list)
    rejected: list[tuple[str, str, int]] = field(default_factory=list)  # source, reason, count
    quality: list[tuple[str, str, bool, str | None, str]] = field(default_factory=list)  # ..., level
    missing: list[str] = field(default_factory=list)  # relations not in this database

    # derived figures, the ones shown as headline KPIs
    def total(self, metric: str) -> int:
        index = {"uploaded": 2, "archived": 3}[metric]
        return sum(row[index] for row in self.demands)

    @property
    def billable_total(self) -> int:
        return sum(row[2] for row in self.verifyplus)

    @property
    def share_within_target(self) -> float | None:
        closed = sum(row[3] for row in self.verifyplus)
        return round(sum(row[4] for row in self.verifyplus) / closed, 4) if closed else None

    @property
    def rejected_total(self) -> int:
        return sum(row[2] for row in self.rejected)

    @property
    def last_refresh(self) -> datetime | None:
        return max((r[1] for r in self.refreshes), default=None)

    def demands_by_month(self) -> list[tuple[str, int, int]]:
        months: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for month, _firm, up, arch in self.demands:
            months[month][0] += up
            months[month][1] += arch
        return [(m, v[0], v[1]) for m, v in sorted(months.items())]

    def demands_by_firm(self) -> list[tuple[str, int, int]]:
        firms: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for _month, firm, up, arch in self.demands:
            firms[firm][0] += up
            firms[firm][1] += arch
        return sorted(((f, v[0], v[1]) for f, v in firms.items()), key=lambda r: (-r[1], -r[2], r[0]))

    def verifyplus_by_month(self) -> list[tuple[str, int]]:
        months: dict[str, int] = defaultdict(int)
        for month, _firm, billable, *_sla in self.verifyplus:
            months[month] += billable
        return sorted(months.items())


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
        cur.execute(FRESHNESS_QUERY)
        data.freshness = [(s, fin, ext, int(loaded or 0), int(rej or 0))
                          for s, fin, ext, _run, _rec, loaded, rej in cur.fetchall()]
        cur.execute(REFRESH_QUERY)
        data.refreshes = list(cur.fetchall())
        cur.execute(REJECTED_QUERY)
        data.rejected = [(s, r, int(n)) for s, r, n in cur.fetchall()]
        cur.execute(QUALITY_QUERY)
        data.quality = [(c, s, bool(p), d, level) for c, s, p, d, level in cur.fetchall()]
    conn.rollback()
    return data


# ------------------------------------------------------------------------------------ rendering



def fmt_int(value: int) -> str:
    return f"{value:,}"


def fmt_time(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def fmt_age(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "no load yet"
    minutes = int((now - value).total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // 1440} days ago"


def kpi(name: str, label: str, value: Any, shown: str | None = None, *, text: bool = False) -> str:
    return (f'<div class="kpi"><div class="kpi-label">{esc(label)}</div>'
            f'<div class="kpi-value{" text" if text else ""}" data-kpi="{esc(name)}" data-value="{esc(value)}">'
            f"{esc(shown or value)}</div></div>")


def cell(value: Any, shown: str | None = None, **attrs: str) -> str:
    extra = "".join(f' data-{k.replace("_", "-")}="{esc(v)}"' for k, v in attrs.items())
    numeric = isinstance(value, int | float | Decimal)
    return f'<td{extra} data-value="{esc(value)}"{" class=num" if numeric else ""}>{esc(shown or value)}</td>'


CSS = """
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#0f172a;background:#f8fafc}
body{margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:1.5rem;margin:0 0 4px}h2{font-size:1.1rem;margin:28px 0 8px}
.sub{color:#475569;font-size:.9rem}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin:16px 0}
.kpi{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px}
.kpi-label{color:#475569;font-size:.8rem}.kpi-value{font-size:1.5rem;font-weight:600}
.kpi-value.text{font-size:1rem;padding-top:.4rem}
.panel{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px;margin-bottom:12px}
.grid{stroke:#e2e8f0}.tick{font-size:11px;fill:#475569}
table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{border-bottom:1px solid #e2e8f0;padding:4px 8px;text-align:left}td.num{text-align:right}
.ok{color:#059669}.bad{color:#dc2626;font-weight:600}.warn{color:#b45309}
details summary{cursor:pointer;color:#2563eb}
"""


def render(data: DashboardData) -> str:
    now = data.generated_at
    by_month = data.demands_by_month()
    by_firm = data.demands_by_firm()
    vp_month = data.verifyplus_by_month()
    failed_checks = [q for q in data.quality if not q[2] and q[4] != "warning"]
    warned_checks = [q for q in data.quality if not q[2] and q[4] == "warning"]
    out: list[str] = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        "<title>ITC — KPI dashboard</title>", f"<style>{CSS}</style></head><body>",
        "<h1>ITC — KPI dashboard</h1>",
        f'<div class="sub">Invoice Transactions Collector · generated <span id="generated-at">{fmt_time(now)}</span>'
        " · months are calendar months in the business time zone</div>",
        '<section class="kpis" id="headline">',
        kpi("demands-uploaded-total", "Demands uploaded", data.total("uploaded"), fmt_int(data.total("uploaded"))),
        kpi("demands-archived-total", "Demands archived", data.total("archived"), fmt_int(data.total("archived"))),
        kpi("verifyplus-billable-total", "Verify+ billable requests", data.billable_total,
            fmt_int(data.billable_total)),
        kpi("verifyplus-within-target", "Verify+ closed within SLA target",
            "" if data.share_within_target is None else data.share_within_target,
            "–" if data.share_within_target is None else f"{data.share_within_target:.1%}"),
        kpi("firms-total", "Sending firms", len(by_firm)),
        kpi("rejected-total", "Rejected records (latest loads)", data.rejected_total, fmt_int(data.rejected_total)),
        kpi("last-refresh", "Last refresh", data.last_refresh.isoformat() if data.last_refresh else "never",
            fmt_time(data.last_refresh), text=True),
        "</section>",
    ]
    if data.missing:
        out.append('<div class="panel bad" id="missing">Not in this warehouse yet: '
                   + ", ".join(esc(m) for m in data.missing) + "</div>")

    out.append("<h2>Demands per month</h2>")
    out.append('<div class="panel">' + grouped_bar_chart(
        "chart-demands-month", "Demands uploaded and archived per month",
        [m for m, _u, _a in by_month],
        {"uploaded": [u for _m, u, _a in by_month], "archived": [a for _m, _u, a in by_month]},
        label_attr="data-month") + "</div>")
    top = by_firm[:TOP_FIRMS]
    out.append(f"<h2>Demands per firm (top {len(top)} of {len(by_firm)}, all months)</h2>")
    out.append('<div class="panel">' + horizontal_bar_chart(
        "chart-demands-firm", "Demands uploaded and archived per firm", [f for f, _u, _a in top],
        {"uploaded": [u for _f, u, _a in top], "archived": [a for _f, _u, a in top]},
        label_attr="data-firm") + "</div>")

    out.append('<details class="panel"><summary>Demands per month and firm (table)</summary>'
               '<table id="table-demands"><thead><tr><th>Month</th><th>Sending firm</th>'
               "<th>Uploaded</th><th>Archived</th></tr></thead><tbody>")
    for month, firm, up, arch in data.demands:
        out.append(f"<tr>{cell(month)}{cell(firm)}"
                   f"{cell(up, fmt_int(up), metric='uploaded', month=month, firm=firm)}"
                   f"{cell(arch, fmt_int(arch), metric='archived', month=month, firm=firm)}</tr>")
    out.append("</tbody></table></details>")

    out.append("<h2>Verify+ billable requests per month</h2>")
    out.append('<div class="panel">' + grouped_bar_chart(
        "chart-verifyplus-month", "Verify+ billable requests per month", [m for m, _b in vp_month],
        {"billable": [b for _m, b in vp_month]}, label_attr="data-month") + "</div>")
    out.append("<h2>Verify+ time to close (median days from request to close, billable requests)</h2>")
    out.append('<div class="panel">' + line_chart(
        "chart-verifyplus-close", "Median days to close per month", data.days_to_close,
        metric="median-days-to-close") + "</div>")
    out.append('<details class="panel"><summary>Verify+ per month and firm (table)</summary>'
               '<table id="table-verifyplus"><thead><tr><th>Month</th><th>Firm</th><th>Billable requests</th>'
               "<th>Closed</th><th>Within target</th><th>Median days to close</th></tr></thead><tbody>")
    for month, firm, billable, closed, within, median in data.verifyplus:
        out.append(f"<tr>{cell(month)}{cell(firm)}"
                   f"{cell(billable, fmt_int(billable), metric='billable', month=month, firm=firm)}"
                   f"{cell(closed, fmt_int(closed), metric='closed', month=month, firm=firm)}"
                   f"{cell(within, fmt_int(within), metric='closed-within-target', month=month, firm=firm)}"
                   + cell("" if median is None else median, "–" if median is None else f"{median:g}",
                          metric="median-days-to-close", month=month, firm=firm) + "</tr>")
    out.append("</tbody></table></details>")

    out.append("<h2>Data health</h2>")
    out.append('<div class="panel"><table id="table-freshness"><thead><tr><th>Source</th><th>Last load</th>'
               "<th>Age</th><th>Extracted at</th><th>Loaded</th><th>Rejected</th></tr></thead><tbody>")
    for source, finished, extracted, loaded, rejected in data.freshness:
        out.append(
            f"<tr>{cell(source)}"
            f"{cell(finished.isoformat() if finished else '', fmt_time(finished), metric='last-load', source=source)}"
            f"{cell(fmt_age(finished, now))}{cell(fmt_time(extracted))}"
            f"{cell(loaded, fmt_int(loaded), metric='loaded', source=source)}"
            f"{cell(rejected, fmt_int(rejected), metric='rejected', source=source)}</tr>")
    out.append("</tbody></table></div>")
    out.append('<div class="panel"><table id="table-refreshes"><thead><tr><th>View</th><th>Last refresh</th>'
               "</tr></thead><tbody>")
    for view, at in data.refreshes:
        out.append(f"<tr>{cell(view)}{cell(at.isoformat(), fmt_time(at), metric='refreshed-at', view=view)}</tr>")
    if not data.refreshes:
        out.append('<tr><td colspan="2">no refresh recorded yet</td></tr>')
    out.append("</tbody></table></div>")
    out.append('<div class="panel"><table id="table-rejected"><thead><tr><th>Source</th><th>Reason</th>'
               "<th>Records</th></tr></thead><tbody>")
    for source, reason, n in data.rejected:
        out.append(f"<tr>{cell(source)}{cell(reason)}"
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
    out.append("</div></body></html>")
    return "\n".join(out)


def write(conn: psycopg2.extensions.connection, path: Path, **kwargs: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(collect(conn, **kwargs)), encoding="utf-8")
    return path
