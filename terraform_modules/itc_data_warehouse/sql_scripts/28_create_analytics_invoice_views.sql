-- Invoicing (docs/adr/0006-unit-ledger-and-billing-accounts.md): the invoice views.
--
-- analytics.invoice_units: ONE ROW PER UNIT BEHIND EACH INVOICE LINE (+1, or -1 for a unit taken
--   back), and analytics.invoice_lines: the lines, exactly the sums of those units:
--   * an OPEN month (not closed): its usage units, live from analytics.billable_units (line_type
--     'usage', billing_month = service_month), priced at the unit price in force in the service month;
--   * a CLOSED month (analytics.close_month): exactly the units and lines frozen at close (status
--     'closed', analytics.closed_billable_units / closed_invoice_lines), never rewritten;
--   * PENDING ADJUSTMENTS (analytics.pending_adjustment_units) to closed service months, on the NEXT invoice to close (billing_month =
--     the month after the latest closed month), comparing what the closed invoices billed per unit
--     with the live ledger:
--       'adjustment'        a unit billed since it was closed: +1 at the current price; a billed unit
--                           no longer in the ledger (or now billed to another account/firm, or in
--                           another month): -1 at the price it was billed at;
--       'price_adjustment'  a unit still billed whose price in force changed since it was billed: -1 at
--                           the price billed and +1 at the current price (credit and re-bill).
--     Closing that month freezes its adjustments with it. Adjustments are looked for only where a
--     closed line's quantity or price differs from the ledger's; a line whose units net to zero is
--     not shown (nor are its units).
--   A line with no price in force has null unit_price/amount; close_month refuses to close such a
--   month and the quality checks fail on it.
-- analytics.usage_quantities: the ledger's counts per service month, firm and product.
-- No PHI: ids, firm names, times, quantities and prices.

CREATE VIEW analytics.usage_quantities AS
SELECT c.service_month, coalesce(a.account_name, c.source_firm_name) AS firm_name, a.account_id AS billing_account_id,
       c.product, sum(c.units)::bigint AS quantity
FROM analytics.billable_unit_counts AS c
LEFT JOIN LATERAL ref.billing_account(c.firm_match_key, nullif(c.customer_key, '')) AS a ON true
GROUP BY c.service_month, coalesce(a.account_name, c.source_firm_name), a.account_id, c.product;

COMMENT ON VIEW analytics.usage_quantities IS 'Billable quantity per service month, firm (billing account) and product: the number of analytics.billable_units of each (summed from analytics.billable_unit_counts; units as of the last refresh, accounts live). No PHI.';
COMMENT ON COLUMN analytics.usage_quantities.service_month IS 'Month the usage happened (YYYY-MM, business time zone). Not PHI.';
COMMENT ON COLUMN analytics.usage_quantities.firm_name IS 'Name billed (the billing account''s name, else the source firm name). Not PHI.';
COMMENT ON COLUMN analytics.usage_quantities.billing_account_id IS 'Billing account; null when the firm is not mapped. Not PHI.';
COMMENT ON COLUMN analytics.usage_quantities.product IS 'Product (ref.products). Not PHI.';
COMMENT ON COLUMN analytics.usage_quantities.quantity IS 'Units used in the month (> 0). Not PHI.';

