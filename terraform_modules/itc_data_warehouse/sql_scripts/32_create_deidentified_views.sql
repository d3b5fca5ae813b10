-- De-identified curated views for analysts (DESIGN.md §6): schema curated_deid, one view per curated
-- materialized view, with every column except the PHI/PII columns of the catalogue (ops.phi_columns,
-- itc_common_utilities.phi), in the materialized view's column order and with its column comments.
-- Analysts (itc_analyst) read these with a plain SELECT *; the curated materialized views themselves
-- are readable in full only by phi_reader (and column-wise, non-PHI only, by curated_read_only). The
-- views run with their owner's (itc_migrator's) rights on curated. A view's column list is fixed when
-- it is created: a new curated column reaches analysts only when a new script re-creates its view
-- with ops.create_deidentified_view (the security baseline refuses a view showing a catalogued
-- column, and a test checks that no view column is in the catalogue).
CREATE SCHEMA IF NOT EXISTS curated_deid;
COMMENT ON SCHEMA curated_deid IS 'De-identified views of the curated layer for analysts: no PHI/PII columns (catalogue: ops.phi_columns).';

CREATE PROCEDURE ops.create_deidentified_view(source regclass)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $proc$
DECLARE
    src record;
    target text;
BEGIN
    SELECT n.nspname, c.relname,
           string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) AS columns
    INTO src
    FROM pg_class AS c
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE c.oid = source
      AND NOT EXISTS (SELECT 1 FROM ops.phi_columns AS p
                      WHERE p.table_schema = n.nspname AND p.table_name = c.relname AND p.column_name = a.attname)
    GROUP BY n.nspname, c.relname;
    IF src.nspname IS DISTINCT FROM 'curated' THEN
        RAISE EXCEPTION 'ops.create_deidentified_view: % is not a curated relation', source
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    target := format('curated_deid.%I', src.relname);
    EXECUTE format('CREATE VIEW %s AS SELECT %s FROM %I.%I', target, src.columns, src.nspname, src.relname);
    EXECUTE format('COMMENT ON VIEW %s IS %L', target, format(
        'De-identified %s.%s for analysts: every column except the PHI/PII ones of the catalogue '
        '(ops.phi_columns). One row per row of %s.%s.', src.nspname, src.relname, src.nspname, src.relname));
    CALL ops.copy_column_comments(source, target::regclass);
END
$proc$;
REVOKE ALL ON PROCEDURE ops.create_deidentified_view(regclass) FROM PUBLIC;
COMMENT ON PROCEDURE ops.create_deidentified_view(regclass) IS
    'Create curated_deid.<name>: every column of the curated relation except those of ops.phi_columns, with their comments (migrations only).';

CALL ops.create_deidentified_view('curated.demands_uploaded');
CALL ops.create_deidentified_view('curated.demands_archived');
CALL ops.create_deidentified_view('curated.verifyplus');
