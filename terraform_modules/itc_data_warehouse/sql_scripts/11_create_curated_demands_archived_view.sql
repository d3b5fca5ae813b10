-- curated.demands_archived: the billable archived demands (DESIGN.md §5), one row per document.
-- The same rules as curated.demands_uploaded (latest document version, client-level and unknown
-- templates excluded, no template kept, firm right-stripped), for demands with an archive time
-- (raw.metadata.archived_at, the last DocumentArchived status), plus the archive reason and
-- comments of the document's LATEST DemandArchived audit record (latest created_at, then highest
-- audit_record_id); '' when the document has no such record or the payload lacks the field.
-- (The original never read the audit payload, so its reasons were always empty.)
CREATE MATERIALIZED VIEW curated.demands_archived AS
WITH latest_case AS (
    SELECT DISTINCT ON (c.document_id) c.*
    FROM raw.cases AS c
    ORDER BY c.document_id, c.version DESC
),
latest_template AS (
    SELECT DISTINCT ON (t.template_id) t.template_id, t.template_name
    FROM raw.templates AS t
    ORDER BY t.template_id, t.version DESC
),
latest_archive_audit AS (
    SELECT DISTINCT ON (a.document_id) a.document_id, a.audit_record_id, a.archive_reason, a.archive_comments
    FROM raw.audit AS a
    WHERE a.action_type = 'DemandArchived'
    ORDER BY a.document_id, a.created_at DESC NULLS LAST, a.audit_record_id DESC
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
    coalesce(a.archive_reason, '')                   AS archive_reason,
    coalesce(a.archive_comments, '')                 AS archive_comments,
    a.audit_record_id                                AS archive_audit_record_id
FROM latest_case AS c
JOIN raw.metadata AS m ON m.document_id = c.document_id
LEFT JOIN latest_template AS t ON t.template_id = nullif(m.demand_template_id, '')
LEFT JOIN latest_archive_audit AS a ON a.document_id = c.document_id
WHERE m.archived_at IS NOT NULL
  AND (
        nullif(m.demand_template_id, '') IS NULL
        OR (t.template_id IS NOT NULL AND coalesce(t.template_name, '') NOT ILIKE '%client%')
  )
WITH NO DATA;

CREATE UNIQUE INDEX demands_archived_document_uq ON curated.demands_archived (document_id);
CREATE INDEX demands_archived_archived_idx ON curated.demands_archived (archived_at);

COMMENT ON MATERIALIZED VIEW curated.demands_archived IS 'Billable archived demands: latest version of each Exchange document with an archive time, excluding client-level templates (latest template name contains "client", any case) and unknown template ids; demands without a template are kept. With the latest DemandArchived audit record''s reason and comments. One row per document. Holds PHI: read through the de-identified views unless you hold the PHI role.';
COMMENT ON COLUMN curated.demands_archived.document_id IS 'Document (demand) identifier. Not PHI.';
COMMENT ON COLUMN curated.demands_archived.document_version IS 'The document version shown (the latest one). Not PHI.';
COMMENT ON COLUMN curated.demands_archived.customer_id IS 'Exchange customer (law firm account) identifier. Not PHI.';
COMMENT ON COLUMN curated.demands_archived.sending_firm_name IS 'Sending law firm (latest version''s firm name, trailing whitespace removed); the invoice is addressed to it. Not PHI.';
COMMENT ON COLUMN curated.demands_archived.primary_contact_name IS 'Firm primary contact (the case manager), "first last" (PII).';
COMMENT ON COLUMN curated.demands_archived.attorney_name IS 'Attorney of record, "first last" (PII).';
COMMENT ON COLUMN curated.demands_archived.case_manager_names IS 'Case collaborators (the firm''s case managers), "first last" joined by ", " (PII).';
COMMENT ON COLUMN curated.demands_archived.client_id IS 'Client id in the firm''s case management system (PHI).';
COMMENT ON COLUMN curated.demands_archived.matter_id IS 'Matter id in the firm''s case management system. Not PHI.';
COMMENT ON COLUMN curated.demands_archived.matter_tech_id IS 'Matter technical id in the firm''s case management system. Not PHI.';
COMMENT ON COLUMN curated.demands_archived.matter_name IS 'Matter name; usually contains the client''s name (PHI).';
COMMENT ON COLUMN curated.demands_archived.related_insurance_id IS 'Related insurance id from case management (PHI).';
COMMENT ON COLUMN curated.demands_archived.carrier_common_name IS 'Recipient insurance carrier. Not PHI.';
COMMENT ON COLUMN curated.demands_archived.claim_number IS 'Insurance claim number (PHI).';
COMMENT ON COLUMN curated.demands_archived.claim_coverage IS 'Claim coverage type. Not PHI.';
COMMENT ON COLUMN curated.demands_archived.loss_state IS 'State where the loss occurred. Not PHI.';
COMMENT ON COLUMN curated.demands_archived.claimant_name IS 'Claimant, "first last" (PHI).';
COMMENT ON COLUMN curated.demands_archived.demand_template_id IS 'Template the demand was built from; null when none. Not PHI.';
COMMENT ON COLUMN curated.demands_archived.template_name IS 'Name of the template''s latest version; null when the demand has no template. Not PHI.';
COMMENT ON COLUMN curated.demands_archived.document_type IS 'Document type from the metadata. Not PHI.';
COMMENT ON COLUMN curated.demands_archived.demand_is_deliverable IS 'Whether the demand can be delivered. Not PHI.';
COMMENT ON COLUMN curated.demands_archived.version_created_at IS 'When the latest document version was created. Not PHI.';
COMMENT ON COLUMN curated.demands_archived.uploaded_at IS 'When the demand was uploaded (may be null for an archived demand). Not PHI.';
COMMENT ON COLUMN curated.demands_archived.received_at IS 'When the carrier acknowledged receipt; null if never. Not PHI.';
COMMENT ON COLUMN curated.demands_archived.archived_at IS 'When the demand was archived (last DocumentArchived status); its month in the business time zone is the billing month (demand_archived). Not PHI.';
COMMENT ON COLUMN curated.demands_archived.archive_reason IS 'Archive reason from the latest DemandArchived audit record; '''' when missing. Not PHI (a reason code chosen from a list).';
COMMENT ON COLUMN curated.demands_archived.archive_comments IS 'Free-text archive comments from the latest DemandArchived audit record; '''' when missing (PHI: free text may name the client).';
COMMENT ON COLUMN curated.demands_archived.archive_audit_record_id IS 'The audit record the reason and comments come from; null when none. Not PHI.';