CREATE VIEW analytics.pending_adjustment_units AS
WITH live_groups AS (
    SELECT q.service_month, q.firm_name, q.billing_account_id, q.product, q.quantity
    FROM analytics.usage_quantities AS q
    WHERE q.service_month IN (SELECT c.billing_month FROM analytics.closed_months AS c)
),
billed_groups AS (
    SELECT l.service_month, l.firm_name, l.billing_account_id, l.product,
           sum(l.quantity) AS quantity, array_agg(DISTINCT l.unit_price) AS prices
    FROM analytics.closed_invoice_lines AS l
    GROUP BY l.service_month, l.firm_name, l.billing_account_id, l.product
),
-- a closed line (service month, firm, account, product) whose live quantity differs from what was
-- billed, or that was billed at a price no longer in force
changed AS MATERIALIZED (
    SELECT coalesce(g.service_month, b.service_month) AS service_month,
           coalesce(g.firm_name, b.firm_name) AS firm_name,
           coalesce(g.billing_account_id, b.billing_account_id) AS billing_account_id,
           coalesce(g.product, b.product) AS product
    FROM live_groups AS g
    FULL OUTER JOIN billed_groups AS b
        ON b.service_month = g.service_month AND b.firm_name = g.firm_name AND b.product = g.product
       AND b.billing_account_id IS NOT DISTINCT FROM g.billing_account_id
    LEFT JOIN LATERAL ref.unit_price(coalesce(g.product, b.product), coalesce(g.service_month, b.service_month)) AS p ON true
    WHERE coalesce(g.quantity, 0) <> coalesce(b.quantity, 0)
       OR EXISTS (SELECT 1 FROM unnest(b.prices) AS billed_price WHERE billed_price IS DISTINCT FROM p.unit_price)
),
live_units AS MATERIALIZED (
    SELECT u.*, p.unit_price, coalesce(p.currency, 'USD')::char(3) AS currency
    FROM analytics.billable_units AS u
    JOIN changed AS c
        ON c.service_month = u.service_month AND c.firm_name = u.firm_name AND c.product = u.product
       AND c.billing_account_id IS NOT DISTINCT FROM u.billing_account_id
    LEFT JOIN LATERAL ref.unit_price(u.product, u.service_month) AS p ON true
    WHERE u.service_month IN (SELECT c.service_month FROM changed AS c)
),
billed_units AS MATERIALIZED (  -- per unit and price: the net of what closed invoices billed (+1 when billed)
    SELECT * FROM (
        SELECT DISTINCT ON (b.service_month, b.firm_name, b.billing_account_id, b.product, b.unit_id, b.unit_price)
               b.*, sum(b.quantity) OVER (PARTITION BY b.service_month, b.firm_name, b.billing_account_id,
                                                       b.product, b.unit_id, b.unit_price) AS net
        FROM analytics.closed_billable_units AS b
        JOIN changed AS c
            ON c.service_month = b.service_month AND c.firm_name = b.firm_name AND c.product = b.product
           AND c.billing_account_id IS NOT DISTINCT FROM b.billing_account_id
        ORDER BY b.service_month, b.firm_name, b.billing_account_id, b.product, b.unit_id, b.unit_price,
                 b.quantity DESC, b.closed_at DESC
    ) AS n
    WHERE n.net <> 0
),
adjustments AS (
    -- billed since the close
    SELECT 'adjustment'::text AS line_type, l.service_month, l.firm_name, l.billing_account_id, l.product,
           l.unit_price, l.currency, l.unit_id, 1 AS quantity, l.event_at, l.source_firm_name, l.customer_id,
           l.load_id, l.source_key, l.manifest_key, l.manifest_version_id, l.manifest_sha256, l.extracted_at
    FROM live_units AS l
    WHERE NOT EXISTS (SELECT 1 FROM billed_units AS b
                      WHERE b.service_month = l.service_month AND b.firm_name = l.firm_name AND b.product = l.product
                        AND b.billing_account_id IS NOT DISTINCT FROM l.billing_account_id AND b.unit_id = l.unit_id)
    UNION ALL
    -- billed, no longer in the ledger under this month, firm and account: taken back at the price billed
    SELECT 'adjustment', b.service_month, b.firm_name, b.billing_account_id, b.product,
           b.unit_price, b.currency, b.unit_id, -1, b.event_at, b.source_firm_name, b.customer_id,
           b.load_id, b.source_key, b.manifest_key, b.manifest_version_id, b.manifest_sha256, b.extracted_at
    FROM billed_units AS b
    WHERE NOT EXISTS (SELECT 1 FROM live_units AS l
                      WHERE b.service_month = l.service_month AND b.firm_name = l.firm_name AND b.product = l.product
                        AND b.billing_account_id IS NOT DISTINCT FROM l.billing_account_id AND b.unit_id = l.unit_id)
    UNION ALL
    -- still billed, at a price no longer in force: credit at the price billed, re-bill at the current one
    SELECT 'price_adjustment', b.service_month, b.firm_name, b.billing_account_id, b.product,
           x.unit_price, x.currency, b.unit_id, x.quantity, b.event_at, b.source_firm_name, b.customer_id,
           b.load_id, b.source_key, b.manifest_key, b.manifest_version_id, b.manifest_sha256, b.extracted_at
    FROM billed_units AS b
    JOIN live_units AS l
        ON b.service_month = l.service_month AND b.firm_name = l.firm_name AND b.product = l.product
       AND b.billing_account_id IS NOT DISTINCT FROM l.billing_account_id AND b.unit_id = l.unit_id
    CROSS JOIN LATERAL (VALUES (b.unit_price, b.currency, -1), (l.unit_price, l.currency, 1)) AS x (unit_price, currency, quantity)
    WHERE b.unit_price IS DISTINCT FROM l.unit_price
),
with_line AS (
    SELECT a.*, sum(a.quantity) OVER (PARTITION BY a.line_type, a.service_month, a.firm_name, a.billing_account_id,
                                                   a.product, a.unit_price) AS line_quantity
    FROM adjustments AS a
)
SELECT n.billing_month, w.service_month, w.firm_name, w.billing_account_id, w.product, w.line_type,
       w.unit_price, w.currency, w.unit_id, w.quantity, w.event_at, w.source_firm_name, w.customer_id, w.load_id,
       w.source_key, w.manifest_key, w.manifest_version_id, w.manifest_sha256, w.extracted_at
