-- curated.verifyplus: the Verify+ requests, typed (raw.verifyplus is already typed by the load),
-- one row per request, with the derived figures the analytics layer uses:
--   * firm_name right-stripped (as the demand firm names), flags null -> false (unchecked);
--   * close_datetime = Verify Close Datetime Overide when set, else Verify Close Datetime;
--   * days_to_close  = close_datetime - request_created_datetime, in days;
--   * is_billable    = not a duplicate and not excluded from reporting (docs/design.md Appendix A).
--   * billing_month  = the request's billing month (ref.billing_month of request_created_datetime);
--   * load_id, source_key: lineage of the raw row (the load that last changed it).
-- extra_fields (unknown report fields, possibly PHI) stays in raw.
CREATE MATERIALIZED VIEW curated.verifyplus AS
SELECT
    v.request_id,
    v.request_created_datetime,
    v.request_type,
    nullif(regexp_replace(v.firm_name, '\s+$', ''), '') AS firm_name,
    v.firm_contact_name,
    v.client_names,
    v.accident_state,
    v.bi_per_person_limit,
    v.bi_per_occurrence_limit,
    v.pd_limit,
    v.um_per_person_limits,
    v.um_per_occurrence_limit,
    v.number_of_claimants,
    v.claim_set_up_status,
    v.claim_set_up_assignee,
    v.claim_set_up_start_date,
    v.claim_set_up_close_date,
    v.liability_status,
    v.verify_adjuster_name,
    v.verify_request_status,
    v.verify_start_datetime,
    v.reporting_carrier,
    v.reporting_policy_number,
    v.reporting_claim_number,
    v.request_status,
    v.um_stacking,
    v.customer_close_datetime,
    v.date_of_loss,
    coalesce(v.exclude_from_reporting, false) AS exclude_from_reporting,
    coalesce(v.duplicate_request, false) AS duplicate_request,
    v.duplicate_exclusion_comments,
    v.verify_close_datetime,
    v.verify_close_datetime_override,
    coalesce(v.created_previous_business_day, false) AS created_previous_business_day,
    v.claim_days_to_close,
    v.injury_adjuster_name,
    v.property_adjuster_name,
    v.verify_time_open,
    v.verify_assignee,
    v.documentation_status,
    v.number_of_attempts,
    v.number_of_attempted_calls,
    v.number_of_attempted_emails,
    v.coverage_status,
    v.coverage,
    v.reporting_insured,
    coalesce(v.verify_close_datetime_override, v.verify_close_datetime) AS close_datetime,
    round((extract(epoch FROM coalesce(v.verify_close_datetime_override, v.verify_close_datetime) - v.request_created_datetime) / 86400.0)::numeric, 2) AS days_to_close,
    NOT coalesce(v.duplicate_request, false) AND NOT coalesce(v.exclude_from_reporting, false) AS is_billable,
    ref.billing_month(v.request_created_datetime) AS billing_month,
    v._load_id AS load_id,
    v._source_key AS source_key
FROM raw.verifyplus AS v
WITH NO DATA;

CREATE UNIQUE INDEX verifyplus_request_uq ON curated.verifyplus (request_id);
CREATE INDEX verifyplus_created_idx ON curated.verifyplus (request_created_datetime);
CREATE INDEX verifyplus_month_idx ON curated.verifyplus (billing_month);

