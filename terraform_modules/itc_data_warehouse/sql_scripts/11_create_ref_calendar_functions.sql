-- The billing calendar: ref.billing_month(ts) and ref.month_start(billing_month).
-- A timestamp's billing month is its calendar month in the business time zone
-- (ref.business_time_zone(), from ref.settings), NEVER in the session's TimeZone; every view that
-- buckets by month, close_month and the metric layer use these two functions, so the rule is
-- written once (docs/adr/0005-warehouse-rules-defined-once.md).

CREATE FUNCTION ref.billing_month(ts timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(ts AT TIME ZONE ref.business_time_zone(), 'YYYY-MM')
$$;
COMMENT ON FUNCTION ref.billing_month(timestamptz) IS 'Billing month (YYYY-MM) of a timestamp: its calendar month in the business time zone, whatever the session TimeZone. Null for null.';

CREATE FUNCTION ref.month_start(billing_month text) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_date(billing_month || '-01', 'YYYY-MM-DD')::timestamp AT TIME ZONE ref.business_time_zone()
$$;
COMMENT ON FUNCTION ref.month_start(text) IS 'The instant a billing month (YYYY-MM) starts: midnight on its first day in the business time zone.';
