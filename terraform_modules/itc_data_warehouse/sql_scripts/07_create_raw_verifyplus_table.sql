-- Verify+ requests from the Quickbase report: the 46 report fields (docs/design.md Appendix A), typed.
-- Column = snake_case of the Quickbase label ("Overide" corrected to override); a field the
-- warehouse does not know lands in extra_fields and is reported by the load.
CREATE TABLE raw.verifyplus (
    request_id                     bigint NOT NULL,
    request_created_datetime       timestamptz,
    request_type                   text,
    firm_name                      text,
    firm_contact_name              text,
    client_names                   text,
    accident_state                 text,
    bi_per_person_limit            numeric(14,2),
    bi_per_occurrence_limit        numeric(14,2),
    pd_limit                       numeric(14,2),
    um_per_person_limits           numeric(14,2),
    um_per_occurrence_limit        numeric(14,2),
    number_of_claimants            integer,
    claim_set_up_status            text,
    claim_set_up_assignee          jsonb,
    claim_set_up_start_date        date,
    claim_set_up_close_date        date,
    liability_status               text,
    verify_adjuster_name           text,
    verify_request_status          text,
    verify_start_datetime          timestamptz,
    reporting_carrier              text,
    reporting_policy_number        text,
    reporting_claim_number         text,
    request_status                 text,
    um_stacking                    text,
    customer_close_datetime        timestamptz,
    date_of_loss                   date,
    exclude_from_reporting         boolean,
    duplicate_request              boolean,
    duplicate_exclusion_comments   text,
    verify_close_datetime          timestamptz,
    verify_close_datetime_override timestamptz,
    created_previous_business_day  boolean,
    claim_days_to_close            numeric,
    injury_adjuster_name           text,
    property_adjuster_name         text,
    verify_time_open               numeric,
    verify_assignee                text,
    documentation_status           text,
    number_of_attempts             integer,
    number_of_attempted_calls      integer,
    number_of_attempted_emails     integer,
    coverage_status                text,
    coverage                       text,
    reporting_insured              text,
    extra_fields                   jsonb NOT NULL DEFAULT '{}'::jsonb,
    _load_id                       bigint NOT NULL,
    _source_key                    text NOT NULL,
    _loaded_at                     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id)
);
CREATE INDEX verifyplus_created_idx ON raw.verifyplus (request_created_datetime);
COMMENT ON TABLE raw.verifyplus IS 'Verify+ policy-limit requests (Quickbase report), one row per request.';
COMMENT ON COLUMN raw.verifyplus.request_id IS 'Quickbase "Request ID": Verify+ request identifier (Quickbase key).';
COMMENT ON COLUMN raw.verifyplus.request_created_datetime IS 'Quickbase "Request Created Datetime": When the request was created; decides the billing month (business time zone).';
COMMENT ON COLUMN raw.verifyplus.request_type IS 'Quickbase "Request Type": Request type.';
COMMENT ON COLUMN raw.verifyplus.firm_name IS 'Quickbase "Firm Name": Requesting law firm; the invoice is addressed to it.';
COMMENT ON COLUMN raw.verifyplus.firm_contact_name IS 'Quickbase "Firm Contact Name": Contact at the firm (PII).';
COMMENT ON COLUMN raw.verifyplus.client_names IS 'Quickbase "Client Names": Names of the firm''s clients (PHI).';
COMMENT ON COLUMN raw.verifyplus.accident_state IS 'Quickbase "Accident State": State of the accident.';
COMMENT ON COLUMN raw.verifyplus.bi_per_person_limit IS 'Quickbase "BI Per Person Limit": Bodily injury limit per person (PHI: policy data).';
COMMENT ON COLUMN raw.verifyplus.bi_per_occurrence_limit IS 'Quickbase "BI Per Occurrence Limit": Bodily injury limit per occurrence (PHI: policy data).';
COMMENT ON COLUMN raw.verifyplus.pd_limit IS 'Quickbase "PD Limit": Property damage limit (PHI: policy data).';
COMMENT ON COLUMN raw.verifyplus.um_per_person_limits IS 'Quickbase "UM Per Person Limits": Uninsured motorist limit per person (PHI: policy data).';
COMMENT ON COLUMN raw.verifyplus.um_per_occurrence_limit IS 'Quickbase "UM Per Occurrence Limit": Uninsured motorist limit per occurrence (PHI: policy data).';
COMMENT ON COLUMN raw.verifyplus.number_of_claimants IS 'Quickbase "Number of Claimants": Number of claimants.';
COMMENT ON COLUMN raw.verifyplus.claim_set_up_status IS 'Quickbase "Claim Set Up Status": Claim set-up status.';
COMMENT ON COLUMN raw.verifyplus.claim_set_up_assignee IS 'Quickbase "Claim Set Up Assignee": Quickbase user assigned to the claim set-up ({id, email, name, userName}; PII).';
COMMENT ON COLUMN raw.verifyplus.claim_set_up_start_date IS 'Quickbase "Claim Set Up Start Date": Claim set-up start date.';
COMMENT ON COLUMN raw.verifyplus.claim_set_up_close_date IS 'Quickbase "Claim Set Up Close Date": Claim set-up close date.';
COMMENT ON COLUMN raw.verifyplus.liability_status IS 'Quickbase "Liability Status": Liability status.';
COMMENT ON COLUMN raw.verifyplus.verify_adjuster_name IS 'Quickbase "Verify Adjuster Name": Adjuster contacted for verification (PII).';
COMMENT ON COLUMN raw.verifyplus.verify_request_status IS 'Quickbase "Verify Request Status": Verification status.';
COMMENT ON COLUMN raw.verifyplus.verify_start_datetime IS 'Quickbase "Verify Start Datetime": When verification started.';
COMMENT ON COLUMN raw.verifyplus.reporting_carrier IS 'Quickbase "Reporting Carrier": Carrier reporting the policy.';
COMMENT ON COLUMN raw.verifyplus.reporting_policy_number IS 'Quickbase "Reporting Policy Number": Policy number (PHI).';
COMMENT ON COLUMN raw.verifyplus.reporting_claim_number IS 'Quickbase "Reporting Claim Number": Claim number (PHI).';
COMMENT ON COLUMN raw.verifyplus.request_status IS 'Quickbase "Request Status": Request status.';
COMMENT ON COLUMN raw.verifyplus.um_stacking IS 'Quickbase "UM Stacking": Uninsured motorist stacking.';
COMMENT ON COLUMN raw.verifyplus.customer_close_datetime IS 'Quickbase "Customer Close Datetime": When the request was closed for the customer.';
COMMENT ON COLUMN raw.verifyplus.date_of_loss IS 'Quickbase "Date of Loss": Date of loss (PHI).';
COMMENT ON COLUMN raw.verifyplus.exclude_from_reporting IS 'Quickbase "Exclude From Reporting": Checked: not billable, not reported.';
COMMENT ON COLUMN raw.verifyplus.duplicate_request IS 'Quickbase "Duplicate Request": Checked: a duplicate, not billable.';
COMMENT ON COLUMN raw.verifyplus.duplicate_exclusion_comments IS 'Quickbase "Duplicate/Exclusion Comments": Why it is a duplicate or excluded (free text, may hold PHI).';
COMMENT ON COLUMN raw.verifyplus.verify_close_datetime IS 'Quickbase "Verify Close Datetime": When verification closed.';
COMMENT ON COLUMN raw.verifyplus.verify_close_datetime_override IS 'Quickbase "Verify Close Datetime Overide": Manual override of the verification close time (Quickbase label spelled "Overide").';
COMMENT ON COLUMN raw.verifyplus.created_previous_business_day IS 'Quickbase "Created Previous Business Day": Checked: created on the previous business day.';
COMMENT ON COLUMN raw.verifyplus.claim_days_to_close IS 'Quickbase "Claim Days to Close": Days from request to close.';
COMMENT ON COLUMN raw.verifyplus.injury_adjuster_name IS 'Quickbase "Injury Adjuster Name": Injury adjuster (PII).';
COMMENT ON COLUMN raw.verifyplus.property_adjuster_name IS 'Quickbase "Property Adjuster Name": Property adjuster (PII).';
COMMENT ON COLUMN raw.verifyplus.verify_time_open IS 'Quickbase "Verify Time Open": Time the verification was open.';
COMMENT ON COLUMN raw.verifyplus.verify_assignee IS 'Quickbase "Verify Assignee": Staff member assigned to verification (PII).';
COMMENT ON COLUMN raw.verifyplus.documentation_status IS 'Quickbase "Documentation Status": Documentation status.';
COMMENT ON COLUMN raw.verifyplus.number_of_attempts IS 'Quickbase "Number of Attempts": Contact attempts.';
COMMENT ON COLUMN raw.verifyplus.number_of_attempted_calls IS 'Quickbase "Number of Attempted Calls": Call attempts.';
COMMENT ON COLUMN raw.verifyplus.number_of_attempted_emails IS 'Quickbase "Number of Attempted Emails": Email attempts.';
COMMENT ON COLUMN raw.verifyplus.coverage_status IS 'Quickbase "Coverage Status": Coverage status.';
COMMENT ON COLUMN raw.verifyplus.coverage IS 'Quickbase "Coverage": Coverage found.';
COMMENT ON COLUMN raw.verifyplus.reporting_insured IS 'Quickbase "Reporting Insured": Insured person (PHI).';
COMMENT ON COLUMN raw.verifyplus.extra_fields IS 'Report fields the warehouse has no column for yet, by Quickbase label (reported at load).';
COMMENT ON COLUMN raw.verifyplus._load_id IS 'Lineage: ops.load_runs.load_id of the load that wrote this row.';
COMMENT ON COLUMN raw.verifyplus._source_key IS 'Lineage: S3 key of the snapshot file.';
COMMENT ON COLUMN raw.verifyplus._loaded_at IS 'Lineage: when this row was written.';
