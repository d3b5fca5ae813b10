-- The analysts' metric layer (issue 15): the figures analysts ask for, defined ONCE in SQL, so no two
-- dashboards compute "revenue", "the SLA" or "growth" differently. Plain views (always live over the
-- materialized views the refresh rebuilds; the refresh and the quality checks need not know them),
-- owned by itc_migrator and readable through analytics_read_only. No PHI: counts, durations, amounts
-- and firm names only. Every month is a billing month: a calendar month in the business time zone
-- (ref.billing_month / ref.month_start), never the session's TimeZone.
--
--   analytics.firm_key(account, name)    the stable firm key (function)
--   analytics.months                     one row per billing month, service start .. current month
--   analytics.firms / firm_names         one row per firm key / per firm name spelling seen
--   analytics.revenue_by_billing_month   what each invoice bills (usage, adjustments apart)
--   analytics.revenue_by_service_month   what each month's usage is worth (with later adjustments)
--   analytics.verifyplus_sla             Verify+ SLA per month, company-wide and per firm
--   analytics.monthly_growth             month-over-month change, missing months counted as zero

-- ---------------------------------------------------------------------------------- the firm key
CREATE FUNCTION analytics.firm_key(billing_account_id text, firm_name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(billing_account_id, 'name:' || coalesce(ref.firm_match_key(firm_name), '(no firm name)'))
$$;
COMMENT ON FUNCTION analytics.firm_key(text, text) IS 'Stable firm key: the billing account id (ref.billing_accounts) when the firm is mapped to one, else ''name:'' || ref.firm_match_key(firm_name) (lower case, whitespace trimmed and collapsed), so spellings differing only in case or spacing share a key. Use it on invoice lines: analytics.firm_key(billing_account_id, firm_name).';

-- ---------------------------------------------------------------------------------- the calendar
-- Grain: one row per billing month from ref.service_start_month() through the current billing month
-- (the month now() falls in, business time zone). month_start/month_end are the instants the month
-- starts and ends (end exclusive): filter an event time with  t >= month_start AND t < month_end,
-- which uses the index on t. A month is complete when it has ended AND every source's latest
-- snapshot is complete through its last day (analytics.data_freshness.complete_through).
CREATE VIEW analytics.months AS
WITH bounds AS (
    SELECT to_date(ref.service_start_month() || '-01', 'YYYY-MM-DD') AS first_month,
           to_date(ref.billing_month(now()) || '-01', 'YYYY-MM-DD') AS last_month
),
calendar AS (
    SELECT to_char(d, 'YYYY-MM') AS billing_month, d::date AS first_day,
           to_char(d + interval '1 month', 'YYYY-MM') AS next_month
    FROM bounds, generate_series(bounds.first_month::timestamp, bounds.last_month::timestamp, interval '1 month') AS d
),
sources AS (
    SELECT min(f.complete_through) AS complete_through, bool_and(f.complete_through IS NOT NULL) AS all_loaded
    FROM analytics.data_freshness AS f
    WHERE f.kind = 'source'
)
SELECT
    c.billing_month,
    c.first_day,
    (c.first_day + interval '1 month' - interval '1 day')::date                    AS last_day,
    ref.month_start(c.billing_month)                                               AS month_start,
    ref.month_start(c.next_month)                                                  AS month_end,
    c.billing_month = ref.billing_month(now())                                     AS is_current,
    ref.month_start(c.next_month) <= now()                                         AS has_ended,
    coalesce(ref.month_start(c.next_month) <= now() AND s.all_loaded
             AND s.complete_through >= (c.first_day + interval '1 month' - interval '1 day')::date, false)
                                                                                   AS is_complete,
    cm.billing_month IS NOT NULL                                                   AS is_closed,
    CASE WHEN cm.billing_month IS NOT NULL THEN 'final' ELSE 'draft' END           AS invoice_status
FROM calendar AS c
CROSS JOIN sources AS s
LEFT JOIN analytics.closed_months AS cm ON cm.billing_month = c.billing_month;

COMMENT ON VIEW analytics.months IS 'Calendar of billing months. Grain: one row per month from ref.service_start_month() through the current month in the business time zone. Join a monthly figure to it (LEFT JOIN ... ON billing_month) so months without rows show as zero. No PHI.';
COMMENT ON COLUMN analytics.months.billing_month IS 'Billing month, YYYY-MM: a calendar month in the business time zone (ref.business_time_zone()). Not PHI.';
COMMENT ON COLUMN analytics.months.first_day IS 'First calendar day of the month (a date, no time zone). Not PHI.';
COMMENT ON COLUMN analytics.months.last_day IS 'Last calendar day of the month. Not PHI.';
COMMENT ON COLUMN analytics.months.month_start IS 'Instant the month starts: midnight of its first day in the business time zone (ref.month_start(billing_month)). Not PHI.';
COMMENT ON COLUMN analytics.months.month_end IS 'Instant the month ends (exclusive) = month_start of the next month. Filter t >= month_start AND t < month_end. Not PHI.';
COMMENT ON COLUMN analytics.months.is_current IS 'True for the month now() falls in (business time zone): its figures are still growing. Not PHI.';
COMMENT ON COLUMN analytics.months.has_ended IS 'True when month_end has passed. Not PHI.';
COMMENT ON COLUMN analytics.months.is_complete IS 'True when the month has ended and every source''s latest snapshot is complete through its last day (analytics.data_freshness.complete_through): its counts will not grow unless the sources change the past. Not PHI.';
COMMENT ON COLUMN analytics.months.is_closed IS 'True when the invoice month is closed (analytics.closed_months): its invoice lines are frozen. Not PHI.';
COMMENT ON COLUMN analytics.months.invoice_status IS 'final (closed: the invoice will not change) or draft (open: its lines follow the data). Not PHI.';

-- ---------------------------------------------------------------------------------- firms
-- Every firm name seen: each billable unit's source firm name with the account it bills on (the
-- resolution of analytics.billable_units: customer id, else firm name mapping, else none), plus the
-- Verify+ firm names that have no billable unit (only duplicates/excluded requests), resolved by the
-- same rule, ref.billing_account (Verify+ has no customer id). Grain: one row per (firm name spelling, firm key).
CREATE VIEW analytics.firm_names AS
WITH seen AS (
    SELECT u.source_firm_name AS firm_name, u.billing_account_id,
           u.product IN ('demand_uploaded', 'demand_archived') AS in_demands,
           u.product = 'verifyplus_request' AS in_verifyplus,
           u.service_month
    FROM analytics.billable_units AS u
    UNION ALL
    SELECT coalesce(v.firm_name, '(no firm name)'), b.account_id, false, true, v.billing_month
    FROM curated.verifyplus AS v
    LEFT JOIN LATERAL ref.billing_account(ref.firm_match_key(coalesce(v.firm_name, '(no firm name)')), NULL) AS b
           ON true
    WHERE NOT (v.is_billable AND v.request_created_datetime IS NOT NULL)
)
SELECT s.firm_name,
       analytics.firm_key(s.billing_account_id, s.firm_name) AS firm_key,
       s.billing_account_id,
       bool_or(s.in_demands)                                 AS in_demands,
       bool_or(s.in_verifyplus)                              AS in_verifyplus,
       min(s.service_month)                                  AS first_month,
       max(s.service_month)                                  AS last_month
