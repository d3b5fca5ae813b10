-- The security baseline: ownership, grants and default privileges of every ITC object, in one
-- idempotent procedure. The migration runner calls it after applying scripts (so an object a later
-- script creates is never left ungranted or owned by the wrong role); it can be called by hand:
--     CALL ops.apply_security_baseline();
-- It must be run by the role that applies migrations (RDS master user / local superuser).
--
-- Who can do what (tests/security/test_privilege_matrix.py tries every one of these for real):
--   itc_migrator   owns the schemas raw, curated, curated_deid, analytics, ref, ops and everything in
--                  them: all DDL, DROP, REFRESH.
--   itc_loader_demand      (ops.apply_loader_login_grants) raw.cases, raw.metadata,
--                          raw.templates, raw.audit: SELECT, INSERT, UPDATE, DELETE (no TRUNCATE, no DDL);
--   itc_loader_verifyplus  (idem) raw.verifyplus: SELECT, INSERT, UPDATE, DELETE;
--                  both: ops.load_runs, ops.rejected_records: SELECT, INSERT of their own source's rows
--                  only; EXECUTE ops.finish_load_run (no UPDATE); ops.latest_loads: SELECT; TEMPORARY on
--                  the database (COPY staging tables).
--   itc_refresher  EXECUTE ops.refresh_materialized_view, ops.phi_grant_violations();
--                  SELECT on the limited data set; ops.quality_results, ops.view_refreshes:
--                  SELECT, INSERT; ops.load_runs, ops.latest_loads, ops.rejected_records: SELECT; and all_read_only
--                  (non-PHI columns of raw and curated, analytics, ref) for the quality checks.
--   raw_read_only / curated_read_only: SELECT on the raw / curated columns NOT in ops.phi_columns.
--   curated_deid_read_only: SELECT on the de-identified views (and EXECUTE on the ref helper functions
--                  they call). analytics_read_only: analytics, ref (tables, views, and their
--                  STABLE/IMMUTABLE helper functions), except the limited data set (ops.limited_data_set).
--   phi_reader     SELECT on every column of raw and curated.
--   itc_analyst    (its members are the analyst logins) analytics_read_only + curated_deid_read_only:
--                  no source record id and no date finer than a month (docs/adr/0003).
--   itc_finance    (its members are the finance logins) analytics_read_only and the limited data set
--                  (ops.limited_data_set: the unit ledgers); INSERT, UPDATE on
--                  ref.price_list and ref.billing_accounts, INSERT, UPDATE, DELETE on
--                  ref.billing_account_names; EXECUTE analytics.close_month; SELECT ops.finance_audit.
--   itc_loader     nothing: the legacy login of both loads, no longer created (30_create_roles.sql). Roles are
--                  cluster-wide, so a cluster migrated before keeps it: where it exists this procedure
--                  revokes everything it had (schemas, objects, default privileges, the database,
--                  rds_iam). Then drop it: in each database of the cluster `DROP OWNED BY itc_loader;`,
--                  then `DROP ROLE itc_loader;` (docs/access.md).
--   PUBLIC         nothing: no CONNECT/TEMPORARY on the database, nothing in the ITC schemas, no
--                  CREATE in schema public.
CREATE PROCEDURE ops.apply_security_baseline()
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $proc$
DECLARE
    managed constant text[] := ARRAY['raw', 'curated', 'curated_deid', 'analytics', 'ref', 'ops'];
    -- plus the legacy login itc_loader where it still exists (see the header)
    legacy_loader constant boolean := to_regrole('itc_loader') IS NOT NULL;
    grantees constant text := 'PUBLIC, raw_read_only, curated_deid_read_only, curated_read_only, '
        'analytics_read_only, curated_analytics_read_only, all_read_only, phi_reader, itc_analyst, '
        'itc_finance, itc_refresher' || CASE WHEN legacy_loader THEN ', itc_loader' ELSE '' END;
    obj record;
    owner_role text;
