-- De-identified curated views for analysts (DESIGN.md §6): schema curated_deid, one view per curated
-- materialized view, with every column except the PHI/PII columns of the catalogue (ops.phi_columns,
-- itc_common_utilities.phi). Analysts (itc_analyst) read these with a plain SELECT *; the curated
-- materialized views themselves are readable in full only by phi_reader (and column-wise, non-PHI
-- only, by curated_read_only). The views run with their owner's (itc_migrator's) rights on curated.
-- A new curated column reaches analysts only when a new script adds it here (a test checks that no
-- view column is in the catalogue).
CREATE SCHEMA IF NOT EXISTS curated_deid;
COMMENT ON SCHEMA curated_deid IS 'De-identified views of the curated layer for analysts: no PHI/PII columns (catalogue: ops.phi_columns).';

CREATE VIEW curated_deid.demands_uploaded AS
SELECT
    document_id,
    document_version,
    customer_id,
    sending_firm_name,
    matter_id,
    matter_tech_id,
    carrier_common_name,
    claim_coverage,
    loss_state,
    demand_template_id,
    template_name,
    document_type,
    demand_is_deliverable,
    version_created_at,
    uploaded_at,
    received_at,
    archived_at
FROM curated.demands_uploaded;
COMMENT ON VIEW curated_deid.demands_uploaded IS 'De-identified curated.demands_uploaded for analysts: every column except the PHI/PII ones of the catalogue (ops.phi_columns). One row per row of curated.demands_uploaded.';
COMMENT ON COLUMN curated_deid.demands_uploaded.document_id IS 'Document (demand) identifier. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_uploaded.document_version IS 'The document version shown (the latest one). Not PHI.';
COMMENT ON COLUMN curated_deid.demands_uploaded.customer_id IS 'Exchange customer (law firm account) identifier. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_uploaded.sending_firm_name IS 'Sending law firm (latest version''s firm name, trailing whitespace removed); the invoice is addressed to it. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_uploaded.matter_id IS 'Matter id in the firm''s case management system. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_uploaded.matter_tech_id IS 'Matter technical id in the firm''s case management system. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_uploaded.carrier_common_name IS 'Recipient insurance carrier. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_uploaded.claim_coverage IS 'Claim coverage type. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_uploaded.loss_state IS 'State where the loss occurred. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_uploaded.demand_template_id IS 'Template the demand was built from; null when none. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_uploaded.template_name IS 'Name of the template''s latest version; null when the demand has no template. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_uploaded.document_type IS 'Document type from the metadata. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_uploaded.demand_is_deliverable IS 'Whether the demand can be delivered. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_uploaded.version_created_at IS 'When the latest document version was created. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_uploaded.uploaded_at IS 'When the demand was uploaded; its month in the business time zone is the billing month (demand_uploaded). Not PHI.';
COMMENT ON COLUMN curated_deid.demands_uploaded.received_at IS 'When the carrier acknowledged receipt; null if not yet. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_uploaded.archived_at IS 'When the demand was archived (last DocumentArchived status); null if not archived. Not PHI.';

CREATE VIEW curated_deid.demands_archived AS
SELECT
    document_id,
    document_version,
    customer_id,
    sending_firm_name,
    matter_id,
    matter_tech_id,
    carrier_common_name,
    claim_coverage,
    loss_state,
    demand_template_id,
    template_name,
    document_type,
    demand_is_deliverable,
    version_created_at,
    uploaded_at,
    received_at,
    archived_at,
    archive_reason,
    archive_audit_record_id
