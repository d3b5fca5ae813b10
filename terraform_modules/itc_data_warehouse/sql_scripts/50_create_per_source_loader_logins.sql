-- Per-source loader logins (docs/design.md §6, least privilege per step): each pipeline's load function
-- connects as its own login, which writes only its own source's raw tables and records only its own
-- source's load runs and rejected records.
--   itc_loader_demand      raw.cases, raw.metadata, raw.templates, raw.audit: SELECT, INSERT, UPDATE, DELETE
--   itc_loader_verifyplus  raw.verifyplus: SELECT, INSERT, UPDATE, DELETE
--   both                   ops.load_runs: SELECT and INSERT of their own source's rows only (row-level
--                          security); finishing a run only through ops.finish_load_run (SECURITY DEFINER:
--                          the caller's own source, a run it opened in this transaction), never UPDATE;
--                          ops.rejected_records: SELECT, INSERT of rows of their own source and own load
--                          runs only (a trigger: COPY FROM does not support row-level security);
--                          ops.latest_loads: SELECT (the ordering guard); TEMPORARY (COPY staging).
-- No DDL, no TRUNCATE, no other schema, no other source's tables. The grants are applied by
-- ops.apply_loader_login_grants(), which the security baseline (ops.apply_security_baseline) calls when it exists.
-- They replace the legacy login itc_loader, which no script creates any more; where an earlier migration
-- left it, the security baseline revokes everything it had (34_create_security_baseline.sql's header says how to drop it).

DO $logins$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT * FROM (VALUES
            ('itc_loader_demand', 'Login of the demand load function: DML on raw.cases, raw.metadata, raw.templates, raw.audit; appends its own demand load runs and rejected records; no DDL, no other source.'),
            ('itc_loader_verifyplus', 'Login of the Verify+ load function: DML on raw.verifyplus; appends its own verifyplus load runs and rejected records; no DDL, no other source.')
        ) AS t(name, note)
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r.name) THEN
            EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT',
                           r.name);
        END IF;
        EXECUTE format('COMMENT ON ROLE %I IS %L', r.name, r.note);
    END LOOP;

    -- RDS: the load functions authenticate with IAM as their own login
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') THEN
        GRANT rds_iam TO itc_loader_demand, itc_loader_verifyplus;
    END IF;
END
$logins$;

