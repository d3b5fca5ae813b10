-- ref.products and ref.price_list: what ITC bills and at which unit price, effective-dated.
-- MAINTAINED BY FINANCE: to change a price, end the current row (set effective_to) and insert a new
-- row from that date. A closed month keeps the lines it was closed with; re-pricing a period that
-- was already invoiced bills the difference as price_adjustment lines (credit at the old price,
-- re-bill at the new) on the next invoice (analytics.invoice_lines). Every change is audited (ops.finance_audit). Ranges are [effective_from, effective_to): effective_to is
-- the first day the price no longer applies (null = open-ended); ranges of one product may not
-- overlap. The unit price of a billing month is the price in force on the month's first day.
-- The migrations create NO price: a new warehouse has an empty price list until finance enters the
-- contract prices (README "Operate"), and until then an open month with usage fails the quality
-- checks and cannot be closed. The local demo seeds made-up prices of its own
-- (scripts/stack/demo_prices.py), never a migration.
CREATE TABLE ref.products (
    product     text PRIMARY KEY CHECK (product ~ '^[a-z][a-z0-9_]*$'),
    description text NOT NULL,
    unit        text NOT NULL
);
COMMENT ON TABLE ref.products IS 'Billable products (maintained by finance).';
COMMENT ON COLUMN ref.products.product IS 'Product code used on invoice lines (demand_uploaded, demand_archived, verifyplus_request).';
COMMENT ON COLUMN ref.products.description IS 'What is billed.';
COMMENT ON COLUMN ref.products.unit IS 'The unit counted (one demand, one request).';

INSERT INTO ref.products (product, description, unit) VALUES
    ('demand_uploaded', 'Demand package uploaded on Exchange (curated.demands_uploaded, by upload month)', 'demand'),
    ('demand_archived', 'Demand package archived on Exchange (curated.demands_archived, by archive month)', 'demand'),
    ('verifyplus_request', 'Billable Verify+ policy-limit request (not duplicate, not excluded), by request month', 'request');

CREATE TABLE ref.price_list (
    price_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product        text          NOT NULL REFERENCES ref.products (product),
    unit_price     numeric(12,2) NOT NULL CHECK (unit_price >= 0),
    currency       char(3)       NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    effective_from date          NOT NULL,
    effective_to   date          CHECK (effective_to IS NULL OR effective_to > effective_from),
    note           text,
    created_at     timestamptz   NOT NULL DEFAULT now(),
    created_by     text          NOT NULL DEFAULT current_user
);
CREATE INDEX price_list_product_idx ON ref.price_list (product, effective_from);
COMMENT ON TABLE ref.price_list IS 'Unit prices per product, effective-dated [effective_from, effective_to). Maintained by finance; a month is billed at the price in force on its first day.';
COMMENT ON COLUMN ref.price_list.price_id IS 'Row identifier.';
COMMENT ON COLUMN ref.price_list.product IS 'Product priced (ref.products).';
COMMENT ON COLUMN ref.price_list.unit_price IS 'Price of one unit, in currency.';
COMMENT ON COLUMN ref.price_list.currency IS 'ISO 4217 currency code.';
COMMENT ON COLUMN ref.price_list.effective_from IS 'First day the price applies.';
COMMENT ON COLUMN ref.price_list.effective_to IS 'First day the price no longer applies; null = until further notice.';
COMMENT ON COLUMN ref.price_list.note IS 'Why the price was set (contract, change request).';
COMMENT ON COLUMN ref.price_list.created_at IS 'When the row was entered.';
COMMENT ON COLUMN ref.price_list.created_by IS 'Database role that entered it.';

CREATE FUNCTION ref.check_price_overlap() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    clash ref.price_list%ROWTYPE;
BEGIN
    -- serialise writers of one product so two concurrent inserts cannot both pass the check
    PERFORM pg_advisory_xact_lock(hashtext('itc'), hashtext('price_list:' || NEW.product));
    SELECT * INTO clash FROM ref.price_list p
    WHERE p.product = NEW.product
      AND p.price_id <> coalesce(NEW.price_id, -1)
      AND daterange(p.effective_from, p.effective_to) && daterange(NEW.effective_from, NEW.effective_to)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ref.price_list: % price from % overlaps price_id % (% to %); end that row first (set its effective_to)',
            NEW.product, NEW.effective_from, clash.price_id, clash.effective_from, coalesce(clash.effective_to::text, 'open')
            USING ERRCODE = 'exclusion_violation';
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION ref.check_price_overlap() IS 'Trigger: refuses a price whose date range overlaps another price of the same product.';
CREATE TRIGGER price_list_no_overlap BEFORE INSERT OR UPDATE ON ref.price_list
    FOR EACH ROW EXECUTE FUNCTION ref.check_price_overlap();

CREATE FUNCTION ref.unit_price(p_product text, p_billing_month text)
RETURNS TABLE (unit_price numeric, currency char(3), price_id bigint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT p.unit_price, p.currency, p.price_id
    FROM ref.price_list p
    WHERE p.product = p_product
      AND p.effective_from <= to_date(p_billing_month || '-01', 'YYYY-MM-DD')
      AND (p.effective_to IS NULL OR p.effective_to > to_date(p_billing_month || '-01', 'YYYY-MM-DD'))
$$;
COMMENT ON FUNCTION ref.unit_price(text, text) IS 'The price of a product in force in a billing month (on its first day); no row when none.';
