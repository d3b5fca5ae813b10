-- curated.demands_uploaded: the billable uploaded demands (DESIGN.md §5), one row per document:
-- the demands of curated.demand_billing_base (the billing rule: latest version, client-level and
-- unknown templates excluded, no template kept, firm right-stripped) that have an upload time
-- (raw.metadata.uploaded_at is not null).
CREATE MATERIALIZED VIEW curated.demands_uploaded AS
SELECT b.*
FROM curated.demand_billing_base AS b
WHERE b.uploaded_at IS NOT NULL
WITH NO DATA;

CREATE UNIQUE INDEX demands_uploaded_document_uq ON curated.demands_uploaded (document_id);
CREATE INDEX demands_uploaded_uploaded_idx ON curated.demands_uploaded (uploaded_at);

COMMENT ON MATERIALIZED VIEW curated.demands_uploaded IS 'Billable uploaded demands: latest version of each Exchange document with an upload time, excluding client-level templates (latest template name contains "client", any case) and unknown template ids; demands without a template are kept. One row per document. Holds PHI: read through the de-identified views unless you hold the PHI role.';
CALL ops.copy_column_comments('curated.demand_billing_base', 'curated.demands_uploaded');
