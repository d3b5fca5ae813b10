-- Trail integrity (docs/design.md §6): who recorded an access change, and when, is set by the database,
-- not by the caller. The columns' defaults (ops.access_grants) could be overridden by an INSERT naming them; this
-- BEFORE INSERT trigger overwrites them with the session's login (session_user: unchanged by SET ROLE)
-- and the transaction time, whatever the INSERT says. The trail stays append-only (ops.refuse_access_grants_change).
CREATE FUNCTION ops.stamp_access_grant() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.recorded_by := session_user;
    NEW.recorded_at := now();
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION ops.stamp_access_grant() IS 'Trigger: sets ops.access_grants.recorded_by to the session''s login and recorded_at to now(), overriding what an INSERT says.';
CREATE TRIGGER access_grants_stamp BEFORE INSERT ON ops.access_grants
    FOR EACH ROW EXECUTE FUNCTION ops.stamp_access_grant();

COMMENT ON COLUMN ops.access_grants.role_granted IS 'Group role the login was granted: itc_analyst, or phi_reader for a PHI grant (itc access grant --phi; such a login holds itc_analyst too).';
COMMENT ON COLUMN ops.access_grants.recorded_at IS 'When the change was made: set by the database (trigger access_grants_stamp), never by the caller.';
COMMENT ON COLUMN ops.access_grants.recorded_by IS 'The login (session user) that executed the change: set by the database (trigger access_grants_stamp), never by the caller.';

CALL ops.apply_security_baseline();
