-- The analysts' metric layer (docs/analysts.md): the figures analysts ask for, defined ONCE in SQL,
-- one object per file, so no two dashboards compute "revenue", "the SLA" or "growth" differently.
-- Plain views, live over the materialized views the refresh rebuilds, owned by itc_migrator and
-- readable through analytics_read_only. No PHI: counts, durations, amounts and firm names only.
-- Every month is a billing month: a calendar month in the business time zone (ref.billing_month /
-- ref.month_start), never the session's TimeZone.
--
-- This file: analytics.verifyplus_sla, Verify+ SLA per month, company-wide and per firm.

-- Over the billable Verify+ requests (the units of analytics.billable_units, so the firm is the one
-- billed), per billing month of their creation: median days to close over those closed, and the
-- share closed within ref.verifyplus_sla_target_days(). The company-wide median is the median of ALL
-- the month's closed requests (GROUPING SETS), never an average of the firms' medians.
CREATE VIEW analytics.verifyplus_sla AS
WITH requests AS (
    SELECT u.service_month AS billing_month,
           analytics.firm_key(u.billing_account_id, u.firm_name) AS firm_key,
           v.days_to_close
    FROM analytics.billable_units AS u
    JOIN curated.verifyplus AS v ON v.request_id::text = u.unit_id
    WHERE u.product = 'verifyplus_request'
),
target AS (SELECT ref.verifyplus_sla_target_days() AS days),
figures AS (
    SELECT r.billing_month, r.firm_key, grouping(r.firm_key) = 1 AS company,
           count(*)                                                       AS billable_requests,
           count(r.days_to_close)                                         AS closed_requests,
           round(percentile_cont(0.5) WITHIN GROUP (ORDER BY r.days_to_close)::numeric, 2) AS median_days_to_close,
           count(*) FILTER (WHERE r.days_to_close <= t.days)              AS closed_within_target
    FROM requests AS r
    CROSS JOIN target AS t
    GROUP BY GROUPING SETS ((r.billing_month), (r.billing_month, r.firm_key))
),
scoped AS (
    SELECT m.billing_month, 'company'::text AS scope, NULL::text AS firm_key,
           coalesce(f.billable_requests, 0) AS billable_requests, coalesce(f.closed_requests, 0) AS closed_requests,
           f.median_days_to_close, coalesce(f.closed_within_target, 0) AS closed_within_target
    FROM analytics.months AS m
    LEFT JOIN figures AS f ON f.billing_month = m.billing_month AND f.company
    UNION ALL
    SELECT f.billing_month, 'firm', f.firm_key, f.billable_requests, f.closed_requests, f.median_days_to_close,
           f.closed_within_target
    FROM figures AS f
    WHERE NOT f.company
)
SELECT s.billing_month, s.scope, s.firm_key, fm.firm_name, s.billable_requests, s.closed_requests,
       s.median_days_to_close, s.closed_within_target, t.days AS sla_target_days,
       round(s.closed_within_target::numeric / nullif(s.closed_requests, 0), 4) AS share_closed_within_target
FROM scoped AS s
CROSS JOIN target AS t
LEFT JOIN analytics.firms AS fm ON fm.firm_key = s.firm_key;

COMMENT ON VIEW analytics.verifyplus_sla IS 'Verify+ service level per billing month of request creation, over billable requests. Grain: one row per month with scope = company (every month of analytics.months, zeros when none) and one per month and firm with scope = firm (months with requests). The company median is the median of all the month''s closed requests, not an average of the firm medians. No PHI.';
COMMENT ON COLUMN analytics.verifyplus_sla.billing_month IS 'Billing month of the requests'' creation, YYYY-MM (business time zone). Not PHI.';
COMMENT ON COLUMN analytics.verifyplus_sla.scope IS 'company (all firms together) or firm (one firm_key). Not PHI.';
COMMENT ON COLUMN analytics.verifyplus_sla.firm_key IS 'Firm (analytics.firms.firm_key) for scope firm; null for scope company. Not PHI.';
COMMENT ON COLUMN analytics.verifyplus_sla.firm_name IS 'Firm name to show (analytics.firms.firm_name); null for scope company. Not PHI.';
COMMENT ON COLUMN analytics.verifyplus_sla.billable_requests IS 'Billable requests created in the month (not duplicate, not excluded). Not PHI.';
COMMENT ON COLUMN analytics.verifyplus_sla.closed_requests IS 'Of those, the closed ones (days_to_close known). Not PHI.';
COMMENT ON COLUMN analytics.verifyplus_sla.median_days_to_close IS 'Median days from creation to close over the closed billable requests (2 decimals); null when none closed. Not PHI.';
COMMENT ON COLUMN analytics.verifyplus_sla.closed_within_target IS 'Closed billable requests that closed within sla_target_days. Not PHI.';
COMMENT ON COLUMN analytics.verifyplus_sla.sla_target_days IS 'The SLA target in days (ref.settings verifyplus_sla_target_days). Not PHI.';
COMMENT ON COLUMN analytics.verifyplus_sla.share_closed_within_target IS 'closed_within_target / closed_requests (0..1, 4 decimals); null when none closed. Not PHI.';
