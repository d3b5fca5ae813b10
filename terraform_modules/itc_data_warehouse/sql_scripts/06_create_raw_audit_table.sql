-- Exchange documents-audit: the DemandArchived audit records with their archive reason.
CREATE TABLE raw.audit (
    audit_record_id   text        PRIMARY KEY,
    document_id       text        NOT NULL,
    created_at        timestamptz,
    action_type       text,
    archive_reason    text,
    archive_comments  text,
    _load_id          bigint      NOT NULL,
    _source_key       text        NOT NULL,
    _loaded_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_document_idx ON raw.audit (document_id, created_at DESC);
COMMENT ON TABLE raw.audit IS 'Exchange document audit records (exchange-{env}-documents-audit), DemandArchived actions.';
COMMENT ON COLUMN raw.audit.audit_record_id IS 'Audit record identifier.';
COMMENT ON COLUMN raw.audit.document_id IS 'Document (demand) the action was taken on.';
COMMENT ON COLUMN raw.audit.created_at IS 'When the action happened.';
COMMENT ON COLUMN raw.audit.action_type IS 'Audit action (DemandArchived, ...).';
COMMENT ON COLUMN raw.audit.archive_reason IS 'Archive reason from the audit payload.';
COMMENT ON COLUMN raw.audit.archive_comments IS 'Free-text archive comments from the audit payload (may hold PHI).';
COMMENT ON COLUMN raw.audit._load_id IS 'Lineage: ops.load_runs.load_id of the load that wrote this row.';
COMMENT ON COLUMN raw.audit._source_key IS 'Lineage: S3 key of the snapshot file.';
COMMENT ON COLUMN raw.audit._loaded_at IS 'Lineage: when this row was written.';
