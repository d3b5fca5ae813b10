-- ref.settings: business settings the SQL layer reads, maintained by finance / operations.
-- The business time zone decides billing months: a timestamp's billing month is its calendar
-- month in this zone (ref.billing_month), NEVER in the session's TimeZone. The orchestrator keeps
-- it equal to ITC_BUSINESS_TZ when that variable is set (see the orchestrator README).
CREATE TABLE ref.settings (
    key         text        PRIMARY KEY,
    value       text        NOT NULL,
    description text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text        NOT NULL DEFAULT current_user
);
COMMENT ON TABLE ref.settings IS 'Business settings read by the warehouse SQL (business time zone, Verify+ SLA target). Maintained by finance/operations; refresh the views after a change.';
COMMENT ON COLUMN ref.settings.key IS 'Setting name (business_time_zone, verifyplus_sla_target_days).';
COMMENT ON COLUMN ref.settings.value IS 'Setting value, as text; validated per key on write.';
COMMENT ON COLUMN ref.settings.description IS 'What the setting means.';
COMMENT ON COLUMN ref.settings.updated_at IS 'When the value was last written.';
COMMENT ON COLUMN ref.settings.updated_by IS 'Database role that last wrote it.';

CREATE FUNCTION ref.validate_setting() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.key = 'business_time_zone'
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names WHERE name = NEW.value) THEN
        RAISE EXCEPTION 'ref.settings business_time_zone: % is not a time zone name PostgreSQL knows (e.g. America/New_York)', NEW.value
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NEW.key = 'verifyplus_sla_target_days'
       AND (NEW.value !~ '^[0-9]+(\.[0-9]+)?$' OR NEW.value::numeric <= 0) THEN
        RAISE EXCEPTION 'ref.settings verifyplus_sla_target_days: % is not a positive number of days', NEW.value
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    NEW.updated_at := now();
    NEW.updated_by := current_user;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION ref.validate_setting() IS 'Trigger: rejects an unknown time zone or a non-positive SLA target with a message naming the setting.';
CREATE TRIGGER settings_validate BEFORE INSERT OR UPDATE ON ref.settings
    FOR EACH ROW EXECUTE FUNCTION ref.validate_setting();

INSERT INTO ref.settings (key, value, description) VALUES
    ('business_time_zone', 'America/New_York',
     'Billing months are calendar months in this IANA time zone (ITC_BUSINESS_TZ).'),
    ('verifyplus_sla_target_days', '3',
     'Verify+ service level: a billable request should close within this many days of its creation.');

CREATE FUNCTION ref.business_time_zone() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((SELECT value FROM ref.settings WHERE key = 'business_time_zone'), 'America/New_York')
$$;
COMMENT ON FUNCTION ref.business_time_zone() IS 'The business time zone (ref.settings business_time_zone; America/New_York when unset).';

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

CREATE FUNCTION ref.verifyplus_sla_target_days() RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((SELECT value::numeric FROM ref.settings WHERE key = 'verifyplus_sla_target_days'), 3)
$$;
COMMENT ON FUNCTION ref.verifyplus_sla_target_days() IS 'Verify+ SLA target in days (ref.settings verifyplus_sla_target_days; 3 when unset).';
