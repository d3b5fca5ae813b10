-- The billing-critical fields inside the warehouse: the same list as
-- common/itc_common_utilities/itc_common_utilities/billing.py (CRITICAL_FIELDS), which a test keeps equal.
-- A bad value in one of these source fields rejects the record (ops.rejected_records: its units are at
-- risk, analytics.units_at_risk); a bad value in any other field is stored as NULL and noted in
-- ops.quarantined_fields, and the record loads. A new billing-critical field: add it to billing.py and,
-- in a new script, to this table.
CREATE TABLE ops.billing_critical_fields (
    table_schema text NOT NULL,
    table_name   text NOT NULL,
    column_name  text NOT NULL,
    source_field text NOT NULL,
    reason       text NOT NULL,
    PRIMARY KEY (table_schema, table_name, column_name)
);
COMMENT ON TABLE ops.billing_critical_fields IS 'Billing-critical fields: the raw columns (and the source fields that fill them) that decide a bill; same list as itc_common_utilities.billing. A bad value there rejects the record; elsewhere it is stored as NULL and noted in ops.quarantined_fields. No PHI.';
COMMENT ON COLUMN ops.billing_critical_fields.table_schema IS 'Schema of the raw table (raw). Not PHI.';
COMMENT ON COLUMN ops.billing_critical_fields.table_name IS 'The raw table. Not PHI.';
COMMENT ON COLUMN ops.billing_critical_fields.column_name IS 'The billing-critical column. Not PHI.';
COMMENT ON COLUMN ops.billing_critical_fields.source_field IS 'The source field that fills it (Exchange field name, or Quickbase label). Not PHI.';
COMMENT ON COLUMN ops.billing_critical_fields.reason IS 'Why a bill depends on it. Not PHI.';

INSERT INTO ops.billing_critical_fields (table_schema, table_name, column_name, source_field, reason) VALUES
    ('raw', 'cases', 'document_id', 'documentId', 'the demand''s key: its units are counted per document'),
    ('raw', 'cases', 'version', 'version', 'the latest version''s firm bills the demand'),
    ('raw', 'cases', 'customer_id', 'customerId', 'maps the demand to its billing account'),
    ('raw', 'cases', 'sending_firm_name', 'firmName', 'the firm billed (sendingFirm.firmName)'),
    ('raw', 'metadata', 'document_id', 'documentId', 'the demand''s key'),
    ('raw', 'metadata', 'uploaded_at', 'createdTs', 'the upload time: the uploaded unit and its month'),
    ('raw', 'metadata', 'demand_template_id', 'demandTemplateId', 'client-level templates are not billed'),
    ('raw', 'metadata', 'archived_at', 'documentStatusHistory', 'the DocumentArchived entries: the archived unit and its month'),
    ('raw', 'templates', 'template_id', 'templateId', 'the template''s key'),
    ('raw', 'templates', 'version', 'version', 'the latest version''s name decides'),
    ('raw', 'templates', 'template_name', 'templateName', 'a name containing ''client'' excludes the template''s demands'),
    ('raw', 'audit', 'audit_record_id', 'auditRecordId', 'the audit record''s key'),
    ('raw', 'audit', 'document_id', 'documentId', 'the demand the archive belongs to'),
    ('raw', 'verifyplus', 'request_id', 'Request ID', 'the request''s key'),
    ('raw', 'verifyplus', 'request_created_datetime', 'Request Created Datetime', 'the billed month'),
    ('raw', 'verifyplus', 'firm_name', 'Firm Name', 'the firm billed'),
    ('raw', 'verifyplus', 'duplicate_request', 'Duplicate Request', 'duplicates are not billed'),
    ('raw', 'verifyplus', 'exclude_from_reporting', 'Exclude From Reporting', 'excluded requests are not billed');
