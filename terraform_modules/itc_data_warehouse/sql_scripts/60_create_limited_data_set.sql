-- The limited data set (docs/adr/0003): the unit-level ledgers of analytics show each billed unit's
-- source id (the demand's document id, the Verify+ request id) and its exact event time, which Safe
-- Harbor does not allow in de-identified data. Finance needs them (invoice detail, disputes: "which
-- demand is this line?"), analysts do not: the relations listed here are readable by itc_finance and by
-- the orchestrator's quality checks (itc_refresher), never by analytics_read_only (so not by
-- itc_analyst). ops.apply_security_baseline() applies it; a new unit-level relation of
-- analytics is added here in a new script (the analyst-surface test finds one that is not).
CREATE TABLE ops.limited_data_set (
    relation_schema text NOT NULL CHECK (relation_schema = 'analytics'),
    relation_name   text NOT NULL,
    reason          text NOT NULL CHECK (btrim(reason) <> ''),
    PRIMARY KEY (relation_schema, relation_name)
);
COMMENT ON TABLE ops.limited_data_set IS 'Relations of analytics that hold source record ids or exact event times (a limited data set): readable by itc_finance and itc_refresher only, not by analysts (ops.apply_security_baseline).';
COMMENT ON COLUMN ops.limited_data_set.relation_schema IS 'Schema of the relation (analytics).';
COMMENT ON COLUMN ops.limited_data_set.relation_name IS 'The table, view or materialized view.';
COMMENT ON COLUMN ops.limited_data_set.reason IS 'Which identifiers or exact times it holds.';

INSERT INTO ops.limited_data_set (relation_schema, relation_name, reason) VALUES
    ('analytics', 'billable_unit_events', 'unit_id (document id / request id), event_at, extracted_at, lineage keys'),
    ('analytics', 'billable_units', 'unit_id (document id / request id), event_at, extracted_at, lineage keys'),
    ('analytics', 'invoice_units', 'unit_id (document id / request id), event_at, extracted_at, lineage keys'),
    ('analytics', 'pending_adjustment_units', 'unit_id (document id / request id), event_at, extracted_at, lineage keys'),
    ('analytics', 'closed_billable_units', 'unit_id (document id / request id), event_at, extracted_at, lineage keys');

CALL ops.apply_security_baseline();
