-- The access audit trail (docs/access.md): every analyst login granted, renewed or revoked, by whom
-- and why. Written by scripts/itc/access.py (`itc access grant|revoke|list`) in the same transaction as
-- the CREATE/ALTER/DROP ROLE it records. Append-only: updates and deletes are refused.
CREATE TABLE ops.access_grants (
    event_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username     text        NOT NULL,
    action       text        NOT NULL CHECK (action IN ('grant', 'renew', 'revoke')),
    role_granted text        NOT NULL DEFAULT 'itc_analyst',
    actor        text        NOT NULL CHECK (btrim(actor) <> ''),
    reason       text        NOT NULL CHECK (btrim(reason) <> ''),
    valid_until  timestamptz,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    recorded_by  text        NOT NULL DEFAULT session_user,
    CHECK (action = 'revoke' OR valid_until IS NOT NULL)
);
CREATE INDEX access_grants_username_idx ON ops.access_grants (username, recorded_at DESC);
COMMENT ON TABLE ops.access_grants IS 'Audit trail of analyst access: each grant, renewal and revocation of an analyst login, who approved it and why. Append-only.';
COMMENT ON COLUMN ops.access_grants.event_id IS 'Row identifier.';
COMMENT ON COLUMN ops.access_grants.username IS 'The analyst login (database role) concerned.';
COMMENT ON COLUMN ops.access_grants.action IS 'grant (login created), renew (new expiry and password), or revoke (login dropped).';
COMMENT ON COLUMN ops.access_grants.role_granted IS 'Group role the login was made a member of (itc_analyst).';
COMMENT ON COLUMN ops.access_grants.actor IS 'Person who approved the grant or ordered the revocation (granted_by / revoked_by).';
COMMENT ON COLUMN ops.access_grants.reason IS 'Why: the access request ticket and purpose, or the reason for revoking.';
COMMENT ON COLUMN ops.access_grants.valid_until IS 'Expiry of the login (VALID UNTIL) set by a grant or renewal; null for a revocation.';
COMMENT ON COLUMN ops.access_grants.recorded_at IS 'When the change was made.';
COMMENT ON COLUMN ops.access_grants.recorded_by IS 'Database role that executed the change (the administrator''s session user).';

CREATE FUNCTION ops.refuse_access_grants_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ops.access_grants is an append-only audit trail: % is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
COMMENT ON FUNCTION ops.refuse_access_grants_change() IS 'Trigger: refuses UPDATE, DELETE and TRUNCATE of the access audit trail.';
CREATE TRIGGER access_grants_append_only BEFORE UPDATE OR DELETE ON ops.access_grants
    FOR EACH ROW EXECUTE FUNCTION ops.refuse_access_grants_change();
CREATE TRIGGER access_grants_no_truncate BEFORE TRUNCATE ON ops.access_grants
    FOR EACH STATEMENT EXECUTE FUNCTION ops.refuse_access_grants_change();

CALL ops.apply_security_baseline();