FROM seen AS s
GROUP BY s.firm_name, s.billing_account_id;

COMMENT ON VIEW analytics.firm_names IS 'Every firm name spelling seen in the sources (demand sending_firm_name, Verify+ firm_name) with its stable firm key. Grain: one row per (firm_name, firm_key); a name maps to two keys only when some of its demands bill on an account through their customer id and others do not. Join analytics.demands_summary.sending_firm_name or analytics.verifyplus_monthly.firm_name to firm_name to group by firm_key. No PHI.';
COMMENT ON COLUMN analytics.firm_names.firm_name IS 'The name as the source spells it (right-stripped); ''(no firm name)'' when none. Not PHI.';
COMMENT ON COLUMN analytics.firm_names.firm_key IS 'Stable firm key (analytics.firm_key): the billing account id when mapped, else name: + the normalised name. Not PHI.';
COMMENT ON COLUMN analytics.firm_names.billing_account_id IS 'Billing account the name''s units bill on (ref.billing_accounts); null when not mapped. Not PHI.';
COMMENT ON COLUMN analytics.firm_names.in_demands IS 'True when the name is a demand sending firm (uploaded or archived demands). Not PHI.';
COMMENT ON COLUMN analytics.firm_names.in_verifyplus IS 'True when the name is a Verify+ firm name. Not PHI.';
COMMENT ON COLUMN analytics.firm_names.first_month IS 'First billing month with a demand or Verify+ request under this name (null when only Verify+ requests with no creation time). Not PHI.';
COMMENT ON COLUMN analytics.firm_names.last_month IS 'Last billing month with a demand or Verify+ request under this name. Not PHI.';

-- Grain: one row per firm key. The name shown is the billing account's name when mapped, else the
-- first of its spellings in byte order (COLLATE "C": the same on every server).
CREATE VIEW analytics.firms AS
SELECT n.firm_key,
       coalesce(a.account_name,
                (array_agg(n.firm_name ORDER BY n.firm_name COLLATE "C"))[1]) AS firm_name,
       n.billing_account_id,
       array_agg(n.firm_name ORDER BY n.firm_name COLLATE "C")          AS names,
       bool_or(n.in_demands)                                           AS in_demands,
       bool_or(n.in_verifyplus)                                        AS in_verifyplus,
       min(n.first_month)                                              AS first_month,
       max(n.last_month)                                               AS last_month
FROM analytics.firm_names AS n
LEFT JOIN ref.billing_accounts AS a ON a.account_id = n.billing_account_id
GROUP BY n.firm_key, n.billing_account_id, a.account_name;

COMMENT ON VIEW analytics.firms IS 'Firms with a stable key. Grain: one row per firm_key: a billing account (ref.billing_accounts) for mapped firms, else one normalised firm name (case and spacing ignored). names lists every spelling seen (demand sending_firm_name and Verify+ firm_name). No PHI.';
COMMENT ON COLUMN analytics.firms.firm_key IS 'Stable firm key (analytics.firm_key): the billing account id, or name: + the normalised firm name when the firm is not mapped to an account. Not PHI.';
COMMENT ON COLUMN analytics.firms.firm_name IS 'Name to show: the billing account''s name, else the first spelling in byte order (COLLATE "C"). Not PHI.';
COMMENT ON COLUMN analytics.firms.billing_account_id IS 'Billing account id; null when the firm is not mapped to one. Not PHI.';
COMMENT ON COLUMN analytics.firms.names IS 'Every spelling of the firm''s name seen in the sources, sorted. Not PHI.';
COMMENT ON COLUMN analytics.firms.in_demands IS 'True when the firm sends demands on Exchange. Not PHI.';
COMMENT ON COLUMN analytics.firms.in_verifyplus IS 'True when the firm requests Verify+. Not PHI.';
COMMENT ON COLUMN analytics.firms.first_month IS 'First billing month with activity. Not PHI.';
COMMENT ON COLUMN analytics.firms.last_month IS 'Last billing month with activity. Not PHI.';

-- ---------------------------------------------------------------------------------- revenue
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

-- ---------------------------------------------------------------------------------- Verify+ SLA
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

-- ---------------------------------------------------------------------------------- growth
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
