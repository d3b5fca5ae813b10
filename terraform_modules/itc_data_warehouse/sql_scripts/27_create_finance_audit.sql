-- The finance audit trail (docs/adr/0006-unit-ledger-and-billing-accounts.md): every change to prices, billing accounts, their names and the
-- settings, and every month close - who (the database login, session_user), when, what (the row
-- before and after). Written by triggers that run as the owner (SECURITY DEFINER), so finance
-- (itc_finance) needs no privilege on it to be audited and cannot write it directly; the login and
-- the time are set by the database, never taken from the caller. Append-only. Finance reads it.
-- Rows of ref tables also get created_at/created_by stamped by the database on insert.
CREATE TABLE ops.finance_audit (
    event_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    login       text        NOT NULL DEFAULT session_user,
    action      text        NOT NULL CHECK (action IN ('insert', 'update', 'delete', 'close')),
    object      text        NOT NULL,
    object_key  text,
    old_row     jsonb,
    new_row     jsonb
);
CREATE INDEX finance_audit_object_idx ON ops.finance_audit (object, occurred_at DESC);
COMMENT ON TABLE ops.finance_audit IS 'Audit trail of finance data: each insert/update/delete of ref.price_list, ref.billing_accounts, ref.billing_account_names and ref.settings, and each month close, with the login, the time and the row before/after. Append-only; written by triggers. No PHI.';
COMMENT ON COLUMN ops.finance_audit.event_id IS 'Event identifier (order of events). Not PHI.';
COMMENT ON COLUMN ops.finance_audit.occurred_at IS 'When the change happened (transaction time, set by the database). Not PHI.';
COMMENT ON COLUMN ops.finance_audit.login IS 'The database login that made it (session_user, set by the database). Not PHI.';
COMMENT ON COLUMN ops.finance_audit.action IS 'insert, update, delete, or close (a month closed by analytics.close_month). Not PHI.';
COMMENT ON COLUMN ops.finance_audit.object IS 'Table changed (schema.table). Not PHI.';
COMMENT ON COLUMN ops.finance_audit.object_key IS 'Key of the row changed (price_id, account_id, kind:value, setting key, billing month). Not PHI.';
COMMENT ON COLUMN ops.finance_audit.old_row IS 'The row before the change (update, delete). Not PHI.';
COMMENT ON COLUMN ops.finance_audit.new_row IS 'The row after the change (insert, update, close). Not PHI.';

CREATE FUNCTION ops.stamp_finance_audit() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.occurred_at := now();
    NEW.login := session_user;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION ops.stamp_finance_audit() IS 'Trigger: the audit row''s time and login are the database''s, whatever the insert says.';
CREATE TRIGGER finance_audit_stamp BEFORE INSERT ON ops.finance_audit
    FOR EACH ROW EXECUTE FUNCTION ops.stamp_finance_audit();

CREATE FUNCTION ops.refuse_finance_audit_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ops.finance_audit is an append-only audit trail: % is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
COMMENT ON FUNCTION ops.refuse_finance_audit_change() IS 'Trigger: refuses UPDATE, DELETE and TRUNCATE of the finance audit trail.';
CREATE TRIGGER finance_audit_append_only BEFORE UPDATE OR DELETE ON ops.finance_audit
    FOR EACH ROW EXECUTE FUNCTION ops.refuse_finance_audit_change();
CREATE TRIGGER finance_audit_no_truncate BEFORE TRUNCATE ON ops.finance_audit
    FOR EACH STATEMENT EXECUTE FUNCTION ops.refuse_finance_audit_change();

-- TG_ARGV[0]: the column(s) that key the row, joined by ':' (e.g. 'match_kind:match_value')
CREATE FUNCTION ops.audit_finance_change() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    row_json jsonb := CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
    row_key  text;
BEGIN
    SELECT string_agg(row_json ->> k, ':' ORDER BY ord) INTO row_key
    FROM unnest(string_to_array(TG_ARGV[0], ':')) WITH ORDINALITY AS t (k, ord);
    INSERT INTO ops.finance_audit (action, object, object_key, old_row, new_row)
    VALUES (CASE WHEN TG_TABLE_NAME = 'closed_months' THEN 'close' ELSE lower(TG_OP) END,
            TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, row_key,
            CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) END,
            CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN to_jsonb(NEW) END);
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION ops.audit_finance_change() FROM PUBLIC;
COMMENT ON FUNCTION ops.audit_finance_change() IS 'Trigger (runs as the owner): records a change of finance data in ops.finance_audit; TG_ARGV[0] names the key column(s), '':''-separated.';

CREATE FUNCTION ref.stamp_created() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.created_at := now();
    NEW.created_by := session_user;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION ref.stamp_created() IS 'Trigger: created_at and created_by of a new finance row are the database''s time and login, whatever the insert says.';

DO $audit$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('ref', 'price_list', 'price_id', true),
        ('ref', 'billing_accounts', 'account_id', true),
        ('ref', 'billing_account_names', 'match_kind:match_value', true),
        ('ref', 'settings', 'key', false),
        ('analytics', 'closed_months', 'billing_month', false)
    ) AS v (schema_name, table_name, key_columns, stamp)
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER %s ON %I.%I FOR EACH ROW EXECUTE FUNCTION ops.audit_finance_change(%L)',
                       t.table_name || '_audit',
                       CASE WHEN t.table_name = 'closed_months' THEN 'INSERT' ELSE 'INSERT OR UPDATE OR DELETE' END,
                       t.schema_name, t.table_name, t.key_columns);
        IF t.stamp THEN
            EXECUTE format('CREATE TRIGGER %I BEFORE INSERT ON %I.%I FOR EACH ROW EXECUTE FUNCTION ref.stamp_created()',
                           t.table_name || '_stamp_created', t.schema_name, t.table_name);
        END IF;
    END LOOP;
END
$audit$;
