-- Roles of the warehouse (docs/design.md §6, docs/access.md). Roles are cluster-wide, so each is created
-- only when missing: many databases of one cluster (the test suite, beta + prod on one instance) share
-- them. No passwords here: local logins get theirs from `scripts/stack/service_logins.py` (a generated secret under
-- .local/), AWS pipeline logins use IAM database authentication (rds_iam), the migrator a Secrets
-- Manager secret. Privileges on objects are granted by ops.apply_security_baseline().
--
-- NOLOGIN groups (the original's per-layer roles, plus the combined ones):
--   raw_read_only              raw tables, non-PHI columns only
--   curated_deid_read_only     the de-identified curated views (schema curated_deid)
--   curated_read_only          curated materialized views, non-PHI columns only; plus curated_deid
--   analytics_read_only        analytics and ref (price lists)
--   curated_analytics_read_only = curated_read_only + analytics_read_only
--   all_read_only              = raw_read_only + curated_read_only + analytics_read_only
--   phi_reader                 the ONLY group that reads PHI columns (raw and curated, all columns)
--   itc_analyst                analysts: analytics + de-identified curated; no PHI, no writes, no ops
--   itc_finance                finance: reads analytics and ref; edits prices and billing accounts;
--                              closes months (analytics.close_month); reads the finance audit trail;
--                              no raw, no curated, no PHI. Every change it makes is audited (ops.finance_audit).
-- LOGIN roles (pipelines never connect as the owner or the master user):
--   itc_migrator   owns every object of the ITC schemas (DDL); applies migrations after bootstrap
--   itc_refresher  the orchestrator: refreshes the materialized views through the SECURITY DEFINER
--                  function ops.refresh_materialized_view, runs quality checks on non-PHI columns
--   (the loads log in as the per-source logins itc_loader_demand / itc_loader_verifyplus: ops.apply_loader_login_grants)
DO $roles$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT * FROM (VALUES
            ('raw_read_only', false, 'Group: read the raw layer, non-PHI columns only.'),
            ('curated_deid_read_only', false, 'Group: read the de-identified curated views (schema curated_deid).'),
            ('curated_read_only', false, 'Group: read the curated materialized views, non-PHI columns only, and the de-identified views.'),
            ('analytics_read_only', false, 'Group: read the analytics layer and the ref price lists.'),
            ('curated_analytics_read_only', false, 'Group: curated_read_only + analytics_read_only.'),
            ('all_read_only', false, 'Group: raw_read_only + curated_read_only + analytics_read_only (no PHI).'),
            ('phi_reader', false, 'Group: the only role that reads PHI/PII columns (raw and curated). Granted per person, reviewed quarterly (docs/access.md).'),
            ('itc_analyst', false, 'Group of the analyst logins: analytics + de-identified curated; no PHI, no writes, no ops internals.'),
            ('itc_finance', false, 'Group of the finance logins: reads analytics and ref, edits prices and billing accounts, closes months, reads ops.finance_audit; no raw, curated or PHI. Every change audited.'),
            ('itc_migrator', true, 'Login: owner of every object of the ITC schemas; runs migrations (DDL).'),
            ('itc_refresher', true, 'Login of the orchestrator: refreshes materialized views through ops.refresh_materialized_view, runs quality checks; no PHI, no raw writes.')
        ) AS t(name, login, note)
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r.name) THEN
            EXECUTE format('CREATE ROLE %I %s NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT',
                           r.name, CASE WHEN r.login THEN 'LOGIN' ELSE 'NOLOGIN' END);
        END IF;
        EXECUTE format('COMMENT ON ROLE %I IS %L', r.name, r.note);
    END LOOP;

    -- combined groups and the analyst group
    GRANT curated_deid_read_only TO curated_read_only;
    GRANT curated_read_only, analytics_read_only TO curated_analytics_read_only;
    GRANT raw_read_only, curated_read_only, analytics_read_only TO all_read_only;
    GRANT analytics_read_only, curated_deid_read_only TO itc_analyst;
    GRANT analytics_read_only TO itc_finance;
    -- the refresher's quality checks read counts and keys: non-PHI columns of every layer
    GRANT all_read_only TO itc_refresher;

    -- the role running the migrations must be able to hand objects to itc_migrator (RDS master user
    -- is not a superuser; a superuser needs no membership)
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('GRANT itc_migrator TO %I', current_user);
    END IF;

    -- RDS: IAM database authentication for the pipeline logins only (the role exists only on RDS)
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') THEN
        GRANT rds_iam TO itc_refresher;
    END IF;
END
$roles$;
