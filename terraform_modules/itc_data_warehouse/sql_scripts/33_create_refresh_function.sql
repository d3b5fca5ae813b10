-- Refreshing without owning: PostgreSQL 16 lets only a materialized view's OWNER refresh it (the
-- MAINTAIN privilege arrives in 17), and the owner must read every raw column the view reads, PHI
-- included. Making the refresher a member of the owner would hand it all of that. Instead the owner
-- (itc_migrator, see ops.apply_security_baseline) owns this SECURITY DEFINER function, and only itc_refresher may
-- EXECUTE it: the refresher can refresh the curated/analytics materialized views and nothing else.
CREATE FUNCTION ops.refresh_materialized_view(view_name text, concurrent boolean DEFAULT true)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    target record;
BEGIN
    SELECT n.nspname, c.relname, c.relispopulated INTO target
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.relkind = 'm'
      AND n.nspname IN ('curated', 'analytics')
      AND n.nspname || '.' || c.relname = view_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ops.refresh_materialized_view: "%" is not a materialized view of curated or analytics', view_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- CONCURRENTLY (readers not blocked) needs a populated view: the first refresh is a plain one
    IF concurrent AND target.relispopulated THEN
        EXECUTE format('REFRESH MATERIALIZED VIEW CONCURRENTLY %I.%I', target.nspname, target.relname);
        RETURN true;
    END IF;
    EXECUTE format('REFRESH MATERIALIZED VIEW %I.%I', target.nspname, target.relname);
    RETURN false;
END
$fn$;
REVOKE ALL ON FUNCTION ops.refresh_materialized_view(text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION ops.refresh_materialized_view(text, boolean) IS
    'Refresh one curated/analytics materialized view ("schema.name") as its owner; concurrent=true uses REFRESH CONCURRENTLY when the view is populated. Returns whether it was concurrent. EXECUTE: itc_refresher only.';
