-- REFRESH MATERIALIZED VIEW CONCURRENTLY builds its diff in a temporary table, as the view's OWNER.
-- The views are owned by itc_migrator and refreshed through the SECURITY DEFINER function
-- ops.refresh_materialized_view, so itc_migrator needs TEMPORARY on the database; the
-- security baseline (ops.apply_security_baseline) revokes everything from PUBLIC and grants TEMPORARY to the loaders
-- only, which made every refresh after the first fail with "permission denied to create temporary
-- tables". An explicit grant to itc_migrator is not touched by the baseline's REVOKE ... FROM PUBLIC.
DO $grant$
BEGIN
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO itc_migrator', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'TEMPORARY for itc_migrator left unchanged: % is not the database owner', current_user;
END
$grant$;
