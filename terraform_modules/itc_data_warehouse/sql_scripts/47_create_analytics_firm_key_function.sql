-- The analysts' metric layer (docs/analysts.md): the figures analysts ask for, defined ONCE in SQL,
-- one object per file, so no two dashboards compute "revenue", "the SLA" or "growth" differently.
-- Plain views, live over the materialized views the refresh rebuilds, owned by itc_migrator and
-- readable through analytics_read_only. No PHI: counts, durations, amounts and firm names only.
-- Every month is a billing month: a calendar month in the business time zone (ref.billing_month /
-- ref.month_start), never the session's TimeZone.
--
-- This file: analytics.firm_key(account, name), the stable firm key the firm views group by.

CREATE FUNCTION analytics.firm_key(billing_account_id text, firm_name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(billing_account_id, 'name:' || coalesce(ref.firm_match_key(firm_name), '(no firm name)'))
$$;
COMMENT ON FUNCTION analytics.firm_key(text, text) IS 'Stable firm key: the billing account id (ref.billing_accounts) when the firm is mapped to one, else ''name:'' || ref.firm_match_key(firm_name) (lower case, whitespace trimmed and collapsed), so spellings differing only in case or spacing share a key. Use it on invoice lines: analytics.firm_key(billing_account_id, firm_name).';
