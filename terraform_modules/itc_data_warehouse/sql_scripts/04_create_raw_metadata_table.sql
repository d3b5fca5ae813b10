-- Exchange documents-metadata: upload time, template, status history per document.
CREATE TABLE raw.metadata (
    document_id           text        PRIMARY KEY,
    document_type         text,
    uploaded_at           timestamptz,
    demand_is_deliverable boolean,
    demand_template_id    text,
    received_at           timestamptz,
    archived_at           timestamptz,
    status_history        jsonb,
    _load_id              bigint      NOT NULL,
    _source_key           text        NOT NULL,
    _loaded_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX metadata_template_idx ON raw.metadata (demand_template_id);
COMMENT ON TABLE raw.metadata IS 'Exchange document metadata (exchange-{env}-documents-metadata), one row per document.';
COMMENT ON COLUMN raw.metadata.document_id IS 'Document (demand) identifier.';
COMMENT ON COLUMN raw.metadata.document_type IS 'Document type.';
COMMENT ON COLUMN raw.metadata.uploaded_at IS 'When the demand was uploaded (metadata createdTs).';
COMMENT ON COLUMN raw.metadata.demand_is_deliverable IS 'Whether the demand can be delivered.';
COMMENT ON COLUMN raw.metadata.demand_template_id IS 'Template the demand was built from (null = none).';
COMMENT ON COLUMN raw.metadata.received_at IS 'When the carrier acknowledged receipt (first DocumentReceived status).';
COMMENT ON COLUMN raw.metadata.archived_at IS 'When the demand was archived (last DocumentArchived status).';
COMMENT ON COLUMN raw.metadata.status_history IS 'Status history as [{"documentStatus", "timestamp"}].';
COMMENT ON COLUMN raw.metadata._load_id IS 'Lineage: ops.load_runs.load_id of the load that wrote this row.';
COMMENT ON COLUMN raw.metadata._source_key IS 'Lineage: S3 key of the snapshot file.';
COMMENT ON COLUMN raw.metadata._loaded_at IS 'Lineage: when this row was written.';
