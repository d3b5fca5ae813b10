-- curated.demands_uploaded: the billable uploaded demands (docs/design.md §5), one row per document:
-- the demands of curated.demand_billing_base (the billing rule: latest version, client-level and
-- unknown templates excluded, no template kept, firm right-stripped) that have an upload time
-- (raw.metadata.uploaded_at is not null), with the billing month of the upload (ref.billing_month:
-- the calendar month of uploaded_at in the business time zone), stored and indexed for analysts.
CREATE MATERIALIZED VIEW curated.demands_uploaded AS
SELECT b.*, ref.billing_month(b.uploaded_at) AS billing_month
FROM curated.demand_billing_base AS b
WHERE b.uploaded_at IS NOT NULL
WITH NO DATA;

CREATE UNIQUE INDEX demands_uploaded_document_uq ON curated.demands_uploaded (document_id);
CREATE INDEX demands_uploaded_uploaded_idx ON curated.demands_uploaded (uploaded_at);
CREATE INDEX demands_uploaded_month_idx ON curated.demands_uploaded (billing_month);

COMMENT ON MATERIALIZED VIEW curated.demands_uploaded IS 'Billable uploaded demands: latest version of each Exchange document with an upload time, excluding client-level templates (latest template name contains "client", any case) and unknown template ids; demands without a template are kept. One row per document. Holds PHI: read through the de-identified views unless you hold the PHI role.';
CALL ops.copy_column_comments('curated.demand_billing_base', 'curated.demands_uploaded');
COMMENT ON COLUMN curated.demands_uploaded.billing_month IS 'Billing month of the upload, YYYY-MM: the calendar month of uploaded_at in the business time zone (ref.billing_month), whatever the session TimeZone. Indexed: filter on it (or on uploaded_at >= ref.month_start(...)). Not PHI.';
