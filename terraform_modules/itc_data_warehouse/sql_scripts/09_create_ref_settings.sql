-- ref.settings: business settings the SQL layer reads, maintained by finance / operations.
-- The business time zone decides billing months: a timestamp's billing month is its calendar
-- month in this zone (ref.billing_month, in 11_create_ref_calendar_functions.sql), NEVER in the
-- session's TimeZone. The orchestrator keeps it equal to ITC_BUSINESS_TZ when that variable is set
-- (see the orchestrator README).
-- The quality checks read two more: usage billed before service_start_month (or after the current
-- month) fails them, and a raw table whose row count moved by more than row_count_warning_share
-- since the previous load of its source is reported as a warning.
CREATE TABLE ref.settings (
    key         text        PRIMARY KEY,
    value       text        NOT NULL,
    description text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text        NOT NULL DEFAULT current_user
);
COMMENT ON TABLE ref.settings IS 'Business settings read by the warehouse SQL and the quality checks (business time zone, Verify+ SLA target, service start month, row-count warning share). Maintained by finance/operations; refresh the views after a change.';
COMMENT ON COLUMN ref.settings.key IS 'Setting name (business_time_zone, verifyplus_sla_target_days, service_start_month, row_count_warning_share).';
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
    IF NEW.key IN ('verifyplus_sla_target_days', 'row_count_warning_share')
       AND (NEW.value !~ '^[0-9]+(\.[0-9]+)?$' OR NEW.value::numeric <= 0) THEN
        RAISE EXCEPTION 'ref.settings %: % is not a positive number of %', NEW.key, NEW.value,
            CASE NEW.key WHEN 'verifyplus_sla_target_days' THEN 'days' ELSE 'rows as a share (0.2 = 20 percent)' END
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NEW.key = 'service_start_month' AND NEW.value !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' THEN
        RAISE EXCEPTION 'ref.settings service_start_month: % is not a month YYYY-MM (e.g. 2019-01)', NEW.value
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    NEW.updated_at := now();
    NEW.updated_by := current_user;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION ref.validate_setting() IS 'Trigger: rejects an unknown time zone, a non-positive SLA target or row-count share, or a service start that is not YYYY-MM, with a message naming the setting.';
CREATE TRIGGER settings_validate BEFORE INSERT OR UPDATE ON ref.settings
    FOR EACH ROW EXECUTE FUNCTION ref.validate_setting();

INSERT INTO ref.settings (key, value, description) VALUES
    ('business_time_zone', 'America/New_York',
     'Billing months are calendar months in this IANA time zone (ITC_BUSINESS_TZ).'),
    ('verifyplus_sla_target_days', '3',
     'Verify+ service level: a billable request should close within this many days of its creation.'),
    ('service_start_month', '2019-01',
     'First billing month with usage (YYYY-MM): usage billed in an earlier month fails the quality checks (a timestamp read in the wrong unit lands in 1970).'),
    ('row_count_warning_share', '0.2',
     'A raw table whose row count moved by more than this share (0.2 = 20 percent) since the previous succeeded load of its source is reported as a quality warning.');

CREATE FUNCTION ref.business_time_zone() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((SELECT value FROM ref.settings WHERE key = 'business_time_zone'), 'America/New_York')
$$;
COMMENT ON FUNCTION ref.business_time_zone() IS 'The business time zone (ref.settings business_time_zone; America/New_York when unset).';

CREATE FUNCTION ref.verifyplus_sla_target_days() RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((SELECT value::numeric FROM ref.settings WHERE key = 'verifyplus_sla_target_days'), 3)
$$;
COMMENT ON FUNCTION ref.verifyplus_sla_target_days() IS 'Verify+ SLA target in days (ref.settings verifyplus_sla_target_days; 3 when unset).';

CREATE FUNCTION ref.service_start_month() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((SELECT value FROM ref.settings WHERE key = 'service_start_month'), '2019-01')
$$;
COMMENT ON FUNCTION ref.service_start_month() IS 'First billing month with usage, YYYY-MM (ref.settings service_start_month; 2019-01 when unset).';

CREATE FUNCTION ref.row_count_warning_share() RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((SELECT value::numeric FROM ref.settings WHERE key = 'row_count_warning_share'), 0.2)
$$;
COMMENT ON FUNCTION ref.row_count_warning_share() IS 'Row-count change between two succeeded loads of a source above which a quality warning is recorded, as a share (ref.settings row_count_warning_share; 0.2 when unset).';