FROM curated.demands_archived;
COMMENT ON VIEW curated_deid.demands_archived IS 'De-identified curated.demands_archived for analysts: every column except the PHI/PII ones of the catalogue (ops.phi_columns). One row per row of curated.demands_archived.';
COMMENT ON COLUMN curated_deid.demands_archived.document_id IS 'Document (demand) identifier. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_archived.document_version IS 'The document version shown (the latest one). Not PHI.';
COMMENT ON COLUMN curated_deid.demands_archived.customer_id IS 'Exchange customer (law firm account) identifier. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_archived.sending_firm_name IS 'Sending law firm (latest version''s firm name, trailing whitespace removed); the invoice is addressed to it. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_archived.matter_id IS 'Matter id in the firm''s case management system. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_archived.matter_tech_id IS 'Matter technical id in the firm''s case management system. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_archived.carrier_common_name IS 'Recipient insurance carrier. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_archived.claim_coverage IS 'Claim coverage type. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_archived.loss_state IS 'State where the loss occurred. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_archived.demand_template_id IS 'Template the demand was built from; null when none. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_archived.template_name IS 'Name of the template''s latest version; null when the demand has no template. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_archived.document_type IS 'Document type from the metadata. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_archived.demand_is_deliverable IS 'Whether the demand can be delivered. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_archived.version_created_at IS 'When the latest document version was created. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_archived.uploaded_at IS 'When the demand was uploaded (may be null for an archived demand). Not PHI.';
COMMENT ON COLUMN curated_deid.demands_archived.received_at IS 'When the carrier acknowledged receipt; null if never. Not PHI.';
COMMENT ON COLUMN curated_deid.demands_archived.archived_at IS 'When the demand was archived (last DocumentArchived status); its month in the business time zone is the billing month (demand_archived). Not PHI.';
COMMENT ON COLUMN curated_deid.demands_archived.archive_reason IS 'Archive reason from the latest DemandArchived audit record; '''' when missing. Not PHI (a reason code chosen from a list).';
COMMENT ON COLUMN curated_deid.demands_archived.archive_audit_record_id IS 'The audit record the reason and comments come from; null when none. Not PHI.';

CREATE VIEW curated_deid.verifyplus AS
SELECT
    request_id,
    request_created_datetime,
    request_type,
    firm_name,
    accident_state,
    number_of_claimants,
    claim_set_up_status,
    claim_set_up_start_date,
    claim_set_up_close_date,
    liability_status,
    verify_request_status,
    verify_start_datetime,
    reporting_carrier,
    request_status,
    um_stacking,
    customer_close_datetime,
    exclude_from_reporting,
    duplicate_request,
    verify_close_datetime,
    verify_close_datetime_override,
    created_previous_business_day,
    claim_days_to_close,
    verify_time_open,
    verify_assignee,
    documentation_status,
    number_of_attempts,
    number_of_attempted_calls,
    number_of_attempted_emails,
    coverage_status,
    coverage,
    close_datetime,
    days_to_close,
    is_billable
FROM curated.verifyplus;
COMMENT ON VIEW curated_deid.verifyplus IS 'De-identified curated.verifyplus for analysts: every column except the PHI/PII ones of the catalogue (ops.phi_columns). One row per row of curated.verifyplus.';
COMMENT ON COLUMN curated_deid.verifyplus.request_id IS 'Quickbase "Request ID": Verify+ request identifier (Quickbase key). Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.request_created_datetime IS 'Quickbase "Request Created Datetime": When the request was created; decides the billing month (business time zone). Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.request_type IS 'Quickbase "Request Type": Request type. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.firm_name IS 'Quickbase "Firm Name": Requesting law firm, trailing whitespace removed; the invoice is addressed to it. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.accident_state IS 'Quickbase "Accident State": State of the accident. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.number_of_claimants IS 'Quickbase "Number of Claimants": Number of claimants. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.claim_set_up_status IS 'Quickbase "Claim Set Up Status": Claim set-up status. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.claim_set_up_start_date IS 'Quickbase "Claim Set Up Start Date": Claim set-up start date. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.claim_set_up_close_date IS 'Quickbase "Claim Set Up Close Date": Claim set-up close date. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.liability_status IS 'Quickbase "Liability Status": Liability status. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.verify_request_status IS 'Quickbase "Verify Request Status": Verification status. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.verify_start_datetime IS 'Quickbase "Verify Start Datetime": When verification started. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.reporting_carrier IS 'Quickbase "Reporting Carrier": Carrier reporting the policy. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.request_status IS 'Quickbase "Request Status": Request status. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.um_stacking IS 'Quickbase "UM Stacking": Uninsured motorist stacking. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.customer_close_datetime IS 'Quickbase "Customer Close Datetime": When the request was closed for the customer. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.exclude_from_reporting IS 'Quickbase "Exclude From Reporting": Checked: not billable, not reported. Unchecked (false) when Quickbase sent nothing. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.duplicate_request IS 'Quickbase "Duplicate Request": Checked: a duplicate, not billable. Unchecked (false) when Quickbase sent nothing. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.verify_close_datetime IS 'Quickbase "Verify Close Datetime": When verification closed. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.verify_close_datetime_override IS 'Quickbase "Verify Close Datetime Overide": Manual override of the verification close time (Quickbase label spelled "Overide"). Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.created_previous_business_day IS 'Quickbase "Created Previous Business Day": Checked: created on the previous business day. Unchecked (false) when Quickbase sent nothing. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.claim_days_to_close IS 'Quickbase "Claim Days to Close": Days from request to close. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.verify_time_open IS 'Quickbase "Verify Time Open": Time the verification was open. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.verify_assignee IS 'Quickbase "Verify Assignee": Staff member assigned to verification. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.documentation_status IS 'Quickbase "Documentation Status": Documentation status. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.number_of_attempts IS 'Quickbase "Number of Attempts": Contact attempts. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.number_of_attempted_calls IS 'Quickbase "Number of Attempted Calls": Call attempts. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.number_of_attempted_emails IS 'Quickbase "Number of Attempted Emails": Email attempts. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.coverage_status IS 'Quickbase "Coverage Status": Coverage status. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.coverage IS 'Quickbase "Coverage": Coverage found. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.close_datetime IS 'When verification closed: the manual override when set, else Verify Close Datetime; null while open. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.days_to_close IS 'Days from request creation to close_datetime (fractional, 2 decimals); null while open. Used for the SLA figures. Not PHI.';
COMMENT ON COLUMN curated_deid.verifyplus.is_billable IS 'True when the request is billed: neither a duplicate nor excluded from reporting. Not PHI.';

