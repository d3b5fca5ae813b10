-- Audited PHI reads (docs/design.md §6): pgAudit OBJECT auditing. pgAudit logs a statement as
-- "AUDIT: OBJECT,..." when the role named by the server setting pgaudit.role holds a privilege on
-- what the statement touches, down to the column. itc_auditor is that role: a NOLOGIN role nobody is
-- a member of, holding SELECT on exactly the PHI/PII columns of the catalogue (ops.phi_columns) and
-- on every view or materialized view that reads one (pgAudit checks the role's relation and column
-- privileges only; it needs no schema USAGE). So a read of a PHI column is logged (who, what
-- statement, which relation) and a read of anything else is not (no noise, no PHI-free log flood).
-- The RDS parameter group preloads pgaudit and sets pgaudit.role = itc_auditor
-- (terraform_modules/itc_data_warehouse/parameters.tf); 42_enable_pgaudit.sql creates the extension where the
-- server offers it. Without pgAudit (the embedded local PostgreSQL) the grants are harmless.
--
-- ops.apply_phi_audit_grants() rebuilds itc_auditor's grants from the catalogue; the security baseline
-- (ops.apply_security_baseline, run after every migration) calls it, so a PHI column or a
-- view over one that a later script adds is audited as soon as it exists.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'itc_auditor') THEN
        CREATE ROLE itc_auditor NOLOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
    END IF;
END
$$;
COMMENT ON ROLE itc_auditor IS 'pgAudit object-audit role (pgaudit.role): NOLOGIN, no members; holds SELECT on the PHI/PII columns of ops.phi_columns and the views reading them, so every PHI read is logged as AUDIT OBJECT. Grants rebuilt by ops.apply_phi_audit_grants().';

CREATE PROCEDURE ops.apply_phi_audit_grants()
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $proc$
DECLARE
    auditor constant regrole := 'itc_auditor'::regrole;
    obj record;
BEGIN
    -- 1. start from nothing: drop whatever itc_auditor holds (a column taken out of the catalogue
    --    stops being audited)
    FOR obj IN SELECT c.oid::regclass AS rel, a.attname
               FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid
               WHERE a.attacl IS NOT NULL AND a.attnum > 0
                 AND EXISTS (SELECT 1 FROM aclexplode(a.attacl) AS x WHERE x.grantee = auditor) LOOP
        EXECUTE format('REVOKE ALL (%I) ON %s FROM itc_auditor', obj.attname, obj.rel);
    END LOOP;
    FOR obj IN SELECT c.oid::regclass AS rel FROM pg_class AS c
               WHERE c.relacl IS NOT NULL
                 AND EXISTS (SELECT 1 FROM aclexplode(c.relacl) AS x WHERE x.grantee = auditor) LOOP
        EXECUTE format('REVOKE ALL ON %s FROM itc_auditor', obj.rel);
    END LOOP;

    -- 2. the catalogued PHI/PII columns that exist
    FOR obj IN SELECT a.attrelid::regclass AS rel, string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) AS cols
               FROM ops.phi_columns AS p
               JOIN pg_attribute AS a ON a.attrelid = to_regclass(format('%I.%I', p.table_schema, p.table_name))
                                     AND a.attname = p.column_name AND a.attnum > 0 AND NOT a.attisdropped
               GROUP BY a.attrelid LOOP
        EXECUTE format('GRANT SELECT (%s) ON %s TO itc_auditor', obj.cols, obj.rel);
    END LOOP;

    -- 3. every other view and materialized view whose query reads one of those columns (in any schema):
    --    all of it, so reading PHI through an uncatalogued view is logged under the view's name too. A
    --    catalogued relation (curated.demands_uploaded) keeps its column grants only: a read of its
    --    non-PHI columns, or of a de-identified view over them, is not a PHI read.
    FOR obj IN SELECT DISTINCT v.oid::regclass AS rel
               FROM ops.phi_columns AS p
               JOIN pg_attribute AS a ON a.attrelid = to_regclass(format('%I.%I', p.table_schema, p.table_name))
                                     AND a.attname = p.column_name AND a.attnum > 0 AND NOT a.attisdropped
               JOIN pg_depend AS d ON d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
                                  AND d.refobjid = a.attrelid AND d.refobjsubid = a.attnum
               JOIN pg_rewrite AS r ON r.oid = d.objid
               JOIN pg_class AS v ON v.oid = r.ev_class AND v.oid <> a.attrelid AND v.relkind IN ('v', 'm')
               WHERE NOT EXISTS (SELECT 1 FROM ops.phi_columns AS q
                                 WHERE to_regclass(format('%I.%I', q.table_schema, q.table_name)) = v.oid) LOOP
        EXECUTE format('GRANT SELECT ON %s TO itc_auditor', obj.rel);
    END LOOP;
END
$proc$;
REVOKE ALL ON PROCEDURE ops.apply_phi_audit_grants() FROM PUBLIC;
COMMENT ON PROCEDURE ops.apply_phi_audit_grants() IS
    'Rebuild the pgAudit object-audit grants of itc_auditor (pgaudit.role): SELECT on every catalogued PHI/PII column (ops.phi_columns) and on every view reading one. Idempotent; called by ops.apply_security_baseline().';

CALL ops.apply_security_baseline();  -- which now calls ops.apply_phi_audit_grants()
