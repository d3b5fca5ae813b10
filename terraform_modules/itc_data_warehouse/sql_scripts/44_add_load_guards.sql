-- Load guards (docs/CONTRACTS.md "Load guards"): a load refused by a guard is recorded 'refused' with
-- the guard's message in error (a refusal is deterministic: `itc run` does not retry a refused
-- snapshot, only a forced replay loads it); a load forced past the guards records who forced it and why. A forced
-- load may reload a manifest that was loaded already (restoring an older snapshot after a bad load), so
-- the one-succeeded-load-per-manifest rule holds for unforced loads only.
ALTER TABLE ops.load_runs
    DROP CONSTRAINT load_runs_status_check,
    ADD CONSTRAINT load_runs_status_check CHECK (status IN ('succeeded', 'failed', 'refused')),
    ADD COLUMN forced_by    text,
    ADD COLUMN force_reason text,
    ADD CONSTRAINT load_runs_force_has_reason_ck
        CHECK ((forced_by IS NULL AND force_reason IS NULL)
               OR (btrim(forced_by) <> '' AND btrim(force_reason) <> ''));
COMMENT ON COLUMN ops.load_runs.status IS 'succeeded; refused (a load guard refused the snapshot: nothing changed, error says which guard and how to force it); or failed (the load was rolled back; error says why).';
COMMENT ON COLUMN ops.load_runs.forced_by IS 'Who forced this load past the load guards (itc replay --force, or "force": {"by"} in the load event); NULL for a guarded load.';
COMMENT ON COLUMN ops.load_runs.force_reason IS 'Why the load was forced (e.g. restoring the last good snapshot after a bad load); set exactly when forced_by is.';

DROP INDEX ops.load_runs_succeeded_manifest_uq;
CREATE UNIQUE INDEX load_runs_succeeded_manifest_uq
    ON ops.load_runs (source, manifest_sha256) WHERE status = 'succeeded' AND forced_by IS NULL;
