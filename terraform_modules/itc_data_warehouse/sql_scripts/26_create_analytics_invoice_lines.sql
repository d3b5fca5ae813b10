-- Invoicing: usage quantities, invoice lines, and month close (DESIGN.md §5).
--
-- analytics.usage_quantities: per service month, firm and product, the billable quantity, live
--   from the analytics views (demand_uploaded, demand_archived, verifyplus_request).
-- analytics.invoice_lines: what each monthly invoice holds, per billing_month (the invoice),
--   firm and product, quantity x the unit price in force in the SERVICE month -> amount:
--   * an OPEN month (not closed): its usage lines, computed live (line_type 'usage', status 'open');
--   * a CLOSED month (analytics.close_month): exactly the lines frozen at close (status 'closed'),
--     never rewritten;
--   * ADJUSTMENTS: when the live quantity of a closed service month later differs from what its
--     closed lines billed (usage + earlier adjustments), the difference appears as a line_type
--     'adjustment' line on the NEXT invoice to be closed: billing_month = the month after the
--     latest closed month, service_month = the closed month it adjusts, priced at that service
--     month's unit price. Closing that month freezes the adjustment with it.
--   Zero-quantity lines are not shown. A line with no price in force has null unit_price/amount;
--   close_month refuses to close such a month and the quality checks fail on it.
-- analytics.close_month(month, closed_by): freezes a month; closing twice is an error.
-- No PHI: quantities per firm and product.

CREATE VIEW analytics.usage_quantities AS
SELECT s.billing_month AS service_month, s.sending_firm_name AS firm_name,
       'demand_uploaded'::text AS product, s.uploaded_count AS quantity
FROM analytics.demands_summary AS s
WHERE s.uploaded_count <> 0
UNION ALL
SELECT s.billing_month, s.sending_firm_name, 'demand_archived', s.archived_count
FROM analytics.demands_summary AS s
WHERE s.archived_count <> 0
UNION ALL
SELECT v.billing_month, v.firm_name, 'verifyplus_request', v.billable_requests
FROM analytics.verifyplus_monthly AS v
WHERE v.billable_requests <> 0;

COMMENT ON VIEW analytics.usage_quantities IS 'Billable quantity per service month, firm and product, live from analytics.demands_summary and analytics.verifyplus_monthly (as of their last refresh). No PHI.';
COMMENT ON COLUMN analytics.usage_quantities.service_month IS 'Month the usage happened (YYYY-MM, business time zone). Not PHI.';
COMMENT ON COLUMN analytics.usage_quantities.firm_name IS 'Firm billed. Not PHI.';
COMMENT ON COLUMN analytics.usage_quantities.product IS 'Product (ref.products). Not PHI.';
COMMENT ON COLUMN analytics.usage_quantities.quantity IS 'Units used in the month (non-zero). Not PHI.';

