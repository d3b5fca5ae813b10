-- curated.demands_archived: the billable archived demands (docs/design.md §5), one row per document:
-- the demands of curated.demand_billing_base (the billing rule, as for curated.demands_uploaded)
-- that have an archive time (raw.metadata.archived_at, the last DocumentArchived status), plus the
-- archive reason and comments of the document's LATEST DemandArchived audit record (latest
-- created_at, then highest audit_record_id); '' when the document has no such record or the
-- payload lacks the field. (The original never read the audit payload, so its reasons were always
-- empty.)
CREATE MATERIALIZED VIEW curated.demands_archived AS
WITH latest_archive_audit AS (
    SELECT DISTINCT ON (a.document_id) a.document_id, a.audit_record_id, a.archive_reason, a.archive_comments
    FROM raw.audit AS a
    WHERE a.action_type = 'DemandArchived'
    ORDER BY a.document_id, a.created_at DESC NULLS LAST, a.audit_record_id DESC
)
SELECT
    b.*,
    coalesce(a.archive_reason, '')                   AS archive_reason,
    coalesce(a.archive_comments, '')                 AS archive_comments,
    a.audit_record_id                                AS archive_audit_record_id,
    ref.billing_month(b.archived_at)                 AS billing_month
FROM curated.demand_billing_base AS b
LEFT JOIN latest_archive_audit AS a ON a.document_id = b.document_id
WHERE b.archived_at IS NOT NULL
WITH NO DATA;

CREATE UNIQUE INDEX demands_archived_document_uq ON curated.demands_archived (document_id);
CREATE INDEX demands_archived_archived_idx ON curated.demands_archived (archived_at);
CREATE INDEX demands_archived_month_idx ON curated.demands_archived (billing_month);

COMMENT ON MATERIALIZED VIEW curated.demands_archived IS 'Billable archived demands: latest version of each Exchange document with an archive time, excluding client-level templates (latest template name contains "client", any case) and unknown template ids; demands without a template are kept. With the latest DemandArchived audit record''s reason and comments. One row per document. Holds PHI: read through the de-identified views unless you hold the PHI role.';
CALL ops.copy_column_comments('curated.demand_billing_base', 'curated.demands_archived');
COMMENT ON COLUMN curated.demands_archived.archive_reason IS 'Archive reason from the latest DemandArchived audit record; '''' when missing. Not PHI (a reason code chosen from a list).';
COMMENT ON COLUMN curated.demands_archived.archive_comments IS 'Free-text archive comments from the latest DemandArchived audit record; '''' when missing (PHI: free text may name the client).';
COMMENT ON COLUMN curated.demands_archived.archive_audit_record_id IS 'The audit record the reason and comments come from; null when none. Not PHI.';
COMMENT ON COLUMN curated.demands_archived.billing_month IS 'Billing month of the archive, YYYY-MM: the calendar month of archived_at in the business time zone (ref.billing_month), whatever the session TimeZone. Indexed. Not PHI.';