BEGIN
    -- 1. ownership: itc_migrator owns the schemas and every relation and routine in them
    FOR obj IN SELECT n.nspname FROM pg_namespace AS n
               WHERE n.nspname = ANY (managed) AND n.nspowner <> 'itc_migrator'::regrole LOOP
        EXECUTE format('ALTER SCHEMA %I OWNER TO itc_migrator', obj.nspname);
    END LOOP;
    FOR obj IN SELECT n.nspname, c.relname, c.relkind
               FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
               WHERE n.nspname = ANY (managed) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                 AND c.relowner <> 'itc_migrator'::regrole LOOP
        EXECUTE format('ALTER %s %I.%I OWNER TO itc_migrator',
                       CASE obj.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                        WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
                       obj.nspname, obj.relname);
    END LOOP;
    FOR obj IN SELECT n.nspname, c.relname  -- free-standing sequences (identity/serial ones follow their table)
               FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
               WHERE n.nspname = ANY (managed) AND c.relkind = 'S' AND c.relowner <> 'itc_migrator'::regrole
                 AND NOT EXISTS (SELECT 1 FROM pg_depend AS d WHERE d.classid = 'pg_class'::regclass
                                 AND d.objid = c.oid AND d.deptype IN ('a', 'i')) LOOP
        EXECUTE format('ALTER SEQUENCE %I.%I OWNER TO itc_migrator', obj.nspname, obj.relname);
    END LOOP;
    FOR obj IN SELECT p.oid::regprocedure AS signature, p.prokind
               FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
               WHERE n.nspname = ANY (managed) AND p.proowner <> 'itc_migrator'::regrole LOOP
        EXECUTE format('ALTER %s %s OWNER TO itc_migrator',
                       CASE obj.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
                       obj.signature);
    END LOOP;

    -- 2. start from nothing: no privilege for anyone but the owner (column privileges go with the table's)
    FOR obj IN SELECT n.nspname FROM pg_namespace AS n WHERE n.nspname = ANY (managed) LOOP
        EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %s', obj.nspname, grantees);
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %s', obj.nspname, grantees);
        EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %s', obj.nspname, grantees);
        EXECUTE format('REVOKE ALL ON ALL ROUTINES IN SCHEMA %I FROM %s', obj.nspname, grantees);
    END LOOP;
    FOR obj IN SELECT n.nspname, c.relname, a.attname
               FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid
               JOIN pg_namespace AS n ON n.oid = c.relnamespace
               WHERE n.nspname = ANY (managed) AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL LOOP
        EXECUTE format('REVOKE ALL (%I) ON %I.%I FROM %s', obj.attname, obj.nspname, obj.relname, grantees);
    END LOOP;

    -- 3. schemas
    GRANT USAGE ON SCHEMA raw TO raw_read_only, phi_reader;
    GRANT USAGE ON SCHEMA curated TO curated_read_only, phi_reader;
    GRANT USAGE ON SCHEMA curated_deid TO curated_deid_read_only;
    GRANT USAGE ON SCHEMA analytics, ref TO analytics_read_only;
    GRANT USAGE ON SCHEMA ops TO itc_refresher, itc_finance;

    -- 4. raw and curated: phi_reader reads everything; the read-only groups read the columns the PHI
    --    catalogue does not list (the per-source loader logins write their own raw tables: step 11)
    GRANT SELECT ON ALL TABLES IN SCHEMA raw, curated TO phi_reader;
    FOR obj IN SELECT n.nspname, c.relname,
                      string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) AS columns
               FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
               JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
               WHERE n.nspname IN ('raw', 'curated') AND c.relkind IN ('r', 'p', 'v', 'm')
                 AND NOT EXISTS (SELECT 1 FROM ops.phi_columns AS p
                                 WHERE p.table_schema = n.nspname AND p.table_name = c.relname
                                   AND p.column_name = a.attname)
               GROUP BY n.nspname, c.relname LOOP
        EXECUTE format('GRANT SELECT (%s) ON %I.%I TO %I', obj.columns, obj.nspname, obj.relname,
                       obj.nspname || '_read_only');
    END LOOP;

    -- 5. de-identified views: refuse to grant one that shows a catalogued PHI column name, or a date or
    --    time (Safe Harbor: months only, ops.create_deidentified_view)
    FOR obj IN SELECT c.relname, a.attname
               FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
               JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
               WHERE n.nspname = 'curated_deid'
                 AND a.attname IN (SELECT p.column_name FROM ops.phi_columns AS p) LOOP
        RAISE EXCEPTION 'curated_deid.% exposes %, a PHI/PII column of ops.phi_columns', obj.relname, obj.attname;
    END LOOP;
    FOR obj IN SELECT c.relname, a.attname
               FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
               JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
               WHERE n.nspname = 'curated_deid'
                 AND a.atttypid IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) LOOP
        RAISE EXCEPTION 'curated_deid.% exposes %, a date or time (de-identified views show months only)',
            obj.relname, obj.attname;
    END LOOP;
    GRANT SELECT ON ALL TABLES IN SCHEMA curated_deid TO curated_deid_read_only;

    -- 6. analytics and the finance reference data
    GRANT SELECT ON ALL TABLES IN SCHEMA analytics, ref TO analytics_read_only;
    --    and their read-only helper functions (ref.billing_month, ref.unit_price, ...: a view's caller
    --    needs EXECUTE on the functions it calls). Volatile ones (analytics.close_month), trigger
    --    functions and SECURITY DEFINER functions stay with the owner.
    FOR obj IN SELECT p.oid::regprocedure AS signature
               FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
               WHERE n.nspname IN ('analytics', 'ref') AND p.prokind = 'f' AND p.provolatile IN ('s', 'i')
                 AND NOT p.prosecdef AND p.prorettype <> 'trigger'::regtype LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO analytics_read_only, curated_deid_read_only', obj.signature);
    END LOOP;
    --    the limited data set (ops.limited_data_set): unit-level ledgers with source ids and exact times, for
    --    finance and the quality checks only
    IF to_regclass('ops.limited_data_set') IS NOT NULL THEN
        FOR obj IN SELECT l.relation_schema, l.relation_name FROM ops.limited_data_set AS l
                   WHERE to_regclass(format('%I.%I', l.relation_schema, l.relation_name)) IS NOT NULL LOOP
            EXECUTE format('REVOKE SELECT ON %I.%I FROM analytics_read_only', obj.relation_schema, obj.relation_name);
            EXECUTE format('GRANT SELECT ON %I.%I TO itc_finance, itc_refresher', obj.relation_schema, obj.relation_name);
        END LOOP;
    END IF;

    --    finance: prices, billing accounts, month close (audited by the ops.finance_audit triggers)
    IF to_regclass('ref.billing_account_names') IS NOT NULL THEN
        GRANT INSERT, UPDATE ON ref.price_list, ref.billing_accounts TO itc_finance;
        GRANT INSERT, UPDATE, DELETE ON ref.billing_account_names TO itc_finance;
    END IF;
    IF to_regprocedure('analytics.close_month(text, text)') IS NOT NULL THEN
        GRANT EXECUTE ON FUNCTION analytics.close_month(text, text) TO itc_finance;
    END IF;
    IF to_regclass('ops.finance_audit') IS NOT NULL THEN
        GRANT SELECT ON ops.finance_audit TO itc_finance;
    END IF;

    -- 7. ops: what each pipeline records
    --    (the loads' own rows: the per-source loader logins, step 11)
    IF to_regclass('ops.load_runs') IS NOT NULL THEN
        GRANT SELECT ON ops.load_runs TO itc_refresher;
    END IF;
    IF to_regclass('ops.latest_loads') IS NOT NULL THEN
        GRANT SELECT ON ops.latest_loads TO itc_refresher;
    END IF;
    IF to_regclass('ops.rejected_records') IS NOT NULL THEN
        GRANT SELECT ON ops.rejected_records TO itc_refresher;
    END IF;
    IF to_regclass('ops.quality_results') IS NOT NULL THEN
        GRANT SELECT, INSERT ON ops.quality_results TO itc_refresher;
    END IF;
    IF to_regclass('ops.view_refreshes') IS NOT NULL THEN
        GRANT SELECT, INSERT ON ops.view_refreshes TO itc_refresher;
    END IF;
    IF to_regprocedure('ops.refresh_materialized_view(text, boolean)') IS NOT NULL THEN
        GRANT EXECUTE ON FUNCTION ops.refresh_materialized_view(text, boolean) TO itc_refresher;
    END IF;
    IF to_regprocedure('ops.phi_grant_violations()') IS NOT NULL THEN
        GRANT EXECUTE ON FUNCTION ops.phi_grant_violations() TO itc_refresher;
    END IF;

    -- 8. the database: only ITC roles connect; only the loader logins (step 11) and the migrator (script
    --    41) create (temporary) staging tables; nobody but the owner creates in schema public. Needs the
    --    database owner or a superuser.
    BEGIN
        EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
        IF legacy_loader THEN
            EXECUTE format('REVOKE ALL ON DATABASE %I FROM itc_loader', current_database());
        END IF;
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO raw_read_only, curated_deid_read_only, curated_read_only, '
                       'analytics_read_only, curated_analytics_read_only, all_read_only, phi_reader, itc_analyst, '
                       'itc_finance, itc_migrator, itc_refresher', current_database());
        REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'database-level privileges left unchanged: % is not the database owner', current_user;
    END;

    -- 9. default privileges: objects created later (by the migrator, or by the role running the
    --    migrations) start with the same table-level grants; raw/curated column grants for the
    --    read-only groups come from the next run of this procedure (until then only phi_reader reads them)
    FOREACH owner_role IN ARRAY ARRAY['itc_migrator', current_user::text] LOOP
        EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I REVOKE EXECUTE ON ROUTINES FROM PUBLIC', owner_role);
        IF legacy_loader THEN  -- what earlier versions of this procedure gave the legacy login
            EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA raw REVOKE ALL ON TABLES FROM itc_loader', owner_role);
        END IF;
        EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA raw, curated GRANT SELECT ON TABLES TO phi_reader', owner_role);
        EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA curated_deid GRANT SELECT ON TABLES TO curated_deid_read_only', owner_role);
        EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA analytics, ref GRANT SELECT ON TABLES TO analytics_read_only', owner_role);
    END LOOP;

    -- 10. pgAudit object auditing of PHI reads (ops.apply_phi_audit_grants, once it exists): itc_auditor's grants
    IF to_regprocedure('ops.apply_phi_audit_grants()') IS NOT NULL THEN
        CALL ops.apply_phi_audit_grants();
    END IF;

    -- 11. the per-source loader logins (ops.apply_loader_login_grants, once it exists): their own raw tables and ops rows
    IF to_regprocedure('ops.apply_loader_login_grants()') IS NOT NULL THEN
        CALL ops.apply_loader_login_grants();
    END IF;

    -- 12. the legacy login itc_loader, where it still exists: no IAM database authentication either
    IF legacy_loader THEN
        IF EXISTS (SELECT 1 FROM pg_auth_members WHERE roleid = to_regrole('rds_iam')
                   AND member = 'itc_loader'::regrole) THEN
            REVOKE rds_iam FROM itc_loader;
        END IF;
        RAISE NOTICE 'itc_loader is no longer used and now holds no privilege here: DROP OWNED BY itc_loader in each database of the cluster, then DROP ROLE itc_loader';
    END IF;
END
$proc$;
REVOKE ALL ON PROCEDURE ops.apply_security_baseline() FROM PUBLIC;
COMMENT ON PROCEDURE ops.apply_security_baseline() IS
    'Re-apply ownership (itc_migrator), grants (column grants from ops.phi_columns) and default privileges of every ITC object. Idempotent; the migration runner calls it after applying scripts.';

CALL ops.apply_security_baseline();
