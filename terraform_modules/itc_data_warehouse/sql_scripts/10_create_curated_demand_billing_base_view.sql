-- curated.demand_billing_base: the demand billing rule (docs/design.md §5), defined once; both
-- curated.demands_uploaded and curated.demands_archived select from it. One row per document:
--   * the LATEST version of each document (highest raw.cases.version) joined with its metadata;
--   * excluded: a demand built from a client-level template, i.e. whose template name contains
--     "client" (case-insensitive). The name used is the one of the template's LATEST version
--     (highest raw.templates.version), so renaming a template applies to all its demands;
--   * excluded: a demand whose template id is not in raw.templates (unknown template);
--   * kept: a demand with no template id (null or empty string);
--   * the sending firm is the latest version's firm name, right-stripped of whitespace.
-- A plain view: the planner inlines it, so each materialized view's own filter (uploaded_at /
-- archived_at not null) reaches raw.metadata as before. It holds PHI: phi_reader reads it, the
-- read-only groups its non-PHI columns (ops.phi_columns), analysts nothing.
-- Lineage: load_id / source_key are those of the raw.metadata row, which carries the billed times
-- (the load that last changed it; an unchanged row keeps its lineage across loads).
CREATE VIEW curated.demand_billing_base AS
WITH latest_case AS (
    SELECT DISTINCT ON (c.document_id) c.*
    FROM raw.cases AS c
    ORDER BY c.document_id, c.version DESC
),
latest_template AS (
    SELECT DISTINCT ON (t.template_id) t.template_id, t.template_name
    FROM raw.templates AS t
    ORDER BY t.template_id, t.version DESC
)
SELECT
    c.document_id,
    c.version                                        AS document_version,
    c.customer_id,
    nullif(regexp_replace(c.sending_firm_name, '\s+$', ''), '') AS sending_firm_name,
    c.primary_contact_name,
    c.attorney_name,
    c.case_manager_names,
    c.client_id,
    c.matter_id,
    c.matter_tech_id,
    c.matter_name,
    c.related_insurance_id,
    c.carrier_common_name,
    c.claim_number,
    c.claim_coverage,
    c.loss_state,
    c.claimant_name,
    nullif(m.demand_template_id, '')                 AS demand_template_id,
    t.template_name,
    m.document_type,
    m.demand_is_deliverable,
    c.created_at                                     AS version_created_at,
    m.uploaded_at,
    m.received_at,
    m.archived_at,
    m._load_id                                       AS load_id,
    m._source_key                                    AS source_key
FROM latest_case AS c
JOIN raw.metadata AS m ON m.document_id = c.document_id
LEFT JOIN latest_template AS t ON t.template_id = nullif(m.demand_template_id, '')
WHERE nullif(m.demand_template_id, '') IS NULL
   OR (t.template_id IS NOT NULL AND coalesce(t.template_name, '') NOT ILIKE '%client%');

COMMENT ON VIEW curated.demand_billing_base IS 'The demand billing rule, defined once: latest version of each Exchange document with its metadata, excluding client-level templates (latest template name contains "client", any case) and unknown template ids; demands without a template are kept. One row per document, uploaded or not. curated.demands_uploaded and curated.demands_archived are built on it. Holds PHI: not for analysts.';
COMMENT ON COLUMN curated.demand_billing_base.document_id IS 'Document (demand) identifier. Not PHI.';
COMMENT ON COLUMN curated.demand_billing_base.document_version IS 'The document version shown (the latest one). Not PHI.';
COMMENT ON COLUMN curated.demand_billing_base.customer_id IS 'Exchange customer (law firm account) identifier. Not PHI.';
COMMENT ON COLUMN curated.demand_billing_base.sending_firm_name IS 'Sending law firm (latest version''s firm name, trailing whitespace removed); the invoice is addressed to it. Not PHI.';
COMMENT ON COLUMN curated.demand_billing_base.primary_contact_name IS 'Firm primary contact (the case manager), "first last" (PII).';
COMMENT ON COLUMN curated.demand_billing_base.attorney_name IS 'Attorney of record, "first last" (PII).';
COMMENT ON COLUMN curated.demand_billing_base.case_manager_names IS 'Case collaborators (the firm''s case managers), "first last" joined by ", " (PII).';
COMMENT ON COLUMN curated.demand_billing_base.client_id IS 'Client id in the firm''s case management system (PHI).';
COMMENT ON COLUMN curated.demand_billing_base.matter_id IS 'Matter id in the firm''s case management system. Not PHI.';
COMMENT ON COLUMN curated.demand_billing_base.matter_tech_id IS 'Matter technical id in the firm''s case management system. Not PHI.';
COMMENT ON COLUMN curated.demand_billing_base.matter_name IS 'Matter name; usually contains the client''s name (PHI).';
COMMENT ON COLUMN curated.demand_billing_base.related_insurance_id IS 'Related insurance id from case management (PHI).';
COMMENT ON COLUMN curated.demand_billing_base.carrier_common_name IS 'Recipient insurance carrier. Not PHI.';
COMMENT ON COLUMN curated.demand_billing_base.claim_number IS 'Insurance claim number (PHI).';
COMMENT ON COLUMN curated.demand_billing_base.claim_coverage IS 'Claim coverage type. Not PHI.';
COMMENT ON COLUMN curated.demand_billing_base.loss_state IS 'State where the loss occurred. Not PHI.';
COMMENT ON COLUMN curated.demand_billing_base.claimant_name IS 'Claimant, "first last" (PHI).';
COMMENT ON COLUMN curated.demand_billing_base.demand_template_id IS 'Template the demand was built from; null when none. Not PHI.';
COMMENT ON COLUMN curated.demand_billing_base.template_name IS 'Name of the template''s latest version; null when the demand has no template. Not PHI.';
COMMENT ON COLUMN curated.demand_billing_base.document_type IS 'Document type from the metadata. Not PHI.';
COMMENT ON COLUMN curated.demand_billing_base.demand_is_deliverable IS 'Whether the demand can be delivered. Not PHI.';
COMMENT ON COLUMN curated.demand_billing_base.version_created_at IS 'When the latest document version was created. Not PHI.';
COMMENT ON COLUMN curated.demand_billing_base.uploaded_at IS 'When the demand was uploaded; null if never (possible for an archived demand). Its month in the business time zone is the billing month of demand_uploaded. Not PHI.';
COMMENT ON COLUMN curated.demand_billing_base.received_at IS 'When the carrier acknowledged receipt; null if not yet. Not PHI.';
COMMENT ON COLUMN curated.demand_billing_base.archived_at IS 'When the demand was archived (last DocumentArchived status); null if not archived. Its month in the business time zone is the billing month of demand_archived. Not PHI.';
COMMENT ON COLUMN curated.demand_billing_base.load_id IS 'Lineage: the load (ops.load_runs.load_id) that last wrote the document''s raw.metadata row, which holds the billed upload/archive times. Not PHI.';
COMMENT ON COLUMN curated.demand_billing_base.source_key IS 'Lineage: S3 key of the snapshot file that row came from. Not PHI.';
