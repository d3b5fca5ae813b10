"""The dashboard's months: which months it shows (up to 12, none skipped), each labelled with its period
and invoice status, the money per month (usage and adjustments apart), and month-over-month change.

:func:`window` picks the months, :class:`Month` holds a month's figures, :func:`render` writes the
"Money and months" section (a chart and a table). A month with no rows counts as zero, so a change
is always from the calendar month before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from scripts.itc.charts import cell, esc, fmt_int, grouped_bar_chart

MONTHS_SHOWN = 12


def month_name(month: str) -> str:
    """``2026-10`` -> ``October 2026``."""
    return date.fromisoformat(month + "-01").strftime("%B %Y")


def period(month: str, closed: set[str]) -> str:
    """The label of a tile or row covering ``month``: ``October 2026 (draft)`` or ``(final)`` once closed."""
    return f"{month_name(month)} ({'final' if month in closed else 'draft'})"


def window(months: set[str], n: int = MONTHS_SHOWN) -> list[str]:
    """The last ``n`` calendar months up to the latest month with data, from the first with data at most:
    every month in between, with data or not."""
    if not months:
        return []
    shown = [max(months)]
    while len(shown) < n and shown[-1] > min(months):
        year, mon = int(shown[-1][:4]), int(shown[-1][5:7])
        shown.append(f"{year - (mon == 1)}-{(mon - 2) % 12 + 1:02d}")
    return shown[::-1]


def change(now: float | Decimal, before: float | Decimal | None) -> float | None:
    """Month-over-month change as a share (0.25 = +25%); None when there is no month before or it was zero."""
    if before is None or not before:
        return None
    return float((Decimal(str(now)) - Decimal(str(before))) / abs(Decimal(str(before))))


def fmt_change(now: float | Decimal, before: float | Decimal | None, what: str) -> str:
    """``+21.7% vs September 2026``; says why when there is no change figure."""
    if before is None:
        return "the first month shown"
    share = change(now, before)
    return f"{what}: 0" if share is None else f"{share:+.1%} vs {what}"


def fmt_money(amount: Decimal | None) -> str:
    if amount is None:
        return "unpriced"
    return f"-${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"


@dataclass
class Month:
    """One month's figures, zero when the warehouse has no row of it."""

    month: str
    usage: Decimal = Decimal("0")        # invoice lines of type usage, billing month = this month
    adjustments: Decimal = Decimal("0")  # adjustment and price_adjustment lines billed this month
    unpriced: int = 0                    # lines with no price in force (the total leaves them out)
    uploaded: int = 0
    archived: int = 0
    billable: int = 0                    # Verify+ billable requests

    @property
    def total(self) -> Decimal:
        return self.usage + self.adjustments


def render(months: list[Month], closed: set[str]) -> list[str]:
    """The "Money and months" section: invoice amounts per month (usage and adjustments apart), then a table
    of every month shown with its status, money, counts and change from the month before."""
    if not months:
        return ["<h2>Money and months</h2>", '<div class="panel">no month has data yet</div>']
    span = f"{month_name(months[0].month)} – {month_name(months[-1].month)}"
    out = [f"<h2>Invoice amounts per billing month ({esc(span)}, {len(months)} month(s))</h2>",
           '<div class="panel">' + grouped_bar_chart(
               "chart-invoice-month", "Invoice amounts per billing month: usage and adjustments (USD)",
               [m.month for m in months],
               {"usage": [float(m.usage) for m in months], "adjustments": [float(m.adjustments) for m in months]},
               label_attr="data-month") + "</div>",
           '<div class="panel"><table id="table-months"><thead><tr><th>Month</th><th>Usage</th><th>Adjustments</th>'
           "<th>Invoice total</th><th>Change</th><th>Demands uploaded</th><th>Change</th><th>Demands archived</th>"
           "<th>Verify+ billable</th><th>Change</th></tr></thead><tbody>"]
    previous: Month | None = None
    for m in months:
        label = period(m.month, closed)
        total_change = change(m.total, previous.total if previous else None)
        up_change = change(m.uploaded, previous.uploaded if previous else None)
        vp_change = change(m.billable, previous.billable if previous else None)
        out.append(
            f'<tr data-month="{esc(m.month)}">{cell(label, month=m.month, status=label.rsplit("(", 1)[1][:-1])}'
            f"{cell(m.usage, fmt_money(m.usage), metric='invoice-usage', month=m.month)}"
            f"{cell(m.adjustments, fmt_money(m.adjustments), metric='invoice-adjustments', month=m.month)}"
            + cell(m.total, fmt_money(m.total) + (" + unpriced" if m.unpriced else ""), metric="invoice-total",
                   month=m.month) +
            f"{_change_cell(total_change, 'invoice-total', m.month)}"
            f"{cell(m.uploaded, fmt_int(m.uploaded), metric='month-uploaded', month=m.month)}"
            f"{_change_cell(up_change, 'month-uploaded', m.month)}"
            f"{cell(m.archived, fmt_int(m.archived), metric='month-archived', month=m.month)}"
            f"{cell(m.billable, fmt_int(m.billable), metric='month-billable', month=m.month)}"
            f"{_change_cell(vp_change, 'month-billable', m.month)}</tr>")
        previous = m
    out.append("</tbody></table>"
               '<div class="sub">A month is final once closed (analytics.closed_months); a draft month can still '
               "change with the next load. Adjustments to closed months are billed on the next invoice to close. "
               "Change: from the calendar month before (a month with no rows counts as zero).</div></div>")
    return out


def _change_cell(share: float | None, metric: str, month: str) -> str:
    shown = "–" if share is None else f"{share:+.1%}"
    return cell("" if share is None else round(share, 4), shown, metric=f"{metric}-change", month=month)
