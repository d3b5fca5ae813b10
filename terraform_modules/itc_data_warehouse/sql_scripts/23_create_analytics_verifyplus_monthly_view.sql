-- analytics.verifyplus_monthly: Verify+ volume and service level per billing month (month of
-- Request Created Datetime in the business time zone) and firm. Billable = not a duplicate and not
-- excluded from reporting. SLA figures are over BILLABLE requests: median days to close of those
-- closed, and the share of closed ones that closed within the target (ref.settings
-- verifyplus_sla_target_days). Requests without a creation time have no month and are not counted
-- here (the quality checks report them). No PHI: counts and durations per firm only.
CREATE MATERIALIZED VIEW analytics.verifyplus_monthly AS
WITH target AS (SELECT ref.verifyplus_sla_target_days() AS days),
monthly AS (
    SELECT
        v.billing_month                                                          AS billing_month,
        coalesce(v.firm_name, '(no firm name)')                                  AS firm_name,
        count(*)                                                                 AS total_requests,
        count(*) FILTER (WHERE v.is_billable)                                    AS billable_requests,
        count(*) FILTER (WHERE v.duplicate_request)                              AS duplicate_requests,
        count(*) FILTER (WHERE v.exclude_from_reporting)                         AS excluded_requests,
        count(*) FILTER (WHERE v.is_billable AND v.days_to_close IS NOT NULL)    AS closed_requests,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY v.days_to_close)
            FILTER (WHERE v.is_billable AND v.days_to_close IS NOT NULL)         AS median_days_to_close,
        count(*) FILTER (WHERE v.is_billable AND v.days_to_close <= t.days)      AS closed_within_target,
        t.days                                                                   AS sla_target_days
    FROM curated.verifyplus AS v
    CROSS JOIN target AS t
    WHERE v.request_created_datetime IS NOT NULL
    GROUP BY 1, 2, t.days
)
SELECT
    billing_month,
    firm_name,
    total_requests,
    billable_requests,
    duplicate_requests,
    excluded_requests,
    closed_requests,
    round(median_days_to_close::numeric, 2) AS median_days_to_close,
    closed_within_target,
    sla_target_days,
    round(closed_within_target::numeric / nullif(closed_requests, 0), 4) AS share_closed_within_target
FROM monthly
WITH NO DATA;

CREATE UNIQUE INDEX verifyplus_monthly_month_firm_uq ON analytics.verifyplus_monthly (billing_month, firm_name);

COMMENT ON MATERIALIZED VIEW analytics.verifyplus_monthly IS 'Verify+ requests per billing month and firm: volume, billable count, and SLA (median days to close, share closed within target). No PHI.';
COMMENT ON COLUMN analytics.verifyplus_monthly.billing_month IS 'Billing month, YYYY-MM, of Request Created Datetime in the business time zone. Not PHI.';
COMMENT ON COLUMN analytics.verifyplus_monthly.firm_name IS 'Requesting law firm (right-stripped); ''(no firm name)'' when none. Not PHI.';
COMMENT ON COLUMN analytics.verifyplus_monthly.total_requests IS 'All requests created in the month. Not PHI.';
COMMENT ON COLUMN analytics.verifyplus_monthly.billable_requests IS 'Requests billed: neither Duplicate Request nor Exclude From Reporting checked. Not PHI.';
COMMENT ON COLUMN analytics.verifyplus_monthly.duplicate_requests IS 'Requests marked Duplicate Request (not billed). Not PHI.';
COMMENT ON COLUMN analytics.verifyplus_monthly.excluded_requests IS 'Requests marked Exclude From Reporting (not billed); a request may be both duplicate and excluded. Not PHI.';
COMMENT ON COLUMN analytics.verifyplus_monthly.closed_requests IS 'Billable requests that have closed (close time known). Not PHI.';
COMMENT ON COLUMN analytics.verifyplus_monthly.median_days_to_close IS 'Median days from creation to close over the closed billable requests; null when none closed. Not PHI.';
COMMENT ON COLUMN analytics.verifyplus_monthly.closed_within_target IS 'Closed billable requests that closed within sla_target_days. Not PHI.';
COMMENT ON COLUMN analytics.verifyplus_monthly.sla_target_days IS 'The SLA target in days used (ref.settings verifyplus_sla_target_days at refresh time). Not PHI.';
COMMENT ON COLUMN analytics.verifyplus_monthly.share_closed_within_target IS 'closed_within_target / closed_requests (0..1, 4 decimals); null when none closed. Not PHI.';
