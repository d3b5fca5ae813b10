-- The analysts' metric layer (docs/analysts.md): the figures analysts ask for, defined ONCE in SQL,
-- one object per file, so no two dashboards compute "revenue", "the SLA" or "growth" differently.
-- Plain views, live over the materialized views the refresh rebuilds, owned by itc_migrator and
-- readable through analytics_read_only. No PHI: counts, durations, amounts and firm names only.
-- Every month is a billing month: a calendar month in the business time zone (ref.billing_month /
-- ref.month_start), never the session's TimeZone.
--
-- This file: analytics.firms, one row per firm key.

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