-- ops.load_runs: each per-source login sees and inserts its own source's rows only; every other role
-- (itc_refresher, the views' owner) is unchanged. The owner and superusers bypass RLS.
ALTER TABLE ops.load_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY load_runs_other_roles ON ops.load_runs
    USING (current_user NOT IN ('itc_loader_demand', 'itc_loader_verifyplus'))
    WITH CHECK (current_user NOT IN ('itc_loader_demand', 'itc_loader_verifyplus'));
COMMENT ON POLICY load_runs_other_roles ON ops.load_runs IS
    'Every role but the per-source loader logins: row-level security changes nothing for it (its table grants decide).';
CREATE POLICY load_runs_demand_loader ON ops.load_runs TO itc_loader_demand
    USING (source = 'demand') WITH CHECK (source = 'demand');
COMMENT ON POLICY load_runs_demand_loader ON ops.load_runs IS
    'itc_loader_demand reads and inserts demand load runs only.';
CREATE POLICY load_runs_verifyplus_loader ON ops.load_runs TO itc_loader_verifyplus
    USING (source = 'verifyplus') WITH CHECK (source = 'verifyplus');
COMMENT ON POLICY load_runs_verifyplus_loader ON ops.load_runs IS
    'itc_loader_verifyplus reads and inserts verifyplus load runs only.';

-- The one place a login is mapped to the source it loads (NULL: not a per-source loader login).
CREATE FUNCTION ops.loader_source(login name) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT CASE login WHEN 'itc_loader_demand' THEN 'demand' WHEN 'itc_loader_verifyplus' THEN 'verifyplus' END
$fn$;
COMMENT ON FUNCTION ops.loader_source(name) IS
    'The source a per-source loader login loads (itc_loader_demand: demand, itc_loader_verifyplus: verifyplus); NULL for any other role.';

-- ops.rejected_records is filled with COPY FROM, which row-level security does not support: a trigger
-- holds each per-source login to its own source and its own load runs (whose lookup the policies above
-- already limit to its source).
CREATE FUNCTION ops.rejected_records_own_source() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    own constant text := ops.loader_source(current_user);
BEGIN
    IF own IS NULL THEN
        RETURN NEW;
    END IF;
    IF NEW.source IS DISTINCT FROM own
       OR NOT EXISTS (SELECT 1 FROM ops.load_runs AS l WHERE l.load_id = NEW.load_id AND l.source = own) THEN
        RAISE EXCEPTION '% may record rejected records of its own % load runs only (got source %, load %)',
                        current_user, own, NEW.source, NEW.load_id
              USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION ops.rejected_records_own_source() IS
    'Trigger of ops.rejected_records: a per-source loader login (itc_loader_demand, itc_loader_verifyplus) inserts rows of its own source and its own load runs only; other roles are unchanged.';
CREATE TRIGGER rejected_records_own_source BEFORE INSERT ON ops.rejected_records
    FOR EACH ROW EXECUTE FUNCTION ops.rejected_records_own_source();

-- Finishing a load run: the one way a loader changes a load run after inserting it.
CREATE FUNCTION ops.finish_load_run(p_load_id bigint, p_status text, p_records bigint, p_loaded bigint,
                                    p_rejected bigint, p_deleted bigint, p_table_counts jsonb)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    own constant text := ops.loader_source(session_user);
BEGIN
    -- a run still open is one inserted in this transaction: its finished_at is still the default, the
    -- transaction's start (now()); a finished run, or any earlier one, can never be changed here
    UPDATE ops.load_runs
       SET status = p_status, finished_at = clock_timestamp(), records = p_records, loaded = p_loaded,
           rejected = p_rejected, deleted = p_deleted, table_counts = p_table_counts
     WHERE load_id = p_load_id AND finished_at = now() AND (own IS NULL OR source = own);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'load run % is not a run% opened in this transaction: only such a run can be finished',
                        p_load_id, coalesce(' of ' || own, '')
              USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$fn$;
REVOKE ALL ON FUNCTION ops.finish_load_run(bigint, text, bigint, bigint, bigint, bigint, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION ops.finish_load_run(bigint, text, bigint, bigint, bigint, bigint, jsonb) IS
    'Finish a load run opened in the current transaction: its status, counts and finished_at. A per-source loader login finishes runs of its own source only. SECURITY DEFINER: the loaders have no UPDATE on ops.load_runs.';

-- The grants of the two logins, re-applied by the security baseline after every migration.
-- A bulk load leaves the planner without statistics for rows it just wrote until autovacuum's ANALYZE
-- comes round; the refresh that follows a load would plan its joins on empty-table estimates (measured:
-- curated.demands_archived ran for over 13 minutes after a 1,000,000-demand first load). The load
-- analyzes what it wrote, in its own transaction. PostgreSQL 16 lets only a table's owner ANALYZE it
-- (MAINTAIN arrives in 17), hence this SECURITY DEFINER function, for the loader logins' own raw tables.
CREATE FUNCTION ops.analyze_loaded_table(table_name text) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    target regclass;
BEGIN
    SELECT c.oid INTO target
    FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname = 'raw' AND n.nspname || '.' || c.relname = table_name;
    IF target IS NULL OR NOT has_table_privilege(session_user, target, 'INSERT') THEN
        RAISE EXCEPTION 'ops.analyze_loaded_table: "%" is not a raw table this login loads', table_name
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE format('ANALYZE %s', target);
END
$fn$;
REVOKE ALL ON FUNCTION ops.analyze_loaded_table(text) FROM PUBLIC;
COMMENT ON FUNCTION ops.analyze_loaded_table(text) IS
    'ANALYZE one raw table ("raw.name") the calling login may load (INSERT), as its owner: a load refreshes the planner statistics of what it wrote before it commits. EXECUTE: the per-source loader logins.';

CREATE PROCEDURE ops.apply_loader_login_grants()
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $proc$
DECLARE
    logins constant text := 'itc_loader_demand, itc_loader_verifyplus';
    schema_name text;
BEGIN
    -- start from nothing in the ITC schemas
    FOREACH schema_name IN ARRAY ARRAY['raw', 'curated', 'curated_deid', 'analytics', 'ref', 'ops'] LOOP
        IF to_regnamespace(schema_name) IS NOT NULL THEN
            EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %s', schema_name, logins);
            EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %s', schema_name, logins);
            EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %s', schema_name, logins);
            EXECUTE format('REVOKE ALL ON ALL ROUTINES IN SCHEMA %I FROM %s', schema_name, logins);
        END IF;
    END LOOP;

    GRANT USAGE ON SCHEMA raw, ops TO itc_loader_demand, itc_loader_verifyplus;
    GRANT SELECT, INSERT, UPDATE, DELETE ON raw.cases, raw.metadata, raw.templates, raw.audit TO itc_loader_demand;
    GRANT SELECT, INSERT, UPDATE, DELETE ON raw.verifyplus TO itc_loader_verifyplus;
    GRANT SELECT, INSERT ON ops.load_runs, ops.rejected_records TO itc_loader_demand, itc_loader_verifyplus;
    GRANT SELECT ON ops.latest_loads TO itc_loader_demand, itc_loader_verifyplus;
    GRANT EXECUTE ON FUNCTION ops.finish_load_run(bigint, text, bigint, bigint, bigint, bigint, jsonb)
        TO itc_loader_demand, itc_loader_verifyplus;
    -- the rejected-records trigger runs as the loader and asks which source it loads
    GRANT EXECUTE ON FUNCTION ops.loader_source(name) TO itc_loader_demand, itc_loader_verifyplus;
    GRANT EXECUTE ON FUNCTION ops.analyze_loaded_table(text) TO itc_loader_demand, itc_loader_verifyplus;

    BEGIN
        EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %s', current_database(), logins);
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'database-level privileges of % left unchanged: % is not the database owner', logins, current_user;
    END;

    -- the field quarantine's grants, once its script has defined them (81_create_ops_quarantined_fields_table.sql)
    IF to_regprocedure('ops.apply_quarantine_grants()') IS NOT NULL THEN
        CALL ops.apply_quarantine_grants();
    END IF;
END
$proc$;
REVOKE ALL ON PROCEDURE ops.apply_loader_login_grants() FROM PUBLIC;
COMMENT ON PROCEDURE ops.apply_loader_login_grants() IS
    'Re-apply the grants of the per-source loader logins (itc_loader_demand, itc_loader_verifyplus): their own raw tables, their ops rows (ops.quarantined_fields included), TEMPORARY; then ops.apply_quarantine_grants() once it exists. Called by ops.apply_security_baseline(). Idempotent.';

CALL ops.apply_loader_login_grants();
