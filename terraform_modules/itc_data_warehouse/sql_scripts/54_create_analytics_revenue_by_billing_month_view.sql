-- The analysts' metric layer (docs/analysts.md): the figures analysts ask for, defined ONCE in SQL,
-- one object per file, so no two dashboards compute "revenue", "the SLA" or "growth" differently.
-- Plain views, live over the materialized views the refresh rebuilds, owned by itc_migrator and
-- readable through analytics_read_only. No PHI: counts, durations, amounts and firm names only.
-- Every month is a billing month: a calendar month in the business time zone (ref.billing_month /
-- ref.month_start), never the session's TimeZone.
--
-- This file: analytics.revenue_by_billing_month, what each invoice bills (usage, adjustments apart).

-- From analytics.invoice_lines only (draft and final alike; status tells which). Currencies: those
-- of the price list and of the lines ('USD' when there are none), so a month without lines shows 0.
CREATE VIEW analytics.revenue_by_billing_month AS
WITH currencies AS (
    SELECT p.currency::char(3) AS currency FROM ref.price_list AS p
    UNION
    SELECT l.currency FROM analytics.invoice_lines AS l
    UNION
    SELECT 'USD'::char(3) WHERE NOT EXISTS (SELECT 1 FROM ref.price_list)
),
lines AS (
    SELECT l.billing_month, l.currency,
           sum(l.amount) FILTER (WHERE l.line_type = 'usage')            AS usage_amount,
           sum(l.amount) FILTER (WHERE l.line_type = 'adjustment')       AS adjustment_amount,
           sum(l.amount) FILTER (WHERE l.line_type = 'price_adjustment') AS price_adjustment_amount,
           sum(l.amount)                                                 AS total_amount,
           count(*)                                                      AS line_count,
           count(*) FILTER (WHERE l.amount IS NULL)                      AS unpriced_lines
    FROM analytics.invoice_lines AS l
    GROUP BY l.billing_month, l.currency
)
SELECT m.billing_month,
       c.currency,
       coalesce(l.usage_amount, 0)::numeric(14,2)            AS usage_amount,
       coalesce(l.adjustment_amount, 0)::numeric(14,2)       AS adjustment_amount,
       coalesce(l.price_adjustment_amount, 0)::numeric(14,2) AS price_adjustment_amount,
       coalesce(l.total_amount, 0)::numeric(14,2)            AS total_amount,
       coalesce(l.line_count, 0)                             AS line_count,
       coalesce(l.unpriced_lines, 0)                         AS unpriced_lines,
       m.invoice_status
FROM analytics.months AS m
CROSS JOIN currencies AS c
LEFT JOIN lines AS l ON l.billing_month = m.billing_month AND l.currency = c.currency;

COMMENT ON VIEW analytics.revenue_by_billing_month IS 'What each monthly invoice bills. Grain: one row per billing month (analytics.months) and currency; months without lines show 0. = the sum of analytics.invoice_lines.amount of that billing month: usage of the month, plus adjustments to earlier closed months billed on it, shown apart. No PHI.';
COMMENT ON COLUMN analytics.revenue_by_billing_month.billing_month IS 'Invoice month, YYYY-MM (business time zone). Not PHI.';
COMMENT ON COLUMN analytics.revenue_by_billing_month.currency IS 'ISO 4217 currency of the amounts. Not PHI.';
COMMENT ON COLUMN analytics.revenue_by_billing_month.usage_amount IS 'Sum of the invoice''s usage lines: the month''s own usage. Not PHI.';
COMMENT ON COLUMN analytics.revenue_by_billing_month.adjustment_amount IS 'Sum of its adjustment lines: units added to or removed from earlier closed months after their close. Not PHI.';
COMMENT ON COLUMN analytics.revenue_by_billing_month.price_adjustment_amount IS 'Sum of its price_adjustment lines: units of earlier closed months re-priced. Not PHI.';
COMMENT ON COLUMN analytics.revenue_by_billing_month.total_amount IS 'usage_amount + adjustment_amount + price_adjustment_amount: the invoice total. Not PHI.';
COMMENT ON COLUMN analytics.revenue_by_billing_month.line_count IS 'Invoice lines of the month. Not PHI.';
COMMENT ON COLUMN analytics.revenue_by_billing_month.unpriced_lines IS 'Lines with no price in force (no amount, not in the totals); > 0 means the totals are short and the month cannot be closed. Not PHI.';
COMMENT ON COLUMN analytics.revenue_by_billing_month.invoice_status IS 'final (the month is closed) or draft (open: the figures follow the data). Not PHI.';
