-- The analysts' metric layer (docs/analysts.md): the figures analysts ask for, defined ONCE in SQL,
-- one object per file, so no two dashboards compute "revenue", "the SLA" or "growth" differently.
-- Plain views, live over the materialized views the refresh rebuilds, owned by itc_migrator and
-- readable through analytics_read_only. No PHI: counts, durations, amounts and firm names only.
-- Every month is a billing month: a calendar month in the business time zone (ref.billing_month /
-- ref.month_start), never the session's TimeZone.
--
-- This file: analytics.firm_names, one row per firm name spelling seen, with its firm key.

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
