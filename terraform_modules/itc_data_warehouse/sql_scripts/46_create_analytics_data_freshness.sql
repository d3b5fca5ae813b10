-- analytics.data_freshness (docs/analysts.md): what data the analytics layer shows, readable by analysts.
-- Analysts have no privilege on ops (itc status says "permission denied for schema ops"); this plain
-- view is owned by itc_migrator (security baseline) and a view reads its tables with its OWNER's
-- rights, so analytics_read_only sees these rows without any ops privilege. It exposes times, counts,
-- source/relation/check names only: no S3 key, no error text, no PHI.
--
-- One row per item, kind:
--   'source'   one row per source system (demand, verifyplus; a source never loaded has a row with
--              status 'never loaded'): its latest succeeded load (ops.latest_loads), the snapshot's
--              extraction time, and complete_through:
--                  complete_through = (extracted_at in the business time zone)::date - 1
--              the last calendar day in the business time zone (ref.business_time_zone()) that had
--              fully ended when the snapshot was extracted. A snapshot extracted at 06:00 New York on
--              2 November is complete through 1 November; rows of 2 November may still be missing.
--   'relation' one row per materialized view of curated and analytics (what the refresh rebuilds; the
--              plain views on top of them are always live): its last refresh (ops.view_refreshes)
--              and the row count then.
--   'quality'  one row: the latest quality run (ops.quality_results): when, how many checks passed,
--              failed (error level) and warned, and which.
-- The dashboard and the reports print it ("data as of ...").
CREATE VIEW analytics.data_freshness AS
WITH sources (name) AS (
    -- the sources ops.load_runs.source admits (its CHECK constraint)
    VALUES ('demand'), ('verifyplus')
),
latest_attempt AS (
    SELECT DISTINCT ON (r.source) r.source, r.status
    FROM ops.load_runs AS r
    ORDER BY r.source, r.finished_at DESC, r.load_id DESC
),
refreshes AS (
    SELECT DISTINCT ON (f.view_name) f.view_name, f.refreshed_at, f.row_count
    FROM ops.view_refreshes AS f
    ORDER BY f.view_name, f.refreshed_at DESC, f.refresh_id DESC
),
latest_check_run AS (
    SELECT q.check_run_id
    FROM ops.quality_results AS q
    ORDER BY q.checked_at DESC, q.result_id DESC
    LIMIT 1
),
quality AS (
    SELECT max(q.checked_at)                                               AS checked_at,
           count(*) FILTER (WHERE q.passed)                                AS checks_passed,
           count(*) FILTER (WHERE NOT q.passed AND q.level = 'error')      AS checks_failed,
           count(*) FILTER (WHERE NOT q.passed AND q.level = 'warning')    AS checks_warned,
           string_agg(q.check_name || CASE WHEN q.subject <> '' THEN ':' || q.subject ELSE '' END, ', '
                      ORDER BY q.level, q.check_name, q.subject) FILTER (WHERE NOT q.passed) AS failed_checks
    FROM ops.quality_results AS q
    WHERE q.check_run_id = (SELECT check_run_id FROM latest_check_run)
)
SELECT
    'source'::text                                                   AS kind,
    s.name::text                                                     AS name,
    coalesce(a.status, 'never loaded')::text                         AS status,
    l.load_id                                                        AS load_id,
    l.finished_at                                                    AS last_load_finished_at,
    l.extracted_at                                                   AS extracted_at,
    ((l.extracted_at AT TIME ZONE ref.business_time_zone())::date - 1) AS complete_through,
    (SELECT count(*) FROM ops.load_runs AS f
     WHERE f.source = s.name AND f.status IN ('failed', 'refused')
       AND f.finished_at > coalesce(l.finished_at, '-infinity'))     AS failed_loads_since,
    NULL::timestamptz                                                AS last_refreshed_at,
    NULL::bigint                                                     AS row_count,
    NULL::timestamptz                                                AS checked_at,
    NULL::bigint                                                     AS checks_passed,
    NULL::bigint                                                     AS checks_failed,
    NULL::bigint                                                     AS checks_warned,
    NULL::text                                                       AS failed_checks
