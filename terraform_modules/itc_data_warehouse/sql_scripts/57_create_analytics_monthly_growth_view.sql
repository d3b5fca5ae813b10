-- The analysts' metric layer (docs/analysts.md): the figures analysts ask for, defined ONCE in SQL,
-- one object per file, so no two dashboards compute "revenue", "the SLA" or "growth" differently.
-- Plain views, live over the materialized views the refresh rebuilds, owned by itc_migrator and
-- readable through analytics_read_only. No PHI: counts, durations, amounts and firm names only.
-- Every month is a billing month: a calendar month in the business time zone (ref.billing_month /
-- ref.month_start), never the session's TimeZone.
--
-- This file: analytics.monthly_growth, month-over-month change, missing months counted as zero.

-- Company-wide monthly totals on the calendar (a month without rows is 0, so growth is measured
-- across it), each against the previous calendar month. revenue is the invoiced total per billing
-- month (analytics.revenue_by_billing_month), one series per currency.
CREATE VIEW analytics.monthly_growth AS
WITH series AS (
    SELECT m.billing_month, 'demands_uploaded'::text AS metric, NULL::char(3) AS currency,
           coalesce(sum(s.uploaded_count), 0)::numeric AS value
    FROM analytics.months AS m
    LEFT JOIN analytics.demands_summary AS s ON s.billing_month = m.billing_month
    GROUP BY m.billing_month
    UNION ALL
    SELECT m.billing_month, 'demands_archived', NULL, coalesce(sum(s.archived_count), 0)
    FROM analytics.months AS m
    LEFT JOIN analytics.demands_summary AS s ON s.billing_month = m.billing_month
    GROUP BY m.billing_month
    UNION ALL
    SELECT m.billing_month, 'verifyplus_billable', NULL, coalesce(sum(v.billable_requests), 0)
    FROM analytics.months AS m
    LEFT JOIN analytics.verifyplus_monthly AS v ON v.billing_month = m.billing_month
    GROUP BY m.billing_month
    UNION ALL
    SELECT r.billing_month, 'revenue', r.currency, r.total_amount
    FROM analytics.revenue_by_billing_month AS r
),
with_previous AS (
    SELECT s.*, lag(s.value) OVER (PARTITION BY s.metric, s.currency ORDER BY s.billing_month) AS previous_value
    FROM series AS s
)
SELECT w.billing_month, w.metric, w.currency, w.value, w.previous_value,
       w.value - w.previous_value                                         AS change,
       round(100 * (w.value - w.previous_value) / nullif(w.previous_value, 0), 1) AS change_pct
FROM with_previous AS w;

COMMENT ON VIEW analytics.monthly_growth IS 'Month-over-month growth, company-wide. Grain: one row per billing month (analytics.months) and metric (and currency, for revenue). Months with no activity count as 0, so the change is always against the previous calendar month. No PHI.';
COMMENT ON COLUMN analytics.monthly_growth.billing_month IS 'Billing month, YYYY-MM (business time zone). Not PHI.';
COMMENT ON COLUMN analytics.monthly_growth.metric IS 'demands_uploaded (analytics.demands_summary), demands_archived (idem), verifyplus_billable (analytics.verifyplus_monthly billable_requests) or revenue (analytics.revenue_by_billing_month total_amount: what the month''s invoice bills). Not PHI.';
COMMENT ON COLUMN analytics.monthly_growth.currency IS 'Currency of a revenue row; null for the counts. Not PHI.';
COMMENT ON COLUMN analytics.monthly_growth.value IS 'The month''s value (0 when nothing happened). Not PHI.';
COMMENT ON COLUMN analytics.monthly_growth.previous_value IS 'The previous calendar month''s value; null for the first month of the calendar. Not PHI.';
COMMENT ON COLUMN analytics.monthly_growth.change IS 'value - previous_value. Not PHI.';
COMMENT ON COLUMN analytics.monthly_growth.change_pct IS 'Change in percent of previous_value (1 decimal); null when previous_value is 0 or null. Not PHI.';
