-- Schema compat: the original system's analyst-facing views, under the original's names and quoted
-- camelCase column names, so a workbook written for the original runs unchanged against ITC
-- (docs/migrating-from-original.md maps every object and states every change of meaning).
--
--   compat.demands_summary   <- analytics.demands_summary     (the original analytics.demands_summary)
--   compat.demands_uploaded  <- curated_deid.demands_uploaded (the original curated.demands_uploaded)
--   compat.demands_archived  <- curated_deid.demands_archived (the original curated.demands_archived)
--   compat.verifyplus        <- curated_deid.verifyplus       (the original curated.verifyplus)
--
-- Only what analysts may read is read here: analytics and the de-identified curated views, never raw
-- or curated. A column the original showed but ITC treats as PHI/PII (ops.phi_columns) is kept, so
-- the workbook's SELECT list still runs, but is always NULL (typed as ITC would type it).
-- ITC's rules apply, not the original's: billing months in the business time zone, client-level and
-- unknown templates excluded, firms right-stripped, the archive reason read from the audit payload.
-- Times are shown as wall-clock timestamps (without time zone) in the business time zone
-- (ref.business_time_zone()), so the original's to_char(<date>, 'YYYY-MM') gives ITC's billing
-- month whatever the session TimeZone. Plain views owned by itc_migrator (they read with its rights);
-- script 71 grants them to the analyst groups.
CREATE SCHEMA IF NOT EXISTS compat;
ALTER SCHEMA compat OWNER TO itc_migrator;
COMMENT ON SCHEMA compat IS 'Compatibility views with the original system''s names and camelCase columns, over analytics and the de-identified curated views (no raw, no PHI: columns the original showed that ITC protects are always NULL; ids are the keyed hashes and times the first instant of their month, as in curated_deid). ITC''s rules and business-time-zone months apply. For workbooks being moved; new work reads analytics and curated_deid (docs/migrating-from-original.md).';

-- ---------------------------------------------------------------------------- demands_summary
CREATE VIEW compat.demands_summary AS
SELECT
    s.billing_month     AS "month",
    s.sending_firm_name AS "sendingFirm",
    s.uploaded_count    AS "uploaded",
    s.archived_count    AS "archived"
FROM analytics.demands_summary AS s;

COMMENT ON VIEW compat.demands_summary IS 'The original analytics.demands_summary under its own names: demands uploaded and archived per month and sending firm. Reads analytics.demands_summary, so months are billing months in the business time zone (the original used UTC months) and a demand without a firm counts under ''(no firm name)''. No PHI.';
COMMENT ON COLUMN compat.demands_summary."month" IS 'Billing month, YYYY-MM, calendar month in the business time zone (analytics.demands_summary.billing_month; the original: the UTC month). Not PHI.';
COMMENT ON COLUMN compat.demands_summary."sendingFirm" IS 'Sending law firm, right-stripped; ''(no firm name)'' when none (analytics.demands_summary.sending_firm_name). Not PHI.';
COMMENT ON COLUMN compat.demands_summary."uploaded" IS 'Billable demands uploaded in the month; 0 when none (analytics.demands_summary.uploaded_count). Not PHI.';
COMMENT ON COLUMN compat.demands_summary."archived" IS 'Billable demands archived in the month; 0 when none (analytics.demands_summary.archived_count). Not PHI.';

-- ---------------------------------------------------------------------------- demands_uploaded
CREATE VIEW compat.demands_uploaded AS
SELECT
    u.sending_firm_name                                AS "sendingFirm",
    u.document_hash                                    AS "precedentDocumentId",
    to_date(u.uploaded_month, 'YYYY-MM')::timestamp    AS "demandUploadedDate",
    to_date(u.archived_month, 'YYYY-MM')::timestamp    AS "demandArchivedDate",
    NULL::text                                         AS "matterName",
    NULL::text                                         AS "clientName",
    u.carrier_common_name                              AS "recipientCarrier",
    NULL::text                                         AS "claimNumber",
    u.claim_coverage                                   AS "claimCoverage",
    u.loss_state                                       AS "lossState",
    NULL::text                                         AS "assignedCaseManager",
    NULL::text                                         AS "matterClientId",
    NULL::text                                         AS "assignedAttorney",
    NULL::text                                         AS "assignedCaseCollaborator"
