-- The unit ledger (docs/adr/0006-unit-ledger-and-billing-accounts.md): ONE ROW PER BILLED UNIT, the record behind every invoice line.
--   analytics.billable_unit_events (materialized, refreshed with the other views): each billable
--     unit with the firm identity and lineage it came from - an uploaded demand (curated.demands_uploaded,
--     month of uploaded_at), an archived demand (curated.demands_archived, month of archived_at), a
--     billable Verify+ request (curated.verifyplus, is_billable, month of request_created_datetime;
--     requests with no creation time have no month and are not billed: the quality checks report them).
--     Lineage: the load that last wrote the unit's raw row, its snapshot file, and that load's manifest
--     (S3 key, object version, sha256) and extraction time, so every unit traces to its snapshot.
--   analytics.billable_unit_counts (materialized): their counts per service month, product and firm
--     identity, from which usage lines are summed without counting units on every query.
--   analytics.billable_units (a plain view): the units with their billing account resolved LIVE by
--     ref.billing_account, so a mapping applies without a refresh.
-- analytics.invoice_lines' usage lines are exactly the sums of analytics.billable_units.
-- No PHI: document ids, request ids, firm names, customer ids, times and lineage only.
CREATE MATERIALIZED VIEW analytics.billable_unit_events AS
WITH units AS (
    SELECT 'demand_uploaded'::text AS product, u.document_id AS unit_id, u.billing_month AS service_month,
           u.uploaded_at AS event_at, coalesce(u.sending_firm_name, '(no firm name)') AS source_firm_name,
           nullif(btrim(u.customer_id), '') AS customer_id, u.load_id, u.source_key
    FROM curated.demands_uploaded AS u
    UNION ALL
    SELECT 'demand_archived', a.document_id, a.billing_month, a.archived_at,
           coalesce(a.sending_firm_name, '(no firm name)'), nullif(btrim(a.customer_id), ''), a.load_id, a.source_key
    FROM curated.demands_archived AS a
    UNION ALL
    SELECT 'verifyplus_request', v.request_id::text, v.billing_month, v.request_created_datetime,
           coalesce(v.firm_name, '(no firm name)'), NULL::text, v.load_id, v.source_key
    FROM curated.verifyplus AS v
    WHERE v.is_billable AND v.request_created_datetime IS NOT NULL
)
SELECT u.product, u.unit_id, u.service_month, u.event_at, u.source_firm_name,
       ref.firm_match_key(u.source_firm_name) AS firm_match_key, u.customer_id,
       u.load_id, u.source_key, r.manifest_key, r.manifest_version_id, r.manifest_sha256, r.extracted_at
FROM units AS u
LEFT JOIN ops.load_runs AS r ON r.load_id = u.load_id
WITH NO DATA;

CREATE UNIQUE INDEX billable_unit_events_uq ON analytics.billable_unit_events (product, unit_id);
CREATE INDEX billable_unit_events_month_idx ON analytics.billable_unit_events (service_month);

