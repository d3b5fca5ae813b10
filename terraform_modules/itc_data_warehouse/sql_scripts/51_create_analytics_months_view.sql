-- The analysts' metric layer (docs/analysts.md): the figures analysts ask for, defined ONCE in SQL,
-- one object per file, so no two dashboards compute "revenue", "the SLA" or "growth" differently.
-- Plain views, live over the materialized views the refresh rebuilds, owned by itc_migrator and
-- readable through analytics_read_only. No PHI: counts, durations, amounts and firm names only.
-- Every month is a billing month: a calendar month in the business time zone (ref.billing_month /
-- ref.month_start), never the session's TimeZone.
--
-- This file: analytics.months, one row per billing month, service start .. current month.

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
