-- Invoicing (docs/adr/0006-unit-ledger-and-billing-accounts.md): the closed-month tables.
--
-- analytics.close_month freezes a month's units and lines here; later loads never rewrite them:
--   analytics.closed_months          the closed invoice months (one row per month, who and when)
--   analytics.closed_invoice_lines   the lines frozen at close (the sums of the units)
--   analytics.closed_billable_units  the units behind every closed line, with price and lineage
-- All three are append-only: UPDATE, DELETE and TRUNCATE are refused by
-- analytics.refuse_closed_change (later changes appear as adjustment lines on the next invoice,
-- see analytics.pending_adjustment_units). No PHI: ids, firm names, times, quantities and prices.

CREATE TABLE analytics.closed_months (
    billing_month   text          PRIMARY KEY CHECK (billing_month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    closed_at       timestamptz   NOT NULL DEFAULT now(),
    closed_by       text          NOT NULL CHECK (btrim(closed_by) <> ''),
    closed_by_login text          NOT NULL,
    line_count      integer       NOT NULL,
    unit_count      bigint        NOT NULL,
    total_amount    numeric(14,2) NOT NULL
);
COMMENT ON TABLE analytics.closed_months IS 'Invoice months that are closed (analytics.close_month): their units and lines are frozen in analytics.closed_billable_units and analytics.closed_invoice_lines. Written only by close_month. No PHI.';
COMMENT ON COLUMN analytics.closed_months.billing_month IS 'The closed invoice month, YYYY-MM. Not PHI.';
COMMENT ON COLUMN analytics.closed_months.closed_at IS 'When it was closed. Not PHI.';
COMMENT ON COLUMN analytics.closed_months.closed_by IS 'Who closed it (the name given to close_month). Not PHI.';
COMMENT ON COLUMN analytics.closed_months.closed_by_login IS 'The database login that closed it (session_user, set by close_month, not by the caller). Not PHI.';
COMMENT ON COLUMN analytics.closed_months.line_count IS 'Invoice lines frozen at close. Not PHI.';
COMMENT ON COLUMN analytics.closed_months.unit_count IS 'Unit rows frozen at close (analytics.closed_billable_units). Not PHI.';
COMMENT ON COLUMN analytics.closed_months.total_amount IS 'Sum of the frozen lines'' amounts (all currencies added; one currency in practice). Not PHI.';

CREATE TABLE analytics.closed_invoice_lines (
    line_id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    billing_month      text          NOT NULL REFERENCES analytics.closed_months (billing_month) DEFERRABLE INITIALLY DEFERRED,
    service_month      text          NOT NULL,
    firm_name          text          NOT NULL,
    billing_account_id text,
    product            text          NOT NULL REFERENCES ref.products (product),
    line_type          text          NOT NULL CHECK (line_type IN ('usage', 'adjustment', 'price_adjustment')),
    quantity           bigint        NOT NULL,
    unit_price         numeric(12,2) NOT NULL,
    currency           char(3)       NOT NULL,
    amount             numeric(14,2) NOT NULL,
    closed_at          timestamptz   NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (billing_month, service_month, firm_name, billing_account_id, product, line_type, unit_price)
);
CREATE INDEX closed_invoice_lines_service_idx ON analytics.closed_invoice_lines (service_month, product, firm_name);
COMMENT ON TABLE analytics.closed_invoice_lines IS 'Invoice lines frozen when their month was closed: the sums of analytics.closed_billable_units; immutable (updates and deletes are refused). No PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.line_id IS 'Row identifier. Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.billing_month IS 'Invoice month the line was billed on (a closed month). Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.service_month IS 'Month of the usage billed; earlier than billing_month for an adjustment. Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.firm_name IS 'Name billed (the billing account''s name, else the source firm name). Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.billing_account_id IS 'Billing account (ref.billing_accounts); null when the firm was not mapped. Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.product IS 'Product (ref.products). Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.line_type IS 'usage (the month''s own usage), adjustment (units added to or taken from a closed month after its close) or price_adjustment (units of a closed month re-priced: credit at the old price, re-bill at the new). Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.quantity IS 'Units billed (negative for units taken back or credited). Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.unit_price IS 'Unit price of the line. Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.currency IS 'ISO 4217 currency. Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.amount IS 'quantity x unit_price, rounded to cents. Not PHI.';
COMMENT ON COLUMN analytics.closed_invoice_lines.closed_at IS 'When the line was frozen. Not PHI.';

CREATE TABLE analytics.closed_billable_units (
    billing_month       text          NOT NULL REFERENCES analytics.closed_months (billing_month) DEFERRABLE INITIALLY DEFERRED,
    service_month       text          NOT NULL,
    firm_name           text          NOT NULL,
    billing_account_id  text,
    product             text          NOT NULL REFERENCES ref.products (product),
    line_type           text          NOT NULL CHECK (line_type IN ('usage', 'adjustment', 'price_adjustment')),
    unit_price          numeric(12,2) NOT NULL,
    currency            char(3)       NOT NULL,
    unit_id             text          NOT NULL,
    quantity            smallint      NOT NULL CHECK (quantity IN (-1, 1)),
    event_at            timestamptz,
    source_firm_name    text,
    customer_id         text,
    load_id             bigint,
    source_key          text,
    manifest_key        text,
    manifest_version_id text,
    manifest_sha256     text,
    extracted_at        timestamptz,
    closed_at           timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX closed_billable_units_month_idx ON analytics.closed_billable_units (billing_month);
CREATE INDEX closed_billable_units_unit_idx ON analytics.closed_billable_units (service_month, product, unit_id);
COMMENT ON TABLE analytics.closed_billable_units IS 'The units behind every closed invoice line, frozen at close with their account, price and lineage: a closed invoice is reproduced from them exactly, whatever later loads change. Immutable. No PHI.';
COMMENT ON COLUMN analytics.closed_billable_units.billing_month IS 'Invoice month the unit was billed on (a closed month). Not PHI.';
COMMENT ON COLUMN analytics.closed_billable_units.service_month IS 'Month of the usage. Not PHI.';
COMMENT ON COLUMN analytics.closed_billable_units.firm_name IS 'Name billed (the billing account''s name, else the source firm name). Not PHI.';
COMMENT ON COLUMN analytics.closed_billable_units.billing_account_id IS 'Billing account; null when the firm was not mapped. Not PHI.';
COMMENT ON COLUMN analytics.closed_billable_units.product IS 'Product (ref.products). Not PHI.';
COMMENT ON COLUMN analytics.closed_billable_units.line_type IS 'Line the unit is on: usage, adjustment or price_adjustment. Not PHI.';
COMMENT ON COLUMN analytics.closed_billable_units.unit_price IS 'Price the unit was billed (or credited) at. Not PHI.';
COMMENT ON COLUMN analytics.closed_billable_units.currency IS 'ISO 4217 currency. Not PHI.';
COMMENT ON COLUMN analytics.closed_billable_units.unit_id IS 'Document id (demands) or Verify+ request id. Not PHI.';
COMMENT ON COLUMN analytics.closed_billable_units.quantity IS '+1 billed, -1 taken back or credited. Not PHI.';
COMMENT ON COLUMN analytics.closed_billable_units.event_at IS 'The billed event''s time (upload, archive, request creation). Not PHI.';
COMMENT ON COLUMN analytics.closed_billable_units.source_firm_name IS 'Firm name in the source when billed. Not PHI.';
COMMENT ON COLUMN analytics.closed_billable_units.customer_id IS 'Exchange customerId when billed (demands). Not PHI.';
COMMENT ON COLUMN analytics.closed_billable_units.load_id IS 'Lineage: load that wrote the unit''s raw row. Not PHI.';
COMMENT ON COLUMN analytics.closed_billable_units.source_key IS 'Lineage: S3 key of the snapshot file. Not PHI.';
COMMENT ON COLUMN analytics.closed_billable_units.manifest_key IS 'Lineage: S3 key of the snapshot manifest. Not PHI.';
COMMENT ON COLUMN analytics.closed_billable_units.manifest_version_id IS 'Lineage: S3 object version of the manifest. Not PHI.';
COMMENT ON COLUMN analytics.closed_billable_units.manifest_sha256 IS 'Lineage: sha256 of the manifest. Not PHI.';
COMMENT ON COLUMN analytics.closed_billable_units.extracted_at IS 'Lineage: when the snapshot was extracted. Not PHI.';
COMMENT ON COLUMN analytics.closed_billable_units.closed_at IS 'When the unit was frozen. Not PHI.';

CREATE FUNCTION analytics.refuse_closed_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%.% is append-only: a closed month is never rewritten (later changes appear as adjustment lines)',
        TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
COMMENT ON FUNCTION analytics.refuse_closed_change() IS 'Trigger: refuses UPDATE, DELETE and TRUNCATE of closed invoice data.';
DO $triggers$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['closed_months', 'closed_invoice_lines', 'closed_billable_units'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON analytics.%I '
                       'FOR EACH ROW EXECUTE FUNCTION analytics.refuse_closed_change()', t || '_immutable', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON analytics.%I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION analytics.refuse_closed_change()', t || '_no_truncate', t);
    END LOOP;
END
$triggers$;