COMMENT ON MATERIALIZED VIEW analytics.billable_unit_events IS 'Every billable unit (uploaded demand, archived demand, billable Verify+ request) with its service month, firm identity and lineage, as of the last refresh; no billing account. Read analytics.billable_units, which adds the account. No PHI.';
COMMENT ON COLUMN analytics.billable_unit_events.product IS 'Product billed (ref.products): demand_uploaded, demand_archived or verifyplus_request. Not PHI.';
COMMENT ON COLUMN analytics.billable_unit_events.unit_id IS 'The unit: the Exchange document id of a demand, the Quickbase request id of a Verify+ request (as text). With product, unique. Not PHI.';
COMMENT ON COLUMN analytics.billable_unit_events.service_month IS 'Month the unit was used, YYYY-MM in the business time zone: month of the upload, the archive or the request''s creation. Not PHI.';
COMMENT ON COLUMN analytics.billable_unit_events.event_at IS 'The billed event''s time: uploaded_at, archived_at or request_created_datetime. Not PHI.';
COMMENT ON COLUMN analytics.billable_unit_events.source_firm_name IS 'Firm name in the source (demand sending firm / Verify+ firm, right-stripped); ''(no firm name)'' when none. Not PHI.';
COMMENT ON COLUMN analytics.billable_unit_events.firm_match_key IS 'ref.firm_match_key(source_firm_name): what a firm_name billing-account mapping matches. Not PHI.';
COMMENT ON COLUMN analytics.billable_unit_events.customer_id IS 'Exchange customerId of a demand (null for Verify+ and when absent). Not PHI.';
COMMENT ON COLUMN analytics.billable_unit_events.load_id IS 'Lineage: the load (ops.load_runs) that last wrote the unit''s raw row. Not PHI.';
COMMENT ON COLUMN analytics.billable_unit_events.source_key IS 'Lineage: S3 key of the snapshot file the raw row came from. Not PHI.';
COMMENT ON COLUMN analytics.billable_unit_events.manifest_key IS 'Lineage: S3 key of that load''s snapshot manifest. Not PHI.';
COMMENT ON COLUMN analytics.billable_unit_events.manifest_version_id IS 'Lineage: S3 object version of the manifest (the exact snapshot). Not PHI.';
COMMENT ON COLUMN analytics.billable_unit_events.manifest_sha256 IS 'Lineage: sha256 of the manifest bytes (the snapshot identity). Not PHI.';
COMMENT ON COLUMN analytics.billable_unit_events.extracted_at IS 'Lineage: when that snapshot was extracted from the source. Not PHI.';

-- per service month, product and firm identity: the unit counts the usage lines are built from (a few
-- rows per firm and month, so invoice lines never have to count millions of units)
CREATE MATERIALIZED VIEW analytics.billable_unit_counts AS
SELECT e.service_month, e.product, e.source_firm_name, e.firm_match_key, coalesce(e.customer_id, '') AS customer_key,
       count(*)::bigint AS units
FROM analytics.billable_unit_events AS e
GROUP BY e.service_month, e.product, e.source_firm_name, e.firm_match_key, coalesce(e.customer_id, '')
WITH NO DATA;

CREATE UNIQUE INDEX billable_unit_counts_uq
    ON analytics.billable_unit_counts (service_month, product, source_firm_name, customer_key);

COMMENT ON MATERIALIZED VIEW analytics.billable_unit_counts IS 'Counts of analytics.billable_unit_events per service month, product and firm identity (source firm name, customer id), as of the last refresh: what the usage invoice lines are summed from (analytics.usage_quantities). No PHI.';
CALL ops.copy_column_comments('analytics.billable_unit_events', 'analytics.billable_unit_counts');
COMMENT ON COLUMN analytics.billable_unit_counts.customer_key IS 'Exchange customerId of the demands counted; empty when none (Verify+, or absent). Not PHI.';
COMMENT ON COLUMN analytics.billable_unit_counts.units IS 'Billable units of that month, product and firm identity. Not PHI.';

CREATE VIEW analytics.billable_units AS
SELECT e.product,
       e.unit_id,
       e.service_month,
       e.event_at,
       coalesce(a.account_name, e.source_firm_name) AS firm_name,
       a.account_id                                 AS billing_account_id,
       e.source_firm_name,
       e.customer_id,
       e.load_id,
       e.source_key,
       e.manifest_key,
       e.manifest_version_id,
       e.manifest_sha256,
       e.extracted_at
FROM analytics.billable_unit_events AS e
LEFT JOIN LATERAL ref.billing_account(e.firm_match_key, e.customer_id) AS a ON true;

COMMENT ON VIEW analytics.billable_units IS 'The unit ledger: one row per billable unit (uploaded demand, archived demand, billable Verify+ request) with the account it bills on and the load and snapshot it came from. Usage invoice lines are exactly its counts per service month, firm_name (+ billing_account_id) and product. Accounts resolve live (ref.billing_account): customer id mapping, else firm name mapping, else the firm''s own name. No PHI.';
CALL ops.copy_column_comments('analytics.billable_unit_events', 'analytics.billable_units');
COMMENT ON COLUMN analytics.billable_units.firm_name IS 'Name billed: the billing account''s name when the unit''s customer id or firm name is mapped (ref.billing_account_names), else the source firm name. Invoice lines group by it. Not PHI.';
COMMENT ON COLUMN analytics.billable_units.billing_account_id IS 'Billing account (ref.billing_accounts) the unit bills on; null when its firm is not mapped. Not PHI.';
