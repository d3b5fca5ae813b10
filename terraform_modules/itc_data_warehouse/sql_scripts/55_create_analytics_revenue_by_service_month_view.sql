-- The analysts' metric layer (docs/analysts.md): the figures analysts ask for, defined ONCE in SQL,
-- one object per file, so no two dashboards compute "revenue", "the SLA" or "growth" differently.
-- Plain views, live over the materialized views the refresh rebuilds, owned by itc_migrator and
-- readable through analytics_read_only. No PHI: counts, durations, amounts and firm names only.
-- Every month is a billing month: a calendar month in the business time zone (ref.billing_month /
-- ref.month_start), never the session's TimeZone.
--
-- This file: analytics.revenue_by_service_month, what each month's usage is worth (with later
-- adjustments).

CREATE VIEW analytics.revenue_by_service_month AS
WITH currencies AS (
    SELECT c.currency FROM analytics.revenue_by_billing_month AS c GROUP BY c.currency
),
lines AS (
    SELECT l.service_month, l.currency,
           sum(l.amount) FILTER (WHERE l.line_type = 'usage')    AS usage_amount,
           sum(l.amount) FILTER (WHERE l.line_type <> 'usage')   AS adjustment_amount,
           sum(l.amount)                                         AS total_amount,
           count(*) FILTER (WHERE l.amount IS NULL)              AS unpriced_lines
    FROM analytics.invoice_lines AS l
    GROUP BY l.service_month, l.currency
)
SELECT m.billing_month                                  AS service_month,
       c.currency,
       coalesce(l.usage_amount, 0)::numeric(14,2)       AS usage_amount,
       coalesce(l.adjustment_amount, 0)::numeric(14,2)  AS adjustment_amount,
       coalesce(l.total_amount, 0)::numeric(14,2)       AS total_amount,
       coalesce(l.unpriced_lines, 0)                    AS unpriced_lines
FROM analytics.months AS m
CROSS JOIN currencies AS c
LEFT JOIN lines AS l ON l.service_month = m.billing_month AND l.currency = c.currency;

COMMENT ON VIEW analytics.revenue_by_service_month IS 'What each month''s usage is worth. Grain: one row per service month (analytics.months) and currency; months without usage show 0. = the sum of analytics.invoice_lines.amount whose service_month is the month: its usage lines plus every later adjustment (quantity or price) to it, whichever invoice billed them. No PHI.';
COMMENT ON COLUMN analytics.revenue_by_service_month.service_month IS 'Month the usage happened, YYYY-MM (business time zone). Not PHI.';
COMMENT ON COLUMN analytics.revenue_by_service_month.currency IS 'ISO 4217 currency of the amounts. Not PHI.';
COMMENT ON COLUMN analytics.revenue_by_service_month.usage_amount IS 'Sum of the usage lines of the month (billed on its own invoice). Not PHI.';
COMMENT ON COLUMN analytics.revenue_by_service_month.adjustment_amount IS 'Sum of the adjustment and price_adjustment lines for the month, billed on later invoices. Not PHI.';
COMMENT ON COLUMN analytics.revenue_by_service_month.total_amount IS 'usage_amount + adjustment_amount: the month''s usage at its current value. Not PHI.';
COMMENT ON COLUMN analytics.revenue_by_service_month.unpriced_lines IS 'Lines for the month with no price in force (not in the totals). Not PHI.';
