-- The warehouse layers. raw: typed copies of the sources; curated: materialized views with the
-- business rules; analytics: what analysts and invoices read; ref: reference data kept by finance;
-- ops: load runs, rejected records, quality results, refreshes, migration history.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS curated;
CREATE SCHEMA IF NOT EXISTS analytics;
CREATE SCHEMA IF NOT EXISTS ref;
CREATE SCHEMA IF NOT EXISTS ops;

COMMENT ON SCHEMA raw IS 'Typed copies of the source tables (Exchange DynamoDB, Verify+ Quickbase), one row per natural key, with lineage columns.';
COMMENT ON SCHEMA curated IS 'Materialized views applying the business rules to raw (latest versions, client-template exclusion, archive reasons).';
COMMENT ON SCHEMA analytics IS 'Business tables and views for analysts and invoicing (monthly KPIs, invoice lines).';
COMMENT ON SCHEMA ref IS 'Reference data maintained by finance (price lists).';
COMMENT ON SCHEMA ops IS 'Operational records: load runs, rejected records, quality results, view refreshes, migrations.';
