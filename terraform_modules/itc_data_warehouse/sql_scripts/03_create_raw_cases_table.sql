-- Exchange documents: one row per document version.
CREATE TABLE raw.cases (
    document_id           text        NOT NULL,
    version               integer     NOT NULL,
    customer_id           text,
    created_at            timestamptz,
    sending_firm_name     text,
    primary_contact_name  text,
    attorney_name         text,
    case_manager_names    text,
    claim_coverage        text,
    claim_number          text,
    loss_state            text,
    claimant_name         text,
    carrier_common_name   text,
    related_insurance_id  text,
    client_id             text,
    matter_id             text,
    matter_tech_id        text,
    matter_name           text,
    _load_id              bigint      NOT NULL,
    _source_key           text        NOT NULL,
    _loaded_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, version)
);
COMMENT ON TABLE raw.cases IS 'Exchange demand documents (exchange-{env}-documents), one row per document version.';
COMMENT ON COLUMN raw.cases.document_id IS 'Document (demand) identifier.';
COMMENT ON COLUMN raw.cases.version IS 'Document version; the highest is the current one.';
COMMENT ON COLUMN raw.cases.customer_id IS 'Exchange customer (law firm account) identifier.';
COMMENT ON COLUMN raw.cases.created_at IS 'When this version was created (source createdTs, epoch ms).';
COMMENT ON COLUMN raw.cases.sending_firm_name IS 'Sending law firm name (sendingFirm.firmName).';
COMMENT ON COLUMN raw.cases.primary_contact_name IS 'Firm primary contact, "first last" (PII).';
COMMENT ON COLUMN raw.cases.attorney_name IS 'Attorney of record, "first last" (PII).';
COMMENT ON COLUMN raw.cases.case_manager_names IS 'Case managers ("case collaborators"), "first last" joined by ", ", deduplicated in order (PII).';
COMMENT ON COLUMN raw.cases.claim_coverage IS 'Claim coverage type (claimInfo.claimCoverage).';
COMMENT ON COLUMN raw.cases.claim_number IS 'Insurance claim number (PHI).';
COMMENT ON COLUMN raw.cases.loss_state IS 'State where the loss occurred.';
COMMENT ON COLUMN raw.cases.claimant_name IS 'Claimant, "first last" (PHI).';
COMMENT ON COLUMN raw.cases.carrier_common_name IS 'Recipient insurance carrier (recipientCarrier.carrierCommonName).';
COMMENT ON COLUMN raw.cases.related_insurance_id IS 'Case management: related insurance id.';
COMMENT ON COLUMN raw.cases.client_id IS 'Case management: client id in the firm''s system.';
COMMENT ON COLUMN raw.cases.matter_id IS 'Case management: matter id.';
COMMENT ON COLUMN raw.cases.matter_tech_id IS 'Case management: matter technical id.';
COMMENT ON COLUMN raw.cases.matter_name IS 'Case management: matter name (may contain client names: PHI).';
COMMENT ON COLUMN raw.cases._load_id IS 'Lineage: ops.load_runs.load_id of the load that wrote this row.';
COMMENT ON COLUMN raw.cases._source_key IS 'Lineage: S3 key of the snapshot file.';
COMMENT ON COLUMN raw.cases._loaded_at IS 'Lineage: when this row was written.';
