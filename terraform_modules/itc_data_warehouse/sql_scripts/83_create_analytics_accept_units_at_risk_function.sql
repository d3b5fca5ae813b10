-- Closing a month over units at risk (analytics.units_at_risk) takes a recorded acceptance:
-- `itc invoice --close --accept-risk "<reason>"` calls analytics.accept_units_at_risk(month, reason)
-- before analytics.close_month, in the same transaction. The acceptance is an 'accept_risk' event of
-- the finance audit trail (ops.finance_audit), with the login (set by the database), the reason and the
-- count of the month's units at risk (its month, or no readable month), and the transaction: close_month
-- accepts only an acceptance made in its own transaction, covering at least the units at risk it sees. No PHI.
ALTER TABLE ops.finance_audit DROP CONSTRAINT finance_audit_action_check;
ALTER TABLE ops.finance_audit ADD CONSTRAINT finance_audit_action_check
    CHECK (action IN ('insert', 'update', 'delete', 'close', 'accept_risk'));
COMMENT ON COLUMN ops.finance_audit.action IS 'insert, update, delete, close (a month closed by analytics.close_month), or accept_risk (finance accepted a month''s units at risk before closing it). Not PHI.';

CREATE FUNCTION analytics.accept_units_at_risk(p_month text, p_reason text) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    IF p_month IS NULL OR p_month !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' THEN
        RAISE EXCEPTION 'accept_units_at_risk: month % is not YYYY-MM', coalesce(quote_literal(p_month), 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_reason IS NULL OR btrim(p_reason) = '' THEN
        RAISE EXCEPTION 'accept_units_at_risk: say why the units at risk of % are accepted (the reason is empty)', p_month
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT count(*) INTO n FROM analytics.units_at_risk WHERE service_month IS NULL OR service_month = p_month;
    INSERT INTO ops.finance_audit (action, object, object_key, new_row)
    VALUES ('accept_risk', 'analytics.units_at_risk', p_month,
            jsonb_build_object('billing_month', p_month, 'units_at_risk', n, 'reason', btrim(p_reason),
                               'transaction', txid_current()::text));
    RETURN n;
END;
$$;
COMMENT ON FUNCTION analytics.accept_units_at_risk(text, text) IS
    'Finance accepts the units at risk of a month (analytics.units_at_risk: of that month or of no readable month) before closing it: records an accept_risk event in ops.finance_audit with the reason, the count and the transaction (close_month, in the same transaction, then closes the month); returns the count. Executed by itc_finance.';
CALL ops.apply_quarantine_grants();
