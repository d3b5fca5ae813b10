-- Who reads the compat views (script 70), and the original system's combined role name.
--
--   compat_read_only                 NOLOGIN group: SELECT on every compat view. Granted to itc_analyst
--                                    (the analyst logins) and to curated_and_analytics_read_only.
--   curated_and_analytics_read_only  NOLOGIN alias of the original's role of that name, so a grant
--                                    written for the original (GRANT curated_and_analytics_read_only TO
--                                    someone) still works: ITC's curated_analytics_read_only (curated
--                                    non-PHI columns, curated_deid, analytics, ref) + compat_read_only.
--                                    Unlike the original it reads no PHI column.
-- The original's raw_curated_analytics_read_only is NOT re-created: its meaning (raw rows, PHI
-- included) has no ITC equivalent; all_read_only (non-PHI columns of every layer) is the nearest
-- (docs/migrating-from-original.md). The compat schema is outside the schemas the security baseline
-- (script 34) manages, so these grants are made here, once, and kept: the baseline neither revokes
-- them nor grants anything on compat.
DO $roles$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT * FROM (VALUES
            ('compat_read_only', 'Group: read the compat views (the original system''s names over analytics and the de-identified curated views; no PHI).'),
            ('curated_and_analytics_read_only', 'Group: the original system''s role name, kept as an alias: curated_analytics_read_only + compat_read_only (no PHI, unlike the original).')
        ) AS t(name, note)
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r.name) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT',
                           r.name);
        END IF;
        EXECUTE format('COMMENT ON ROLE %I IS %L', r.name, r.note);
    END LOOP;
END
$roles$;

GRANT compat_read_only TO itc_analyst;
GRANT curated_analytics_read_only, compat_read_only TO curated_and_analytics_read_only;

REVOKE ALL ON SCHEMA compat FROM PUBLIC;
GRANT USAGE ON SCHEMA compat TO compat_read_only;
GRANT SELECT ON ALL TABLES IN SCHEMA compat TO compat_read_only;
-- the views call ref.business_time_zone() (a view's caller needs EXECUTE on the functions it calls)
GRANT EXECUTE ON FUNCTION ref.business_time_zone() TO compat_read_only;
-- a compat view a later script adds is readable by the group too
ALTER DEFAULT PRIVILEGES FOR ROLE itc_migrator IN SCHEMA compat GRANT SELECT ON TABLES TO compat_read_only;