FROM curated_deid.demands_uploaded AS u;

COMMENT ON VIEW compat.demands_uploaded IS 'The original curated.demands_uploaded under its own names: one row per billable uploaded demand (latest version; client-level and unknown templates excluded; no template kept). Reads curated_deid.demands_uploaded: the columns ITC protects are always NULL. Times are months (the first instant of the month, business time zone) and ids keyed hashes, as in curated_deid. No PHI.';
COMMENT ON COLUMN compat.demands_uploaded."sendingFirm" IS 'Sending law firm of the latest version, right-stripped; NULL when none (curated_deid.demands_uploaded.sending_firm_name). Not PHI.';
COMMENT ON COLUMN compat.demands_uploaded."precedentDocumentId" IS 'Keyed hash of the document (demand) id (curated_deid.demands_uploaded.document_hash; HIPAA Safe Harbor: the original showed the id). Not PHI.';
COMMENT ON COLUMN compat.demands_uploaded."demandUploadedDate" IS 'Month of the upload, as the first instant of that month in the business time zone (curated_deid.demands_uploaded.uploaded_month; HIPAA Safe Harbor: no day or time); to_char(.., ''YYYY-MM'') is the billing month. Not PHI.';
COMMENT ON COLUMN compat.demands_uploaded."demandArchivedDate" IS 'Month of the archive, as the first instant of that month (curated_deid.demands_uploaded.archived_month); NULL when not archived. Not PHI.';
COMMENT ON COLUMN compat.demands_uploaded."matterName" IS 'Always NULL: withheld from analysts (matter_name is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.demands_uploaded."clientName" IS 'Always NULL: withheld from analysts (the claimant, claimant_name, is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.demands_uploaded."recipientCarrier" IS 'Recipient insurance carrier (curated_deid.demands_uploaded.carrier_common_name). Not PHI.';
COMMENT ON COLUMN compat.demands_uploaded."claimNumber" IS 'Always NULL: withheld from analysts (claim_number is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.demands_uploaded."claimCoverage" IS 'Claim coverage type (curated_deid.demands_uploaded.claim_coverage). Not PHI.';
COMMENT ON COLUMN compat.demands_uploaded."lossState" IS 'State where the loss occurred (curated_deid.demands_uploaded.loss_state). Not PHI.';
COMMENT ON COLUMN compat.demands_uploaded."assignedCaseManager" IS 'Always NULL: withheld from analysts (the firm contact, primary_contact_name, is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.demands_uploaded."matterClientId" IS 'Always NULL: withheld from analysts (client_id is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.demands_uploaded."assignedAttorney" IS 'Always NULL: withheld from analysts (attorney_name is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.demands_uploaded."assignedCaseCollaborator" IS 'Always NULL: withheld from analysts (case_manager_names is in ops.phi_columns; the original had a text array, ITC one text). Not PHI as shown (empty).';

-- ---------------------------------------------------------------------------- demands_archived
CREATE VIEW compat.demands_archived AS
SELECT
    to_date(a.archived_month, 'YYYY-MM')::timestamp    AS "demandArchivedDate",
    a.document_hash                                    AS "precedentDocumentId",
    a.sending_firm_name                                AS "sendingFirm",
    NULL::text                                         AS "matterName",
    NULL::text                                         AS "clientName",
    a.carrier_common_name                              AS "recipientCarrier",
    NULL::text                                         AS "claimNumber",
    a.claim_coverage                                   AS "claimCoverage",
    a.loss_state                                       AS "lossState",
    NULL::text                                         AS "assignedAttorney",
    NULL::text                                         AS "assignedCaseManager",
    a.archive_reason                                   AS "lastArchiveReason",
    NULL::text                                         AS "lastArchiveComment"
FROM curated_deid.demands_archived AS a;

COMMENT ON VIEW compat.demands_archived IS 'The original curated.demands_archived under its own names: one row per billable archived demand, with the reason of its latest DemandArchived audit record (the original never read the audit payload, so its reasons were empty). Reads curated_deid.demands_archived: the columns ITC protects are always NULL. Times are months (the first instant of the month, business time zone) and ids keyed hashes, as in curated_deid. No PHI.';
COMMENT ON COLUMN compat.demands_archived."demandArchivedDate" IS 'Month of the archive, as the first instant of that month in the business time zone (curated_deid.demands_archived.archived_month; HIPAA Safe Harbor: no day or time); to_char(.., ''YYYY-MM'') is the billing month. Not PHI.';
COMMENT ON COLUMN compat.demands_archived."precedentDocumentId" IS 'Keyed hash of the document (demand) id (curated_deid.demands_archived.document_hash; HIPAA Safe Harbor: the original showed the id). Not PHI.';
COMMENT ON COLUMN compat.demands_archived."sendingFirm" IS 'Sending law firm of the latest version, right-stripped; NULL when none (curated_deid.demands_archived.sending_firm_name). Not PHI.';
COMMENT ON COLUMN compat.demands_archived."matterName" IS 'Always NULL: withheld from analysts (matter_name is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.demands_archived."clientName" IS 'Always NULL: withheld from analysts (the claimant, claimant_name, is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.demands_archived."recipientCarrier" IS 'Recipient insurance carrier (curated_deid.demands_archived.carrier_common_name). Not PHI.';
COMMENT ON COLUMN compat.demands_archived."claimNumber" IS 'Always NULL: withheld from analysts (claim_number is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.demands_archived."claimCoverage" IS 'Claim coverage type (curated_deid.demands_archived.claim_coverage). Not PHI.';
COMMENT ON COLUMN compat.demands_archived."lossState" IS 'State where the loss occurred (curated_deid.demands_archived.loss_state). Not PHI.';
COMMENT ON COLUMN compat.demands_archived."assignedAttorney" IS 'Always NULL: withheld from analysts (attorney_name is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.demands_archived."assignedCaseManager" IS 'Always NULL: withheld from analysts (the firm contact, primary_contact_name, is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.demands_archived."lastArchiveReason" IS 'Archive reason of the latest DemandArchived audit record, read from its payload; '''' when none (curated_deid.demands_archived.archive_reason). Not PHI.';
COMMENT ON COLUMN compat.demands_archived."lastArchiveComment" IS 'Always NULL: withheld from analysts (the free-text archive_comments is in ops.phi_columns; the original showed '''' as it never read it). Not PHI as shown (empty).';

-- ---------------------------------------------------------------------------- verifyplus
CREATE VIEW compat.verifyplus AS
SELECT
    to_date(v.request_created_month, 'YYYY-MM')::timestamp AS "requestCreatedDatetime",
    NULL::numeric(14,2)                                                   AS "biPerPersonLimit",
    v.accident_state                                                      AS "accidentState",
    NULL::numeric(14,2)                                                   AS "biPerOccurrenceLimit",
    NULL::numeric(14,2)                                                   AS "pdLimit",
    NULL::text                                                            AS "propertyAdjusterName",
    v.number_of_claimants                                                 AS "numberOfClaimants",
    v.request_type                                                        AS "requestType",
    v.claim_set_up_status                                                 AS "claimSetUpStatus",
    NULL::jsonb                                                           AS "claimSetUpAssignee",
    v.liability_status                                                    AS "liabilityStatus",
    NULL::text                                                            AS "verifyAdjusterName",
    v.verify_request_status                                               AS "verifyRequestStatus",
    v.firm_name                                                           AS "firmName",
    to_date(v.verify_start_month, 'YYYY-MM')::timestamp AS "verifyStartDatetime",
    to_date(v.claim_set_up_start_month, 'YYYY-MM') AS "claimSetUpStartDate",
    NULL::numeric(14,2)                                                   AS "umPerPersonLimits",
    to_date(v.claim_set_up_close_month, 'YYYY-MM') AS "claimSetUpCloseDate",
    v.reporting_carrier                                                   AS "reportingCarrier",
    NULL::text                                                            AS "reportingPolicyNumber",
    NULL::text                                                            AS "reportingInsured",
    NULL::text                                                            AS "reportingClaimNumber",
    v.request_status                                                      AS "requestStatus",
    v.um_stacking                                                         AS "umStacking",
    to_date(v.customer_close_month, 'YYYY-MM')::timestamp AS "customerCloseDatetime",
    NULL::date                                                            AS "dateOfLoss",
    v.exclude_from_reporting                                              AS "excludeFromReporting",
    NULL::text                                                            AS "duplicateexclusionComments",
    v.duplicate_request                                                   AS "duplicateRequest",
    to_date(v.verify_close_override_month, 'YYYY-MM')::timestamp AS "verifyCloseDatetimeOveride",
    v.request_hash                                                        AS "requestId",
    NULL::text                                                            AS "firmContactName",
    v.created_previous_business_day                                       AS "createdPreviousBusinessDay",
    v.claim_days_to_close                                                 AS "claimDaysToClose",
    NULL::text                                                            AS "injuryAdjusterName",
    to_date(v.verify_close_month, 'YYYY-MM')::timestamp AS "verifyCloseDatetime",
    v.verify_time_open                                                    AS "verifyTimeOpen",
    NULL::text                                                            AS "verifyAssignee",
    v.documentation_status                                                AS "documentationStatus",
    v.number_of_attempts                                                  AS "numberOfAttempts",
    v.number_of_attempted_calls                                           AS "numberOfAttemptedCalls",
    v.number_of_attempted_emails                                          AS "numberOfAttemptedEmails",
    v.coverage_status                                                     AS "coverageStatus",
    NULL::text                                                            AS "clientNames",
    NULL::numeric(14,2)                                                   AS "umPerOccurrenceLimit",
    v.coverage                                                            AS "coverage"
FROM curated_deid.verifyplus AS v;

COMMENT ON VIEW compat.verifyplus IS 'The original curated.verifyplus under its own names and column order: one row per Verify+ request, billable or not (billable = neither "duplicateRequest" nor "excludeFromReporting"). Reads curated_deid.verifyplus: the columns ITC protects are always NULL. Times are months (the first instant of the month, business time zone) and ids keyed hashes, as in curated_deid. No PHI.';
COMMENT ON COLUMN compat.verifyplus."requestCreatedDatetime" IS 'Month of Quickbase "Request Created Datetime", as the first instant of that month in the business time zone (curated_deid.verifyplus.request_created_month; HIPAA Safe Harbor: no day or time); to_char(.., ''YYYY-MM'') is the billing month. Not PHI.';
COMMENT ON COLUMN compat.verifyplus."biPerPersonLimit" IS 'Always NULL: withheld from analysts (policy data, bi_per_person_limit, is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.verifyplus."accidentState" IS 'Quickbase "Accident State" (curated_deid.verifyplus.accident_state). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."biPerOccurrenceLimit" IS 'Always NULL: withheld from analysts (policy data, bi_per_occurrence_limit, is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.verifyplus."pdLimit" IS 'Always NULL: withheld from analysts (policy data, pd_limit, is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.verifyplus."propertyAdjusterName" IS 'Always NULL: withheld from analysts (property_adjuster_name is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.verifyplus."numberOfClaimants" IS 'Quickbase "Number of Claimants" (curated_deid.verifyplus.number_of_claimants; the original: a float). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."requestType" IS 'Quickbase "Request Type" (curated_deid.verifyplus.request_type). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."claimSetUpStatus" IS 'Quickbase "Claim Set Up Status" (curated_deid.verifyplus.claim_set_up_status). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."claimSetUpAssignee" IS 'Always NULL: withheld from analysts (the Quickbase user, claim_set_up_assignee, is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.verifyplus."liabilityStatus" IS 'Quickbase "Liability Status" (curated_deid.verifyplus.liability_status). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."verifyAdjusterName" IS 'Always NULL: withheld from analysts (verify_adjuster_name is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.verifyplus."verifyRequestStatus" IS 'Quickbase "Verify Request Status" (curated_deid.verifyplus.verify_request_status). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."firmName" IS 'Quickbase "Firm Name", right-stripped (the original kept trailing spaces); NULL when none (curated_deid.verifyplus.firm_name). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."verifyStartDatetime" IS 'Month of Quickbase "Verify Start Datetime", as the first instant of that month (curated_deid.verifyplus.verify_start_month). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."claimSetUpStartDate" IS 'Month of Quickbase "Claim Set Up Start Date", as its first day (curated_deid.verifyplus.claim_set_up_start_month). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."umPerPersonLimits" IS 'Always NULL: withheld from analysts (policy data, um_per_person_limits, is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.verifyplus."claimSetUpCloseDate" IS 'Month of Quickbase "Claim Set Up Close Date", as its first day (curated_deid.verifyplus.claim_set_up_close_month). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."reportingCarrier" IS 'Quickbase "Reporting Carrier" (curated_deid.verifyplus.reporting_carrier). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."reportingPolicyNumber" IS 'Always NULL: withheld from analysts (reporting_policy_number is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.verifyplus."reportingInsured" IS 'Always NULL: withheld from analysts (the insured person, reporting_insured, is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.verifyplus."reportingClaimNumber" IS 'Always NULL: withheld from analysts (reporting_claim_number is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.verifyplus."requestStatus" IS 'Quickbase "Request Status" (curated_deid.verifyplus.request_status). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."umStacking" IS 'Quickbase "UM Stacking" (curated_deid.verifyplus.um_stacking). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."customerCloseDatetime" IS 'Month of Quickbase "Customer Close Datetime", as the first instant of that month (curated_deid.verifyplus.customer_close_month). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."dateOfLoss" IS 'Always NULL: withheld from analysts (date_of_loss is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.verifyplus."excludeFromReporting" IS 'Quickbase "Exclude From Reporting": checked = not billed; false when Quickbase sent nothing (the original kept NULL) (curated_deid.verifyplus.exclude_from_reporting). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."duplicateexclusionComments" IS 'Always NULL: withheld from analysts (the free-text duplicate_exclusion_comments is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.verifyplus."duplicateRequest" IS 'Quickbase "Duplicate Request": checked = a duplicate, not billed; false when Quickbase sent nothing (the original kept NULL) (curated_deid.verifyplus.duplicate_request). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."verifyCloseDatetimeOveride" IS 'Month of Quickbase "Verify Close Datetime Overide" (spelled as in Quickbase), as the first instant of that month (curated_deid.verifyplus.verify_close_override_month). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."requestId" IS 'Keyed hash of Quickbase "Request ID" (curated_deid.verifyplus.request_hash, text; the original: the bigint id). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."firmContactName" IS 'Always NULL: withheld from analysts (firm_contact_name is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.verifyplus."createdPreviousBusinessDay" IS 'Quickbase "Created Previous Business Day"; false when Quickbase sent nothing (curated_deid.verifyplus.created_previous_business_day). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."claimDaysToClose" IS 'Quickbase "Claim Days to Close" (curated_deid.verifyplus.claim_days_to_close). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."injuryAdjusterName" IS 'Always NULL: withheld from analysts (injury_adjuster_name is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.verifyplus."verifyCloseDatetime" IS 'Month of Quickbase "Verify Close Datetime", as the first instant of that month (curated_deid.verifyplus.verify_close_month). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."verifyTimeOpen" IS 'Quickbase "Verify Time Open" (curated_deid.verifyplus.verify_time_open). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."verifyAssignee" IS 'Always NULL: withheld from analysts (verify_assignee is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.verifyplus."documentationStatus" IS 'Quickbase "Documentation Status" (curated_deid.verifyplus.documentation_status). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."numberOfAttempts" IS 'Quickbase "Number of Attempts" (curated_deid.verifyplus.number_of_attempts). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."numberOfAttemptedCalls" IS 'Quickbase "Number of Attempted Calls" (curated_deid.verifyplus.number_of_attempted_calls). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."numberOfAttemptedEmails" IS 'Quickbase "Number of Attempted Emails" (curated_deid.verifyplus.number_of_attempted_emails). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."coverageStatus" IS 'Quickbase "Coverage Status" (curated_deid.verifyplus.coverage_status). Not PHI.';
COMMENT ON COLUMN compat.verifyplus."clientNames" IS 'Always NULL: withheld from analysts (client_names is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.verifyplus."umPerOccurrenceLimit" IS 'Always NULL: withheld from analysts (policy data, um_per_occurrence_limit, is in ops.phi_columns). Not PHI as shown (empty).';
COMMENT ON COLUMN compat.verifyplus."coverage" IS 'Quickbase "Coverage" (curated_deid.verifyplus.coverage). Not PHI.';

ALTER VIEW compat.demands_summary OWNER TO itc_migrator;
ALTER VIEW compat.demands_uploaded OWNER TO itc_migrator;
ALTER VIEW compat.demands_archived OWNER TO itc_migrator;
ALTER VIEW compat.verifyplus OWNER TO itc_migrator;
