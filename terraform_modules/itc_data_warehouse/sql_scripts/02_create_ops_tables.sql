-- Operational tables: every load, every rejected record, every quality check and view refresh.

CREATE TABLE ops.load_runs (
    load_id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source              text        NOT NULL CHECK (source IN ('demand', 'verifyplus')),
    run_id              text        NOT NULL,
    manifest_bucket     text        NOT NULL,
    manifest_key        text        NOT NULL,
    manifest_version_id text,
    manifest_sha256     char(64)    NOT NULL,
    extracted_at        timestamptz,
    status              text        NOT NULL CHECK (status IN ('succeeded', 'failed')),
    started_at          timestamptz NOT NULL,
    finished_at         timestamptz NOT NULL DEFAULT now(),
    records             bigint      NOT NULL DEFAULT 0,
    loaded              bigint      NOT NULL DEFAULT 0,
    rejected            bigint      NOT NULL DEFAULT 0,
    deleted             bigint      NOT NULL DEFAULT 0,
    table_counts        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    error               text
);
CREATE UNIQUE INDEX load_runs_succeeded_manifest_uq
    ON ops.load_runs (source, manifest_sha256) WHERE status = 'succeeded';
CREATE INDEX load_runs_source_finished_idx ON ops.load_runs (source, finished_at DESC);
COMMENT ON TABLE ops.load_runs IS 'One row per load attempt of a landing snapshot (manifest). A succeeded row makes a redelivery of the same manifest a no-op.';
COMMENT ON COLUMN ops.load_runs.load_id IS 'Load identifier; raw rows carry it in _load_id.';
COMMENT ON COLUMN ops.load_runs.source IS 'Source system: demand (Exchange) or verifyplus (Quickbase).';
COMMENT ON COLUMN ops.load_runs.run_id IS 'Extraction run id from the manifest.';
COMMENT ON COLUMN ops.load_runs.manifest_bucket IS 'Landing bucket of the manifest.';
COMMENT ON COLUMN ops.load_runs.manifest_key IS 'S3 key of the _manifest.json loaded.';
COMMENT ON COLUMN ops.load_runs.manifest_version_id IS 'S3 object version of the manifest (traceability to the exact snapshot).';
COMMENT ON COLUMN ops.load_runs.manifest_sha256 IS 'sha256 of the manifest bytes: the snapshot identity used for idempotency.';
COMMENT ON COLUMN ops.load_runs.extracted_at IS 'When the source was extracted (from the manifest).';
COMMENT ON COLUMN ops.load_runs.status IS 'succeeded, or failed (the load was rolled back; error says why).';
COMMENT ON COLUMN ops.load_runs.started_at IS 'When the load started.';
COMMENT ON COLUMN ops.load_runs.finished_at IS 'When the load committed or failed.';
COMMENT ON COLUMN ops.load_runs.records IS 'Records listed by the manifest, all tables.';
COMMENT ON COLUMN ops.load_runs.loaded IS 'Records loaded into raw tables.';
COMMENT ON COLUMN ops.load_runs.rejected IS 'Records quarantined in ops.rejected_records.';
COMMENT ON COLUMN ops.load_runs.deleted IS 'Raw rows deleted because the full snapshot no longer had them.';
COMMENT ON COLUMN ops.load_runs.table_counts IS 'Per table: {"records", "loaded", "rejected", "deleted"}; records = loaded + rejected.';
COMMENT ON COLUMN ops.load_runs.error IS 'Why a failed load failed (no secrets, no record payloads).';

