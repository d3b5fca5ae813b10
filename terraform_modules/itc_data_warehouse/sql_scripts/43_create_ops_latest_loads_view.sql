-- ops.latest_loads: "the latest succeeded load of each source", defined once. The quality checks
-- (freshness, manifest counts), `itc status` and the dashboard read it instead of each ordering
-- ops.load_runs themselves. Latest = the last to finish; of two finished at the same instant, the
-- higher load_id. A source never loaded has no row.
CREATE VIEW ops.latest_loads AS
SELECT DISTINCT ON (r.source)
    r.source,
    r.load_id,
    r.run_id,
    r.manifest_bucket,
    r.manifest_key,
    r.manifest_version_id,
    r.manifest_sha256,
    r.extracted_at,
    r.started_at,
    r.finished_at,
    r.records,
    r.loaded,
    r.rejected,
    r.deleted,
    r.table_counts
FROM ops.load_runs AS r
WHERE r.status = 'succeeded'
ORDER BY r.source, r.finished_at DESC, r.load_id DESC;

COMMENT ON VIEW ops.latest_loads IS 'The latest succeeded load of each source (last finished, then highest load_id): one row per source that has one. Read by the quality checks, itc status, the dashboard and the loads'' ordering guard. SELECT: itc_refresher, itc_loader_demand, itc_loader_verifyplus (and the owner).';
CALL ops.copy_column_comments('ops.load_runs', 'ops.latest_loads');
