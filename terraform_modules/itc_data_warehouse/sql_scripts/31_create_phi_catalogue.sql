-- The PHI/PII catalogue inside the warehouse: the same list as
-- common/itc_common_utilities/itc_common_utilities/phi.py (CATALOGUE), which a test keeps equal.
-- ops.apply_security_baseline() generates the column grants from it: the read-only
-- groups get every raw/curated column NOT listed here; only phi_reader reads the listed ones.
-- A new PHI column: add it to phi.py and, in a new script, to this table; say PHI/PII in its comment.
CREATE TABLE ops.phi_columns (
    table_schema text NOT NULL,
    table_name   text NOT NULL,
    column_name  text NOT NULL,
    category     text NOT NULL CHECK (category IN ('PHI', 'PII')),
    reason       text NOT NULL,
    PRIMARY KEY (table_schema, table_name, column_name)
);
COMMENT ON TABLE ops.phi_columns IS 'PHI/PII catalogue: the protected columns of raw and curated (same list as itc_common_utilities.phi). Grants and de-identified views are generated from or tested against it.';
COMMENT ON COLUMN ops.phi_columns.table_schema IS 'Schema of the protected column (raw or curated).';
COMMENT ON COLUMN ops.phi_columns.table_name IS 'Table or materialized view of the protected column.';
COMMENT ON COLUMN ops.phi_columns.column_name IS 'The protected column.';
COMMENT ON COLUMN ops.phi_columns.category IS 'PHI (about the claimant: names, claim/policy numbers, limits, date of loss, free text) or PII (other people: contacts, attorneys, adjusters).';
COMMENT ON COLUMN ops.phi_columns.reason IS 'Why the column is protected.';

INSERT INTO ops.phi_columns (table_schema, table_name, column_name, category, reason) VALUES
    ('raw', 'cases', 'claimant_name', 'PHI', 'claimant''s name'),
    ('raw', 'cases', 'claim_number', 'PHI', 'insurance claim number'),
    ('raw', 'cases', 'client_id', 'PHI', 'the claimant''s id in the firm''s case management system'),
    ('raw', 'cases', 'related_insurance_id', 'PHI', 'insurance identifier of the claim'),
    ('raw', 'cases', 'matter_name', 'PHI', 'matter names usually contain the client''s name'),
    ('raw', 'cases', 'primary_contact_name', 'PII', 'firm contact''s name'),
    ('raw', 'cases', 'attorney_name', 'PII', 'attorney''s name'),
    ('raw', 'cases', 'case_manager_names', 'PII', 'case managers'' names'),
    ('raw', 'audit', 'archive_comments', 'PHI', 'free text that may name the client'),
    ('raw', 'verifyplus', 'client_names', 'PHI', 'names of the firm''s clients (claimants)'),
    ('raw', 'verifyplus', 'reporting_policy_number', 'PHI', 'insurance policy number'),
    ('raw', 'verifyplus', 'reporting_claim_number', 'PHI', 'insurance claim number'),
    ('raw', 'verifyplus', 'reporting_insured', 'PHI', 'insured person''s name'),
    ('raw', 'verifyplus', 'date_of_loss', 'PHI', 'date of the accident (a date tied to the individual)'),
    ('raw', 'verifyplus', 'duplicate_exclusion_comments', 'PHI', 'free text that may name the client'),
    ('raw', 'verifyplus', 'bi_per_person_limit', 'PHI', 'policy data'),
    ('raw', 'verifyplus', 'bi_per_occurrence_limit', 'PHI', 'policy data'),
    ('raw', 'verifyplus', 'pd_limit', 'PHI', 'policy data'),
    ('raw', 'verifyplus', 'um_per_person_limits', 'PHI', 'policy data'),
    ('raw', 'verifyplus', 'um_per_occurrence_limit', 'PHI', 'policy data'),
    ('raw', 'verifyplus', 'firm_contact_name', 'PII', 'firm contact''s name'),
    ('raw', 'verifyplus', 'claim_set_up_assignee', 'PII', 'Quickbase user (name, e-mail)'),
    ('raw', 'verifyplus', 'verify_assignee', 'PII', 'staff member''s name'),
    ('raw', 'verifyplus', 'verify_adjuster_name', 'PII', 'adjuster''s name'),
    ('raw', 'verifyplus', 'injury_adjuster_name', 'PII', 'adjuster''s name'),
    ('raw', 'verifyplus', 'property_adjuster_name', 'PII', 'adjuster''s name'),
    ('raw', 'verifyplus', 'extra_fields', 'PHI', 'report fields not yet reviewed');

-- A curated relation shows raw columns under their raw names and inherits their protection: every
-- column of these curated relations that has a catalogued name in its raw table is catalogued too.
INSERT INTO ops.phi_columns (table_schema, table_name, column_name, category, reason)
SELECT 'curated', d.curated_name, p.column_name, p.category, p.reason
FROM ops.phi_columns AS p
JOIN (VALUES ('cases', 'demand_billing_base'), ('cases', 'demands_uploaded'), ('cases', 'demands_archived'),
             ('audit', 'demands_archived'), ('verifyplus', 'verifyplus')) AS d (raw_name, curated_name)
  ON p.table_schema = 'raw' AND p.table_name = d.raw_name
WHERE EXISTS (SELECT 1 FROM pg_attribute AS a
              WHERE a.attrelid = format('curated.%I', d.curated_name)::regclass
                AND a.attname = p.column_name AND a.attnum > 0 AND NOT a.attisdropped);

-- The data dictionary (column comments) says PHI wherever the catalogue does.
COMMENT ON COLUMN raw.cases.client_id IS 'Case management: client id in the firm''s system (PHI).';
COMMENT ON COLUMN raw.cases.related_insurance_id IS 'Case management: related insurance id (PHI).';
COMMENT ON COLUMN raw.verifyplus.extra_fields IS 'Report fields the warehouse has no column for yet, by Quickbase label (reported at load); unreviewed, so treated as PHI.';
