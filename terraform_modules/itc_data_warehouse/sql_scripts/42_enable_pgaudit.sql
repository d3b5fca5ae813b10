-- pgAudit (docs/design.md §6): statement audit logs, exported to CloudWatch by RDS. The RDS parameter
-- group preloads the library (shared_preload_libraries) and sets pgaudit.log; the extension must
-- also exist in the database. Where the server does not offer pgaudit (the embedded local
-- PostgreSQL), this script does nothing, so the same migrations run everywhere.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgaudit')
       AND current_setting('shared_preload_libraries', true) LIKE '%pgaudit%' THEN
        CREATE EXTENSION IF NOT EXISTS pgaudit;
    ELSE
        RAISE NOTICE 'pgaudit is not available on this server: statement auditing is off (expected locally)';
    END IF;
END
$$;