CREATE TABLE ops.rejected_records (
    rejected_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    load_id         bigint      NOT NULL REFERENCES ops.load_runs (load_id),
    source          text        NOT NULL,
    table_name      text        NOT NULL,
    source_key      text        NOT NULL,
    source_version_id text,
    line_number     bigint      NOT NULL,
    record_key      text,
    reason_code     text        NOT NULL,
    field_name      text,
    offending_value text,
    detail          text,
    rejected_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rejected_records_load_idx ON ops.rejected_records (load_id);
CREATE INDEX rejected_records_reason_idx ON ops.rejected_records (source, reason_code);
COMMENT ON TABLE ops.rejected_records IS 'Quarantine: every record a load did not accept, with where it came from and why. PHI values are redacted.';
COMMENT ON COLUMN ops.rejected_records.rejected_id IS 'Row identifier.';
COMMENT ON COLUMN ops.rejected_records.load_id IS 'The load that rejected it.';
COMMENT ON COLUMN ops.rejected_records.source IS 'Source system.';
COMMENT ON COLUMN ops.rejected_records.table_name IS 'Snapshot table (file) the record came from.';
COMMENT ON COLUMN ops.rejected_records.source_key IS 'S3 key of the snapshot file.';
COMMENT ON COLUMN ops.rejected_records.source_version_id IS 'S3 version id of the snapshot file, when versioned.';
COMMENT ON COLUMN ops.rejected_records.line_number IS '1-based line of the record in the snapshot file.';
COMMENT ON COLUMN ops.rejected_records.record_key IS 'Natural key of the record when it could be read (e.g. document id).';
COMMENT ON COLUMN ops.rejected_records.reason_code IS 'Machine-readable reason (missing_key, bad_type, bad_timestamp, nul_byte, too_long, duplicate_key, ...).';
COMMENT ON COLUMN ops.rejected_records.field_name IS 'The field at fault, when one.';
COMMENT ON COLUMN ops.rejected_records.offending_value IS 'The offending value, truncated, only for a field on the allow-list itc_common_utilities.phi.REJECT_VALUE_FIELDS (ids, times, flags, counts); for any other field its JSON type and length (e.g. "string, 48 chars"), never the value.';
COMMENT ON COLUMN ops.rejected_records.detail IS 'Human-readable explanation.';
COMMENT ON COLUMN ops.rejected_records.rejected_at IS 'When it was rejected.';

CREATE TABLE ops.quality_results (
    result_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    check_run_id text       NOT NULL,
    check_name  text        NOT NULL,
    subject     text        NOT NULL DEFAULT '',
    passed      boolean     NOT NULL,
    observed    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    detail      text,
    checked_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quality_results_checked_idx ON ops.quality_results (check_name, checked_at DESC);
COMMENT ON TABLE ops.quality_results IS 'Outcome of each data quality check run after a load and refresh.';
COMMENT ON COLUMN ops.quality_results.result_id IS 'Row identifier.';
COMMENT ON COLUMN ops.quality_results.check_run_id IS 'Identifier shared by the checks of one quality run.';
COMMENT ON COLUMN ops.quality_results.check_name IS 'Check name (freshness, manifest_counts, curated_key_unique, summary_totals, invoice_amounts, ...).';
COMMENT ON COLUMN ops.quality_results.subject IS 'What was checked (a source, a view, a month).';
COMMENT ON COLUMN ops.quality_results.passed IS 'True when the check passed.';
COMMENT ON COLUMN ops.quality_results.observed IS 'Figures the check observed.';
COMMENT ON COLUMN ops.quality_results.detail IS 'Explanation of a failure.';
COMMENT ON COLUMN ops.quality_results.checked_at IS 'When the check ran.';

CREATE TABLE ops.view_refreshes (
    refresh_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    view_name    text        NOT NULL,
    refreshed_at timestamptz NOT NULL DEFAULT now(),
    duration_ms  integer     NOT NULL,
    row_count    bigint,
    concurrent   boolean     NOT NULL
);
CREATE INDEX view_refreshes_view_idx ON ops.view_refreshes (view_name, refreshed_at DESC);
COMMENT ON TABLE ops.view_refreshes IS 'Each refresh of a materialized view: when, how long, how many rows.';
COMMENT ON COLUMN ops.view_refreshes.refresh_id IS 'Row identifier.';
COMMENT ON COLUMN ops.view_refreshes.view_name IS 'Schema-qualified materialized view name.';
COMMENT ON COLUMN ops.view_refreshes.refreshed_at IS 'When the refresh finished.';
COMMENT ON COLUMN ops.view_refreshes.duration_ms IS 'Refresh duration in milliseconds.';
COMMENT ON COLUMN ops.view_refreshes.row_count IS 'Rows in the view after the refresh.';
COMMENT ON COLUMN ops.view_refreshes.concurrent IS 'True when refreshed with REFRESH ... CONCURRENTLY (readers not blocked).';
