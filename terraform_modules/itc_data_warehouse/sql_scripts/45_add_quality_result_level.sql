-- Quality result levels: an ERROR fails the quality run (QualityCheckError, the load state machine
-- alerts); a WARNING is recorded and shown by `itc status` but the run still succeeds (today: a raw
-- table whose row count moved by more than ref.settings row_count_warning_share since the previous
-- succeeded load of its source). Rows written before this script are errors, as they were treated.
ALTER TABLE ops.quality_results
    ADD COLUMN level text NOT NULL DEFAULT 'error' CHECK (level IN ('error', 'warning'));
COMMENT ON COLUMN ops.quality_results.level IS 'error: a failure fails the quality run (the state machine alerts); warning: a failure is recorded and shown by itc status, the run still succeeds.';
