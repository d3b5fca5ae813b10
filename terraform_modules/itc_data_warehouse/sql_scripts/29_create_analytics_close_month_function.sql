-- Invoicing (docs/adr/0006-unit-ledger-and-billing-accounts.md): analytics.close_month(month,
-- closed_by) freezes a month's open units (analytics.invoice_units: usage + pending adjustments) into
-- analytics.closed_billable_units and their sums into analytics.closed_invoice_lines, and records the
-- month in analytics.closed_months; closing twice is an error. A month with billable units at risk
-- (analytics.units_at_risk: of that month or of no readable month) closes only in the transaction in
-- which finance accepted them (analytics.accept_units_at_risk): the gate is here, not only in `itc`,
-- so a finance login with psql cannot leave units out unrecorded. No PHI.

-- SECURITY DEFINER: finance (itc_finance) closes months without any write privilege on the closed
-- tables; the function records the caller's login itself.
CREATE FUNCTION analytics.close_month(p_month text, p_closed_by text) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    done        analytics.closed_months%ROWTYPE;
    month_end   timestamptz;
    unpriced    text;
    n_units     bigint;
    n_lines     integer;
    total       numeric(14,2);
    at_risk     bigint;
BEGIN
    IF p_month IS NULL OR p_month !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' THEN
        RAISE EXCEPTION 'close_month: month % is not YYYY-MM', coalesce(quote_literal(p_month), 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_closed_by IS NULL OR btrim(p_closed_by) = '' THEN
        RAISE EXCEPTION 'close_month: say who closes month % (closed_by is empty)', p_month
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('itc'), hashtext('close_month'));
    SELECT * INTO done FROM analytics.closed_months WHERE billing_month = p_month;
    IF FOUND THEN
        RAISE EXCEPTION 'close_month: month % is already closed (closed at % by %); later changes appear as adjustment lines on the next open invoice',
            p_month, done.closed_at, done.closed_by
            USING ERRCODE = 'unique_violation';
    END IF;
    month_end := ref.month_start(p_month) + interval '1 month';
    IF month_end > now() THEN
        RAISE EXCEPTION 'close_month: month % has not ended yet in time zone % (it ends at %)',
            p_month, ref.business_time_zone(), month_end
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_class WHERE oid = 'analytics.billable_unit_events'::regclass AND NOT relispopulated) THEN
        RAISE EXCEPTION 'close_month: the analytics views have never been refreshed; run the refresh first'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    -- the view and the acceptance are defined later (units at risk); PL/pgSQL resolves them when run
    SELECT count(*) INTO at_risk FROM analytics.units_at_risk WHERE service_month IS NULL OR service_month = p_month;
    IF at_risk > 0 AND NOT EXISTS (
        SELECT 1 FROM ops.finance_audit
        WHERE action = 'accept_risk' AND object_key = p_month
          AND new_row ->> 'transaction' = txid_current()::text
          AND (new_row ->> 'units_at_risk')::bigint >= at_risk) THEN
        RAISE EXCEPTION 'close_month: % billable unit(s) of month % or of no readable month are at risk (analytics.units_at_risk); fix the source and load again, or accept them first in the same transaction (analytics.accept_units_at_risk)',
            at_risk, p_month
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    CREATE TEMPORARY TABLE close_month_units ON COMMIT DROP AS
    SELECT * FROM analytics.invoice_units WHERE billing_month = p_month AND status = 'open';
    SELECT string_agg(DISTINCT product || ' in ' || service_month, ', ' ORDER BY product || ' in ' || service_month)
    INTO unpriced FROM close_month_units WHERE unit_price IS NULL;
    IF unpriced IS NOT NULL THEN
        RAISE EXCEPTION 'close_month: month % has usage with no price in force: % (add the prices to ref.price_list)',
            p_month, unpriced
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;

    INSERT INTO analytics.closed_billable_units
        (billing_month, service_month, firm_name, billing_account_id, product, line_type, unit_price, currency,
         unit_id, quantity, event_at, source_firm_name, customer_id, load_id, source_key, manifest_key,
         manifest_version_id, manifest_sha256, extracted_at)
    SELECT billing_month, service_month, firm_name, billing_account_id, product, line_type, unit_price, currency,
           unit_id, quantity, event_at, source_firm_name, customer_id, load_id, source_key, manifest_key,
           manifest_version_id, manifest_sha256, extracted_at
    FROM close_month_units;
    GET DIAGNOSTICS n_units = ROW_COUNT;
    -- the lines are the sums of the units just frozen (one snapshot: lines = units, always)
    INSERT INTO analytics.closed_invoice_lines
        (billing_month, service_month, firm_name, billing_account_id, product, line_type, quantity, unit_price,
         currency, amount)
    SELECT billing_month, service_month, firm_name, billing_account_id, product, line_type, sum(quantity),
           unit_price, currency, round(sum(quantity) * unit_price, 2)
    FROM analytics.closed_billable_units
    WHERE billing_month = p_month
    GROUP BY billing_month, service_month, firm_name, billing_account_id, product, line_type, unit_price, currency;
    GET DIAGNOSTICS n_lines = ROW_COUNT;
    SELECT coalesce(sum(amount), 0) INTO total FROM analytics.closed_invoice_lines WHERE billing_month = p_month;
    INSERT INTO analytics.closed_months (billing_month, closed_by, closed_by_login, line_count, unit_count, total_amount)
    VALUES (p_month, btrim(p_closed_by), session_user, n_lines, n_units, total);
    DROP TABLE close_month_units;
    RETURN n_lines;
END;
$$;
REVOKE ALL ON FUNCTION analytics.close_month(text, text) FROM PUBLIC;
COMMENT ON FUNCTION analytics.close_month(text, text) IS 'Close an invoice month (YYYY-MM) that has ended: freezes its open units (usage + pending adjustments) into analytics.closed_billable_units and their sums into analytics.closed_invoice_lines; returns the number of lines. Errors: bad month, month not ended, views never refreshed, units at risk not accepted in the same transaction (analytics.accept_units_at_risk), products with usage but no price in force (all named), month already closed. Refresh the views first so the units are current. EXECUTE: the owner and itc_finance.';
