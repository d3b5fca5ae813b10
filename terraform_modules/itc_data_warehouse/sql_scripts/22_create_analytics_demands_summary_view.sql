-- analytics.demands_summary: the core invoicing KPI (docs/design.md §5). Per billing month (YYYY-MM,
-- calendar month in the business time zone) and sending firm: demands uploaded (month of
-- uploaded_at) and demands archived (month of archived_at), full outer join, zeros for gaps.
-- A demand without a firm name is counted under '(no firm name)' so it is visible, not lost.
-- No PHI: counts per firm only.
CREATE MATERIALIZED VIEW analytics.demands_summary AS
WITH uploaded AS (
    SELECT u.billing_month,
           coalesce(u.sending_firm_name, '(no firm name)') AS sending_firm_name,
           count(*) AS n
    FROM curated.demands_uploaded AS u
    GROUP BY 1, 2
),
archived AS (
    SELECT a.billing_month,
           coalesce(a.sending_firm_name, '(no firm name)') AS sending_firm_name,
           count(*) AS n
    FROM curated.demands_archived AS a
    GROUP BY 1, 2
)
SELECT
    coalesce(u.billing_month, a.billing_month)         AS billing_month,
    coalesce(u.sending_firm_name, a.sending_firm_name) AS sending_firm_name,
    coalesce(u.n, 0)::bigint                           AS uploaded_count,
    coalesce(a.n, 0)::bigint                           AS archived_count
FROM uploaded AS u
FULL OUTER JOIN archived AS a
    ON a.billing_month = u.billing_month AND a.sending_firm_name = u.sending_firm_name
WITH NO DATA;

CREATE UNIQUE INDEX demands_summary_month_firm_uq ON analytics.demands_summary (billing_month, sending_firm_name);

COMMENT ON MATERIALIZED VIEW analytics.demands_summary IS 'Demands uploaded and archived per billing month and sending firm (the core invoicing KPI). Months are calendar months in the business time zone. No PHI.';
COMMENT ON COLUMN analytics.demands_summary.billing_month IS 'Billing month, YYYY-MM, calendar month in the business time zone (ref.business_time_zone()). Not PHI.';
COMMENT ON COLUMN analytics.demands_summary.sending_firm_name IS 'Sending law firm (right-stripped); ''(no firm name)'' when the demand has none. Not PHI.';
COMMENT ON COLUMN analytics.demands_summary.uploaded_count IS 'Demands of curated.demands_uploaded uploaded in the month; 0 when none. Not PHI.';
COMMENT ON COLUMN analytics.demands_summary.archived_count IS 'Demands of curated.demands_archived archived in the month; 0 when none. Not PHI.';