COMMENT ON MATERIALIZED VIEW curated.verifyplus IS 'Verify+ policy-limit requests, typed, one row per request, with close time, days to close and billable flag. Holds PHI (policy data, claim numbers, client names): read through the de-identified views unless you hold the PHI role.';
COMMENT ON COLUMN curated.verifyplus.request_id IS 'Quickbase "Request ID": Verify+ request identifier (Quickbase key). Not PHI.';
COMMENT ON COLUMN curated.verifyplus.request_created_datetime IS 'Quickbase "Request Created Datetime": When the request was created; decides the billing month (business time zone). Not PHI.';
COMMENT ON COLUMN curated.verifyplus.request_type IS 'Quickbase "Request Type": Request type. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.firm_name IS 'Quickbase "Firm Name": Requesting law firm, trailing whitespace removed; the invoice is addressed to it. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.firm_contact_name IS 'Quickbase "Firm Contact Name": Contact at the firm (PII).';
COMMENT ON COLUMN curated.verifyplus.client_names IS 'Quickbase "Client Names": Names of the firm''s clients (PHI).';
COMMENT ON COLUMN curated.verifyplus.accident_state IS 'Quickbase "Accident State": State of the accident. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.bi_per_person_limit IS 'Quickbase "BI Per Person Limit": Bodily injury limit per person (PHI).';
COMMENT ON COLUMN curated.verifyplus.bi_per_occurrence_limit IS 'Quickbase "BI Per Occurrence Limit": Bodily injury limit per occurrence (PHI).';
COMMENT ON COLUMN curated.verifyplus.pd_limit IS 'Quickbase "PD Limit": Property damage limit (PHI).';
COMMENT ON COLUMN curated.verifyplus.um_per_person_limits IS 'Quickbase "UM Per Person Limits": Uninsured motorist limit per person (PHI).';
COMMENT ON COLUMN curated.verifyplus.um_per_occurrence_limit IS 'Quickbase "UM Per Occurrence Limit": Uninsured motorist limit per occurrence (PHI).';
COMMENT ON COLUMN curated.verifyplus.number_of_claimants IS 'Quickbase "Number of Claimants": Number of claimants. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.claim_set_up_status IS 'Quickbase "Claim Set Up Status": Claim set-up status. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.claim_set_up_assignee IS 'Quickbase "Claim Set Up Assignee": Quickbase user assigned to the claim set-up ({id, email, name, userName}) (PII).';
COMMENT ON COLUMN curated.verifyplus.claim_set_up_start_date IS 'Quickbase "Claim Set Up Start Date": Claim set-up start date. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.claim_set_up_close_date IS 'Quickbase "Claim Set Up Close Date": Claim set-up close date. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.liability_status IS 'Quickbase "Liability Status": Liability status. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.verify_adjuster_name IS 'Quickbase "Verify Adjuster Name": Adjuster contacted for verification (PII).';
COMMENT ON COLUMN curated.verifyplus.verify_request_status IS 'Quickbase "Verify Request Status": Verification status. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.verify_start_datetime IS 'Quickbase "Verify Start Datetime": When verification started. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.reporting_carrier IS 'Quickbase "Reporting Carrier": Carrier reporting the policy. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.reporting_policy_number IS 'Quickbase "Reporting Policy Number": Policy number (PHI).';
COMMENT ON COLUMN curated.verifyplus.reporting_claim_number IS 'Quickbase "Reporting Claim Number": Claim number (PHI).';
COMMENT ON COLUMN curated.verifyplus.request_status IS 'Quickbase "Request Status": Request status. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.um_stacking IS 'Quickbase "UM Stacking": Uninsured motorist stacking. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.customer_close_datetime IS 'Quickbase "Customer Close Datetime": When the request was closed for the customer. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.date_of_loss IS 'Quickbase "Date of Loss": Date of loss (PHI).';
COMMENT ON COLUMN curated.verifyplus.exclude_from_reporting IS 'Quickbase "Exclude From Reporting": Checked: not billable, not reported. Unchecked (false) when Quickbase sent nothing. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.duplicate_request IS 'Quickbase "Duplicate Request": Checked: a duplicate, not billable. Unchecked (false) when Quickbase sent nothing. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.duplicate_exclusion_comments IS 'Quickbase "Duplicate/Exclusion Comments": Why it is a duplicate or excluded (free text; PHI).';
COMMENT ON COLUMN curated.verifyplus.verify_close_datetime IS 'Quickbase "Verify Close Datetime": When verification closed. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.verify_close_datetime_override IS 'Quickbase "Verify Close Datetime Overide": Manual override of the verification close time (Quickbase label spelled "Overide"). Not PHI.';
COMMENT ON COLUMN curated.verifyplus.created_previous_business_day IS 'Quickbase "Created Previous Business Day": Checked: created on the previous business day. Unchecked (false) when Quickbase sent nothing. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.claim_days_to_close IS 'Quickbase "Claim Days to Close": Days from request to close. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.injury_adjuster_name IS 'Quickbase "Injury Adjuster Name": Injury adjuster (PII).';
COMMENT ON COLUMN curated.verifyplus.property_adjuster_name IS 'Quickbase "Property Adjuster Name": Property adjuster (PII).';
COMMENT ON COLUMN curated.verifyplus.verify_time_open IS 'Quickbase "Verify Time Open": Time the verification was open. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.verify_assignee IS 'Quickbase "Verify Assignee": Staff member assigned to verification (PII).';
COMMENT ON COLUMN curated.verifyplus.documentation_status IS 'Quickbase "Documentation Status": Documentation status. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.number_of_attempts IS 'Quickbase "Number of Attempts": Contact attempts. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.number_of_attempted_calls IS 'Quickbase "Number of Attempted Calls": Call attempts. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.number_of_attempted_emails IS 'Quickbase "Number of Attempted Emails": Email attempts. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.coverage_status IS 'Quickbase "Coverage Status": Coverage status. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.coverage IS 'Quickbase "Coverage": Coverage found. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.reporting_insured IS 'Quickbase "Reporting Insured": Insured person (PHI).';
COMMENT ON COLUMN curated.verifyplus.close_datetime IS 'When verification closed: the manual override when set, else Verify Close Datetime; null while open. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.days_to_close IS 'Days from request creation to close_datetime (fractional, 2 decimals); null while open. Used for the SLA figures. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.is_billable IS 'True when the request is billed: neither a duplicate nor excluded from reporting. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.billing_month IS 'Billing month of the request, YYYY-MM: the calendar month of request_created_datetime in the business time zone (ref.billing_month), whatever the session TimeZone; null when the creation time is unknown. Indexed. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.load_id IS 'Lineage: the load (ops.load_runs.load_id) that last wrote the request''s raw.verifyplus row. Not PHI.';
COMMENT ON COLUMN curated.verifyplus.source_key IS 'Lineage: S3 key of the snapshot file that row came from. Not PHI.';
