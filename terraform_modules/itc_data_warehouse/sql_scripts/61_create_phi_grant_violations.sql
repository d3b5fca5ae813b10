-- PHI access is granted for at most 90 days, recorded in ops.access_grants (`itc access grant --phi`,
-- docs/access.md). This check holds the database to it, whoever made the grant: every role that is a
-- member of phi_reader (directly or through another role; superusers aside, they read everything
-- anyway) must have, as its latest ops.access_grants record, a grant or renewal of phi_reader that is
-- unexpired and at most 90 days long, and the login must not outlive it. A hand-run
-- `GRANT phi_reader TO someone` has no such record and is flagged. Run by the orchestrator's quality
-- checks (check phi_grants, level error: the QualityCheckFailures alarm) and by `itc access review`.
-- Roles are cluster-wide and ops.access_grants is per database: on a cluster holding several ITC
-- databases, a PHI grant is recorded in each database it is meant for.
CREATE FUNCTION ops.phi_grant_violations()
RETURNS TABLE (username text, held_through text, problem text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
    WITH members AS (
        SELECT r.oid, r.rolname::text AS username, r.rolvaliduntil,
               coalesce((SELECT string_agg(g.rolname::text, ', ' ORDER BY g.rolname)
                         FROM pg_auth_members AS m JOIN pg_roles AS g ON g.oid = m.member
                         WHERE m.roleid = 'phi_reader'::regrole AND g.oid <> r.oid
                           AND pg_has_role(r.oid, g.oid, 'MEMBER')), '') AS via,
               EXISTS (SELECT 1 FROM pg_auth_members AS m
                       WHERE m.roleid = 'phi_reader'::regrole AND m.member = r.oid) AS direct
        FROM pg_roles AS r
        WHERE r.rolname <> 'phi_reader' AND NOT r.rolsuper
          AND pg_has_role(r.oid, 'phi_reader'::regrole, 'MEMBER')
    ), latest AS (
        SELECT DISTINCT ON (a.username) a.username, a.action, a.role_granted, a.valid_until, a.recorded_at
        FROM ops.access_grants AS a
        ORDER BY a.username, a.recorded_at DESC, a.event_id DESC
    )
    SELECT m.username,
           CASE WHEN m.direct AND m.via = '' THEN 'phi_reader'
                WHEN m.direct THEN 'phi_reader, and through ' || m.via
                ELSE 'through ' || m.via END,
           CASE
               WHEN l.username IS NULL THEN 'no recorded grant (ops.access_grants): granted by hand'
               WHEN l.action = 'revoke' THEN 'its latest record is a revocation'
               WHEN l.role_granted <> 'phi_reader' THEN 'its latest grant is not a PHI grant (role ' || l.role_granted || ')'
               WHEN l.valid_until <= now() THEN 'its PHI grant expired on ' || to_char(l.valid_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC'
               WHEN l.valid_until > l.recorded_at + interval '90 days' THEN 'its PHI grant lasts more than 90 days'
               WHEN m.rolvaliduntil IS NULL OR m.rolvaliduntil > l.valid_until + interval '1 minute'
                   THEN 'the login outlives its PHI grant (VALID UNTIL ' || coalesce(to_char(m.rolvaliduntil AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC', 'never') || ')'
           END
    FROM members AS m
    LEFT JOIN latest AS l ON l.username = m.username
    WHERE l.username IS NULL OR l.action = 'revoke' OR l.role_granted <> 'phi_reader'
       OR l.valid_until <= now() OR l.valid_until > l.recorded_at + interval '90 days'
       OR m.rolvaliduntil IS NULL OR m.rolvaliduntil > l.valid_until + interval '1 minute'
    ORDER BY m.username
$fn$;
REVOKE ALL ON FUNCTION ops.phi_grant_violations() FROM PUBLIC;
COMMENT ON FUNCTION ops.phi_grant_violations() IS
    'Members of phi_reader (directly or through another role) without an unexpired PHI grant of at most 90 days as their latest ops.access_grants record, or whose login outlives it: one row per role, with how it holds phi_reader and the problem. Empty when every PHI reader is granted. EXECUTE: the owner and itc_refresher (quality check phi_grants).';

CALL ops.apply_security_baseline();