FROM with_line AS w
CROSS JOIN (
    SELECT to_char(to_date(max(c.billing_month) || '-01', 'YYYY-MM-DD') + interval '1 month', 'YYYY-MM') AS billing_month
    FROM analytics.closed_months AS c
) AS n
WHERE w.line_quantity <> 0;

COMMENT ON VIEW analytics.pending_adjustment_units IS 'Changes to closed months not yet billed, one row per unit: units billed since the close (+1, current price), units taken back (-1, price billed), units re-priced (price_adjustment: -1 at the price billed, +1 at the current price). On the next invoice to close (billing_month = the month after the latest closed month). Only lines that net to a change are shown. No PHI.';
CALL ops.copy_column_comments('analytics.closed_billable_units', 'analytics.pending_adjustment_units');
COMMENT ON COLUMN analytics.pending_adjustment_units.billing_month IS 'The next invoice to close (the month after the latest closed month). Not PHI.';

CREATE VIEW analytics.invoice_units AS
SELECT u.service_month AS billing_month, u.service_month, u.firm_name, u.billing_account_id, u.product,
       'usage'::text AS line_type, p.unit_price, coalesce(p.currency, 'USD')::char(3) AS currency,
       u.unit_id, 1 AS quantity, u.event_at, 'open'::text AS status, NULL::timestamptz AS closed_at,
       u.source_firm_name, u.customer_id, u.load_id, u.source_key, u.manifest_key, u.manifest_version_id,
       u.manifest_sha256, u.extracted_at
FROM analytics.billable_units AS u
LEFT JOIN LATERAL ref.unit_price(u.product, u.service_month) AS p ON true
WHERE NOT EXISTS (SELECT 1 FROM analytics.closed_months AS c WHERE c.billing_month = u.service_month)
UNION ALL
SELECT a.billing_month, a.service_month, a.firm_name, a.billing_account_id, a.product, a.line_type,
       a.unit_price, a.currency, a.unit_id, a.quantity, a.event_at, 'open', NULL,
       a.source_firm_name, a.customer_id, a.load_id, a.source_key, a.manifest_key, a.manifest_version_id,
       a.manifest_sha256, a.extracted_at
FROM analytics.pending_adjustment_units AS a
UNION ALL
SELECT b.billing_month, b.service_month, b.firm_name, b.billing_account_id, b.product, b.line_type,
       b.unit_price, b.currency, b.unit_id, b.quantity, b.event_at, 'closed', b.closed_at,
       b.source_firm_name, b.customer_id, b.load_id, b.source_key, b.manifest_key, b.manifest_version_id,
       b.manifest_sha256, b.extracted_at
FROM analytics.closed_billable_units AS b;

