-- Exchange templates: one row per template version.
CREATE TABLE raw.templates (
    template_id           text        NOT NULL,
    version               integer     NOT NULL,
    template_name         text,
    default_demand_config jsonb,
    _load_id              bigint      NOT NULL,
    _source_key           text        NOT NULL,
    _loaded_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (template_id, version)
);
COMMENT ON TABLE raw.templates IS 'Exchange demand templates (exchange-{env}-templates), one row per template version.';
COMMENT ON COLUMN raw.templates.template_id IS 'Template identifier.';
COMMENT ON COLUMN raw.templates.version IS 'Template version.';
COMMENT ON COLUMN raw.templates.template_name IS 'Template name; a name containing "client" marks a client-level template (excluded from billing).';
COMMENT ON COLUMN raw.templates.default_demand_config IS 'The template''s default demand configuration (JSON).';
COMMENT ON COLUMN raw.templates._load_id IS 'Lineage: ops.load_runs.load_id of the load that wrote this row.';
COMMENT ON COLUMN raw.templates._source_key IS 'Lineage: S3 key of the snapshot file.';
COMMENT ON COLUMN raw.templates._loaded_at IS 'Lineage: when this row was written.';
