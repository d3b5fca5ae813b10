-- Field-level quarantine (itc_common_utilities.loader.quarantine): a malformed or implausible value in a
-- field that is not billing-critical (ops.billing_critical_fields) is stored as NULL and noted here, one
-- row per value, and the record loads; a bad entry of a document's status history is dropped from the
-- billed history and noted here too. unit_at_risk names the billable unit a lost value decided (a
-- dropped DocumentArchived entry: demand_archived), which analytics.units_at_risk lists. The value is
-- redacted exactly as in ops.rejected_records (only allow-listed non-PHI fields keep it).
CREATE TABLE ops.quarantined_fields (
    quarantined_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    load_id           bigint      NOT NULL REFERENCES ops.load_runs (load_id),
    source            text        NOT NULL,
    table_name        text        NOT NULL,
    source_key        text        NOT NULL,
    source_version_id text,
    line_number       bigint      NOT NULL,
    record_key        text,
    reason_code       text        NOT NULL,
    field_name        text,
    offending_value   text,
    detail            text,
    unit_at_risk      text        CHECK (unit_at_risk IN ('demand_uploaded', 'demand_archived', 'verifyplus_request')),
    quarantined_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quarantined_fields_load_idx ON ops.quarantined_fields (load_id);
CREATE INDEX quarantined_fields_field_idx ON ops.quarantined_fields (source, table_name, field_name);
COMMENT ON TABLE ops.quarantined_fields IS 'Values stored as NULL (or status-history entries dropped) because they were malformed or implausible in a field that decides no bill; the record loaded. One row per value, redacted as in ops.rejected_records. No PHI.';
COMMENT ON COLUMN ops.quarantined_fields.quarantined_id IS 'Row identifier. Not PHI.';
COMMENT ON COLUMN ops.quarantined_fields.load_id IS 'The load that stored the value as NULL (ops.load_runs). Not PHI.';
COMMENT ON COLUMN ops.quarantined_fields.source IS 'demand or verifyplus. Not PHI.';
COMMENT ON COLUMN ops.quarantined_fields.table_name IS 'Snapshot table (documents, documents-metadata, templates, documents-audit, verifyplus). Not PHI.';
COMMENT ON COLUMN ops.quarantined_fields.source_key IS 'S3 key of the snapshot file. Not PHI.';
COMMENT ON COLUMN ops.quarantined_fields.source_version_id IS 'S3 object version of the snapshot file. Not PHI.';
COMMENT ON COLUMN ops.quarantined_fields.line_number IS 'Line of the record in the file (1-based). Not PHI.';
COMMENT ON COLUMN ops.quarantined_fields.record_key IS 'The record''s natural key (document id/version, request id...). Not PHI.';
COMMENT ON COLUMN ops.quarantined_fields.reason_code IS 'Why the value was not kept: bad_type, too_long, nul_byte, bad_timestamp, implausible_timestamp, bad_date, bad_number, bad_currency. Not PHI.';
COMMENT ON COLUMN ops.quarantined_fields.field_name IS 'The source field (Exchange field name or Quickbase label). Not PHI.';
COMMENT ON COLUMN ops.quarantined_fields.offending_value IS 'The value, only for allow-listed non-PHI fields (ids, times, flags, counts); otherwise its JSON type and length. Not PHI.';
COMMENT ON COLUMN ops.quarantined_fields.detail IS 'What was wrong, naming the field, never the value. Not PHI.';
COMMENT ON COLUMN ops.quarantined_fields.unit_at_risk IS 'The billable unit the lost value decided (demand_archived for a dropped DocumentArchived entry), else null. Not PHI.';
COMMENT ON COLUMN ops.quarantined_fields.quarantined_at IS 'When the row was written. Not PHI.';

-- the per-source loader logins fill it with COPY (their own source and load runs only, as for
-- ops.rejected_records: the same trigger function)
CREATE TRIGGER quarantined_fields_own_source BEFORE INSERT ON ops.quarantined_fields
    FOR EACH ROW EXECUTE FUNCTION ops.rejected_records_own_source();

-- Grants on the quarantine that the security baseline does not know: called by the baseline's last
-- step (ops.apply_loader_login_grants calls it once it exists), so every re-run of the baseline keeps them.
CREATE PROCEDURE ops.apply_quarantine_grants()
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $proc$
BEGIN
    GRANT SELECT, INSERT ON ops.quarantined_fields TO itc_loader_demand, itc_loader_verifyplus;
    GRANT SELECT ON ops.quarantined_fields, ops.billing_critical_fields TO itc_refresher, itc_finance;
    IF to_regprocedure('analytics.accept_units_at_risk(text, text)') IS NOT NULL THEN
        REVOKE ALL ON FUNCTION analytics.accept_units_at_risk(text, text) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION analytics.accept_units_at_risk(text, text) TO itc_finance;
    END IF;
END
$proc$;
REVOKE ALL ON PROCEDURE ops.apply_quarantine_grants() FROM PUBLIC;
COMMENT ON PROCEDURE ops.apply_quarantine_grants() IS
    'Grants of the field quarantine: loaders insert into ops.quarantined_fields, the refresher and finance read it and ops.billing_critical_fields, finance accepts units at risk. Called by ops.apply_loader_login_grants().';

CALL ops.apply_loader_login_grants();
