-- Column comments are written once, on the relation that defines a column, and copied to the
-- relations built on it (curated.demand_billing_base -> the demand materialized views -> their
-- de-identified views), so the data dictionary documents every column with one text.
CREATE PROCEDURE ops.copy_column_comments(source regclass, target regclass)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $proc$
DECLARE
    col record;
BEGIN
    FOR col IN
        SELECT t.attname, d.description
        FROM pg_attribute AS s
        JOIN pg_description AS d ON d.objoid = s.attrelid AND d.classoid = 'pg_class'::regclass
                                AND d.objsubid = s.attnum
        JOIN pg_attribute AS t ON t.attrelid = target AND t.attname = s.attname
                              AND t.attnum > 0 AND NOT t.attisdropped
        WHERE s.attrelid = source AND s.attnum > 0 AND NOT s.attisdropped
        ORDER BY t.attnum
    LOOP
        EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', target, col.attname, col.description);
    END LOOP;
END
$proc$;
REVOKE ALL ON PROCEDURE ops.copy_column_comments(regclass, regclass) FROM PUBLIC;
COMMENT ON PROCEDURE ops.copy_column_comments(regclass, regclass) IS
    'Copy the column comments of source to the same-named columns of target (migrations only: a relation built on another keeps its documentation in one place).';