FROM sources AS s
LEFT JOIN ops.latest_loads AS l ON l.source = s.name
LEFT JOIN latest_attempt AS a ON a.source = s.name
UNION ALL
SELECT
    'relation',
    m.schemaname || '.' || m.matviewname,
    CASE WHEN NOT m.ispopulated THEN 'never refreshed'
         WHEN f.refreshed_at IS NULL THEN 'refreshed (not recorded)'
         ELSE 'refreshed' END,
    NULL, NULL, NULL, NULL, NULL,
    f.refreshed_at,
    f.row_count,
    NULL, NULL, NULL, NULL, NULL
FROM pg_catalog.pg_matviews AS m
LEFT JOIN refreshes AS f ON f.view_name = m.schemaname || '.' || m.matviewname
WHERE m.schemaname IN ('curated', 'analytics')
UNION ALL
SELECT
    'quality',
    'quality_checks',
    CASE WHEN q.checked_at IS NULL THEN 'never run'
         WHEN q.checks_failed > 0 THEN 'failed'
         WHEN q.checks_warned > 0 THEN 'passed with warnings'
         ELSE 'passed' END,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    q.checked_at,
    q.checks_passed,
    q.checks_failed,
    q.checks_warned,
    q.failed_checks
FROM quality AS q;

COMMENT ON VIEW analytics.data_freshness IS 'What data the analytics layer shows, for analysts (no ops privilege needed): one row per source (latest succeeded load, snapshot extraction time, complete_through date), per materialized view of curated/analytics (last refresh), and one for the latest quality run (passed/failed/warned counts). Read it before trusting a month''s figures; reports print it as their "as of". No PHI.';
COMMENT ON COLUMN analytics.data_freshness.kind IS 'source (a source system''s latest load), relation (a materialized view''s last refresh) or quality (the latest quality run). Not PHI.';
COMMENT ON COLUMN analytics.data_freshness.name IS 'source: demand (Exchange) or verifyplus (Quickbase); relation: the schema-qualified materialized view (curated.verifyplus, analytics.demands_summary, ...); quality: quality_checks. Not PHI.';
COMMENT ON COLUMN analytics.data_freshness.status IS 'source: the status of the latest load attempt (succeeded; failed or refused = the data shown is from an earlier load, see failed_loads_since; never loaded); relation: refreshed, refreshed (not recorded) (populated by hand, no refresh record), never refreshed; quality: passed, passed with warnings, failed, never run. Not PHI.';
COMMENT ON COLUMN analytics.data_freshness.load_id IS 'source: the latest succeeded load (ops.load_runs.load_id; billable units carry it as load_id); null for other kinds or a source never loaded. Not PHI.';
COMMENT ON COLUMN analytics.data_freshness.last_load_finished_at IS 'source: when the latest succeeded load committed; null when never loaded. Not PHI.';
COMMENT ON COLUMN analytics.data_freshness.extracted_at IS 'source: when the loaded snapshot was extracted from the source (its manifest); nothing that happened in the source after this is in the warehouse. Not PHI.';
COMMENT ON COLUMN analytics.data_freshness.complete_through IS 'source: the last day whose data is complete: (extracted_at in the business time zone)::date - 1, i.e. the last calendar day in the business time zone (ref.business_time_zone()) that had fully ended before the extraction. Null when never loaded. Not PHI.';
COMMENT ON COLUMN analytics.data_freshness.failed_loads_since IS 'source: load attempts failed or refused since the latest succeeded load (0 = the latest attempt succeeded). Not PHI.';
COMMENT ON COLUMN analytics.data_freshness.last_refreshed_at IS 'relation: when the materialized view was last refreshed by the refresh job (ops.view_refreshes); null when never recorded. Not PHI.';
COMMENT ON COLUMN analytics.data_freshness.row_count IS 'relation: rows in the materialized view after its last recorded refresh. Not PHI.';
COMMENT ON COLUMN analytics.data_freshness.checked_at IS 'quality: when the latest quality run ran (its last check); null when no check has run. Not PHI.';
COMMENT ON COLUMN analytics.data_freshness.checks_passed IS 'quality: checks of the latest run that passed. Not PHI.';
COMMENT ON COLUMN analytics.data_freshness.checks_failed IS 'quality: error-level checks of the latest run that failed (the run failed; treat the figures with care). Not PHI.';
COMMENT ON COLUMN analytics.data_freshness.checks_warned IS 'quality: warning-level checks of the latest run that failed (recorded; the run still passed). Not PHI.';
COMMENT ON COLUMN analytics.data_freshness.failed_checks IS 'quality: the failed and warned checks of the latest run as check:subject, comma-separated (e.g. freshness:verifyplus); null when none. Not PHI.';