CREATE TABLE analytics.closed_months (
    billing_month text        PRIMARY KEY CHECK (billing_month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    closed_at     timestamptz NOT NULL DEFAULT now(),
    closed_by     text        NOT NULL CHECK (btrim(closed_by) <> ''),
    line_count    integer     NOT NULL,
    total_amount  numeric(14,2) NOT NULL
);
COMMENT ON TABLE analytics.closed_months IS 'Invoice months that are closed (analytics.close_month): their lines are frozen in analytics.closed_invoice_lines. No PHI.';
COMMENT ON COLUMN analytics.closed_months.billing_month IS 'The closed invoice month, YYYY-MM. Not PHI.';
COMMENT ON COLUMN analytics.closed_months.closed_at IS 'When it was closed. Not PHI.';
COMMENT ON COLUMN analytics.closed_months.closed_by IS 'Who closed it (name given to close_month). Not PHI.';
COMMENT ON COLUMN analytics.closed_months.line_count IS 'Invoice lines frozen at close. Not PHI.';
COMMENT ON COLUMN analytics.closed_months.total_amount IS 'Sum of the frozen lines'' amounts (all currencies added; one currency in practice). Not PHI.';

CREATE TABLE analytics.closed_invoice_lines (
    line_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    billing_month text          NOT NULL REFERENCES analytics.closed_months (billing_month) DEFERRABLE INITIALLY DEFERRED,
    service_month text          NOT NULL,
    firm_name     text          NOT NULL,
    product       text          NOT NULL REFERENCES ref.products (product),
    line_type     text          NOT NULL CHECK (line_type IN ('usage', 'adjustment')),
    quantity      bigint        NOT NULL,
    unit_price    numeric(12,2) NOT NULL,
    currency      char(3)       NOT NULL,
    amount        numeric(14,2) NOT NULL,
    closed_at     timestamptz   NOT NULL DEFAULT now(),
    UNIQUE (billing_month, service_month, firm_name, product, line_type)
);
CREATE INDEX closed_invoice_lines_service_idx ON analytics.closed_invoice_lines (service_month, firm_name, product);
COMMENT ON TABLE analytics.closed_invoice_lines IS 'Invoice lines frozen when their month was closed; immutable (updates and deletes are refused). No PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.line_id IS 'Row identifier. Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.billing_month IS 'Invoice month the line was billed on (a closed month). Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.service_month IS 'Month of the usage billed; earlier than billing_month for an adjustment. Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.firm_name IS 'Firm billed. Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.product IS 'Product (ref.products). Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.line_type IS 'usage (the month''s own usage) or adjustment (a later change to a closed month). Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.quantity IS 'Units billed (negative for a downward adjustment). Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.unit_price IS 'Unit price in force in the service month at close time. Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.currency IS 'ISO 4217 currency. Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.amount IS 'quantity x unit_price. Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.closed_at IS 'When the line was frozen. Not PHI.';

CREATE FUNCTION analytics.refuse_closed_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%.% is append-only: a closed month is never rewritten (later changes appear as adjustment lines)',
        TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
COMMENT ON FUNCTION analytics.refuse_closed_change() IS 'Trigger: refuses UPDATE, DELETE and TRUNCATE of closed invoice data.';
CREATE TRIGGER closed_invoice_lines_immutable BEFORE UPDATE OR DELETE ON analytics.closed_invoice_lines
    FOR EACH ROW EXECUTE FUNCTION analytics.refuse_closed_change();
CREATE TRIGGER closed_invoice_lines_no_truncate BEFORE TRUNCATE ON analytics.closed_invoice_lines
    FOR EACH STATEMENT EXECUTE FUNCTION analytics.refuse_closed_change();
CREATE TRIGGER closed_months_immutable BEFORE UPDATE OR DELETE ON analytics.closed_months
    FOR EACH ROW EXECUTE FUNCTION analytics.refuse_closed_change();
CREATE TRIGGER closed_months_no_truncate BEFORE TRUNCATE ON analytics.closed_months
    FOR EACH STATEMENT EXECUTE FUNCTION analytics.refuse_closed_change();

CREATE VIEW analytics.invoice_lines AS
WITH next_invoice AS (
    SELECT to_char(to_date(max(c.billing_month) || '-01', 'YYYY-MM-DD') + interval '1 month', 'YYYY-MM') AS billing_month
    FROM analytics.closed_months AS c
),
billed AS (
    SELECT l.service_month, l.firm_name, l.product, sum(l.quantity) AS quantity
    FROM analytics.closed_invoice_lines AS l
    GROUP BY 1, 2, 3
),
open_lines AS (
    SELECT u.service_month AS billing_month, u.service_month, u.firm_name, u.product,
           'usage'::text AS line_type, u.quantity
    FROM analytics.usage_quantities AS u
    WHERE NOT EXISTS (SELECT 1 FROM analytics.closed_months c WHERE c.billing_month = u.service_month)
    UNION ALL
    SELECT n.billing_month, d.service_month, d.firm_name, d.product, 'adjustment', d.quantity
    FROM (
        SELECT coalesce(u.service_month, b.service_month) AS service_month,
               coalesce(u.firm_name, b.firm_name)         AS firm_name,
               coalesce(u.product, b.product)             AS product,
               coalesce(u.quantity, 0) - coalesce(b.quantity, 0) AS quantity
        FROM analytics.usage_quantities AS u
        FULL OUTER JOIN billed AS b
            ON b.service_month = u.service_month AND b.firm_name = u.firm_name AND b.product = u.product
    ) AS d
    CROSS JOIN next_invoice AS n
    WHERE d.quantity <> 0
      AND EXISTS (SELECT 1 FROM analytics.closed_months c WHERE c.billing_month = d.service_month)
)
SELECT o.billing_month, o.service_month, o.firm_name, o.product, o.line_type,
       o.quantity::bigint AS quantity, p.unit_price, coalesce(p.currency, 'USD')::char(3) AS currency,
       round(o.quantity * p.unit_price, 2)::numeric(14,2) AS amount,
       'open'::text AS status, NULL::timestamptz AS closed_at
FROM open_lines AS o
LEFT JOIN LATERAL ref.unit_price(o.product, o.service_month) AS p ON true
UNION ALL
SELECT l.billing_month, l.service_month, l.firm_name, l.product, l.line_type,
       l.quantity, l.unit_price, l.currency, l.amount, 'closed', l.closed_at
FROM analytics.closed_invoice_lines AS l;

COMMENT ON VIEW analytics.invoice_lines IS 'Invoice lines per billing month, firm and product: live usage for open months, the frozen lines of closed months, and adjustment lines (on the next invoice to close) for later changes to closed months. amount = quantity x unit price in force in the service month. No PHI.';
COMMENT ON COLUMN analytics.invoice_lines.billing_month IS 'Invoice the line belongs to, YYYY-MM. Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.service_month IS 'Month of the usage billed (= billing_month for usage lines; the closed month adjusted for adjustment lines). Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.firm_name IS 'Firm billed. Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.product IS 'Product (ref.products). Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.line_type IS 'usage, or adjustment (a change to a closed month found after it was closed). Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.quantity IS 'Units (negative for a downward adjustment). Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.unit_price IS 'Unit price in force in the service month (ref.price_list); null when none is (the month cannot be closed). Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.currency IS 'ISO 4217 currency. Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.amount IS 'quantity x unit_price, rounded to cents. Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.status IS 'open (live, may still change) or closed (frozen by analytics.close_month). Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.closed_at IS 'When the line was frozen; null while open. Not PHI.';

CREATE FUNCTION analytics.close_month(p_month text, p_closed_by text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    done        analytics.closed_months%ROWTYPE;
    month_end   timestamptz;
    unpriced    text;
    n_lines     integer;
    total       numeric(14,2);
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
    IF EXISTS (SELECT 1 FROM pg_class WHERE oid IN ('analytics.demands_summary'::regclass, 'analytics.verifyplus_monthly'::regclass)
               AND NOT relispopulated) THEN
        RAISE EXCEPTION 'close_month: the analytics views have never been refreshed; run the refresh first'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    SELECT string_agg(DISTINCT product || ' in ' || service_month, ', '
                      ORDER BY product || ' in ' || service_month) INTO unpriced
    FROM analytics.invoice_lines
    WHERE billing_month = p_month AND status = 'open' AND unit_price IS NULL;
    IF unpriced IS NOT NULL THEN
        RAISE EXCEPTION 'close_month: month % has usage with no price in force: % (add the prices to ref.price_list)',
            p_month, unpriced
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;

    INSERT INTO analytics.closed_invoice_lines
        (billing_month, service_month, firm_name, product, line_type, quantity, unit_price, currency, amount)
    SELECT billing_month, service_month, firm_name, product, line_type, quantity, unit_price, currency, amount
    FROM analytics.invoice_lines
    WHERE billing_month = p_month AND status = 'open';
    GET DIAGNOSTICS n_lines = ROW_COUNT;
    SELECT coalesce(sum(amount), 0) INTO total FROM analytics.closed_invoice_lines WHERE billing_month = p_month;
    INSERT INTO analytics.closed_months (billing_month, closed_by, line_count, total_amount)
    VALUES (p_month, btrim(p_closed_by), n_lines, total);
    RETURN n_lines;
END;
$$;
COMMENT ON FUNCTION analytics.close_month(text, text) IS 'Close an invoice month (YYYY-MM) that has ended: freezes its open lines (usage + pending adjustments) into analytics.closed_invoice_lines and returns how many. Errors: bad month, month not ended, views never refreshed, products with usage but no price in force (all named), month already closed. Refresh the views first so the lines are current.';