COMMENT ON VIEW analytics.invoice_units IS 'The units behind every invoice line (one row per unit per line; +1, or -1 for a unit taken back or credited): open months'' usage live from analytics.billable_units, pending adjustments to closed months (analytics.pending_adjustment_units) on the next invoice, and the frozen units of closed months. Its quantities summed per (billing_month, service_month, firm_name, billing_account_id, product, line_type, unit_price) are analytics.invoice_lines. Filter on billing_month. No PHI.';
CALL ops.copy_column_comments('analytics.closed_billable_units', 'analytics.invoice_units');
COMMENT ON COLUMN analytics.invoice_units.billing_month IS 'Invoice the unit is on, YYYY-MM. Not PHI.';
COMMENT ON COLUMN analytics.invoice_units.unit_price IS 'Price of the unit''s line: the price in force in the service month (open usage and re-bills), or the price it was billed at (units taken back, credits, closed units); null when no price is in force. Not PHI.';
COMMENT ON COLUMN analytics.invoice_units.status IS 'open (live, may still change) or closed (frozen by analytics.close_month). Not PHI.';
COMMENT ON COLUMN analytics.invoice_units.closed_at IS 'When the unit was frozen; null while open. Not PHI.';

-- the same lines as grouping analytics.invoice_units, but usage is summed from the per-firm counts
-- (analytics.usage_quantities) instead of counting units, so reading the lines stays cheap
CREATE VIEW analytics.invoice_lines AS
SELECT q.service_month AS billing_month, q.service_month, q.firm_name, q.billing_account_id, q.product,
       'usage'::text AS line_type, q.quantity, p.unit_price, coalesce(p.currency, 'USD')::char(3) AS currency,
       round(q.quantity * p.unit_price, 2)::numeric(14,2) AS amount, 'open'::text AS status,
       NULL::timestamptz AS closed_at
FROM analytics.usage_quantities AS q
LEFT JOIN LATERAL ref.unit_price(q.product, q.service_month) AS p ON true
WHERE NOT EXISTS (SELECT 1 FROM analytics.closed_months AS c WHERE c.billing_month = q.service_month)
UNION ALL
SELECT a.billing_month, a.service_month, a.firm_name, a.billing_account_id, a.product, a.line_type,
       sum(a.quantity)::bigint, a.unit_price, a.currency, round(sum(a.quantity) * a.unit_price, 2)::numeric(14,2),
       'open', NULL
FROM analytics.pending_adjustment_units AS a
GROUP BY a.billing_month, a.service_month, a.firm_name, a.billing_account_id, a.product, a.line_type,
         a.unit_price, a.currency
UNION ALL
SELECT l.billing_month, l.service_month, l.firm_name, l.billing_account_id, l.product, l.line_type,
       l.quantity, l.unit_price, l.currency, l.amount, 'closed', l.closed_at
FROM analytics.closed_invoice_lines AS l;

COMMENT ON VIEW analytics.invoice_lines IS 'Invoice lines per billing month, firm (billing account), product, line type and unit price: the sums of analytics.invoice_units (usage summed from analytics.usage_quantities). Open months: live usage; closed months: the lines frozen at close; adjustments (units added/taken back) and price adjustments (credit and re-bill) to closed months go on the next invoice to close. amount = quantity x unit_price. No PHI.';
COMMENT ON COLUMN analytics.invoice_lines.billing_month IS 'Invoice the line belongs to, YYYY-MM. Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.service_month IS 'Month of the usage billed (= billing_month for usage lines; the closed month adjusted for adjustment lines). Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.firm_name IS 'Name billed: the billing account''s name, else the source firm name. Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.billing_account_id IS 'Billing account (ref.billing_accounts); null when the firm is not mapped. Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.product IS 'Product (ref.products). Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.line_type IS 'usage; adjustment (units added to or taken from a closed month since its close); price_adjustment (units of a closed month re-priced: a credit line at the old price and a re-bill line at the new). Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.quantity IS 'Units (negative for units taken back or credited); the sum of its analytics.invoice_units. Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.unit_price IS 'Unit price of the line (ref.price_list in force in the service month, or the price credited); null when none is in force (the month cannot be closed). Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.currency IS 'ISO 4217 currency. Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.amount IS 'quantity x unit_price, rounded to cents. Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.status IS 'open (live, may still change) or closed (frozen by analytics.close_month). Not PHI.';
COMMENT ON COLUMN analytics.invoice_lines.closed_at IS 'When the line was frozen; null while open. Not PHI.';
