-- De-identified curated views for analysts (docs/adr/0003): schema curated_deid, one view per curated
-- materialized view, meeting HIPAA Safe Harbor:
--   * identifiers (document, matter and request ids) are replaced by keyed hashes: HMAC-SHA256 with a
--     key that only the owner reads (ops.deid_key), hex, in a column named <name>_hash; equal ids give
--     equal hashes in every view of one database, so joins and distinct counts still work;
--   * every date and time is reduced to its month (YYYY-MM, business time zone), in <name>_month;
--   * free text, lineage keys and the PHI/PII columns of the catalogue (ops.phi_columns) are left out.
-- Each column of a curated relation has its treatment recorded in ops.deid_columns (keep, hash, month or
-- drop); a catalogued PHI/PII column is always dropped. ops.create_deidentified_view refuses a curated
-- column without a recorded treatment, so a new curated column reaches analysts only after a review,
-- in a new script that records its treatment and re-creates the view.
-- The views run with their owner's (itc_migrator's) rights on curated and on the key table; the
-- caller only needs EXECUTE on the built-in sha256/encode and on ref.billing_month. pgcrypto is not
-- used: the embedded PostgreSQL 16 ships without it, and HMAC over the built-in sha256() with the
-- key's inner and outer pads precomputed (RFC 2104) gives the same value as pgcrypto's hmac().
CREATE SCHEMA IF NOT EXISTS curated_deid;
COMMENT ON SCHEMA curated_deid IS 'De-identified views of the curated layer for analysts (HIPAA Safe Harbor): ids as keyed hashes, dates as months, no free text and no PHI/PII columns (ops.deid_columns, ops.phi_columns).';

-- The hash key: one random 32-byte key per database, readable by the owner only (no grant on it; the
-- security baseline revokes everything in ops). ipad/opad are the key XOR 0x36 / 0x5c over 64 bytes.
CREATE TABLE ops.deid_key (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    key        bytea       NOT NULL CHECK (length(key) = 32),
    ipad       bytea       NOT NULL CHECK (length(ipad) = 64),
    opad       bytea       NOT NULL CHECK (length(opad) = 64),
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ops.deid_key IS 'The secret key of the keyed hashes in curated_deid (HMAC-SHA256). One row; readable only by the owner (itc_migrator), through the views. Replacing it changes every hash.';
COMMENT ON COLUMN ops.deid_key.singleton IS 'Always true: the table holds one key.';
COMMENT ON COLUMN ops.deid_key.key IS 'The 32 random bytes of the key (from two gen_random_uuid(), 244 random bits).';
COMMENT ON COLUMN ops.deid_key.ipad IS 'HMAC inner pad: the key, zero-padded to 64 bytes, XOR 0x36.';
COMMENT ON COLUMN ops.deid_key.opad IS 'HMAC outer pad: the key, zero-padded to 64 bytes, XOR 0x5c.';
COMMENT ON COLUMN ops.deid_key.created_at IS 'When the key was generated.';

INSERT INTO ops.deid_key (key, ipad, opad)
SELECT k.key,
       decode(string_agg(lpad(to_hex(get_byte(k.padded, i) # 54), 2, '0'), '' ORDER BY i), 'hex'),
       decode(string_agg(lpad(to_hex(get_byte(k.padded, i) # 92), 2, '0'), '' ORDER BY i), 'hex')
FROM (SELECT r.key, r.key || decode(repeat('00', 32), 'hex') AS padded
      FROM (SELECT decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex') AS key) AS r
     ) AS k
CROSS JOIN generate_series(0, 63) AS i
GROUP BY k.key;

-- The treatment of every column of the curated relations that has no PHI/PII catalogue entry.
CREATE TABLE ops.deid_columns (
    table_name  text NOT NULL,
    column_name text NOT NULL,
    treatment   text NOT NULL CHECK (treatment IN ('keep', 'hash', 'month', 'drop')),
    reason      text NOT NULL CHECK (btrim(reason) <> ''),
    PRIMARY KEY (table_name, column_name)
);
COMMENT ON TABLE ops.deid_columns IS 'How each column of a curated relation appears in its de-identified view (curated_deid): kept, keyed hash, month, or dropped. PHI/PII columns of ops.phi_columns are always dropped.';
COMMENT ON COLUMN ops.deid_columns.table_name IS 'The curated relation (schema curated).';
COMMENT ON COLUMN ops.deid_columns.column_name IS 'Its column.';
COMMENT ON COLUMN ops.deid_columns.treatment IS 'keep (as is), hash (HMAC-SHA256 hex, column <name without _id>_hash), month (YYYY-MM, column <name without _at/_datetime/_date>_month), drop (not shown).';
COMMENT ON COLUMN ops.deid_columns.reason IS 'Why: the Safe Harbor rule applied, or why the value identifies nobody.';

INSERT INTO ops.deid_columns (table_name, column_name, treatment, reason)
SELECT v.table_name, c.column_name, c.treatment, c.reason
FROM (VALUES ('demands_uploaded'), ('demands_archived')) AS v (table_name)
CROSS JOIN (VALUES
    ('document_id', 'hash', 'record identifier of the demand'),
    ('document_version', 'keep', 'a version number: identifies nobody'),
    ('customer_id', 'keep', 'the law firm''s Exchange account: a business, not an individual'),
    ('sending_firm_name', 'keep', 'the law firm: a business, not an individual'),
    ('matter_id', 'hash', 'the firm''s matter (the claimant''s case) identifier'),
    ('matter_tech_id', 'hash', 'the firm''s matter identifier in its case system'),
    ('carrier_common_name', 'keep', 'the insurance carrier: a business'),
    ('claim_coverage', 'keep', 'coverage type, from a list'),
    ('loss_state', 'keep', 'a state: Safe Harbor allows geography down to the state'),
    ('demand_template_id', 'keep', 'the firm''s template: identifies nobody'),
    ('template_name', 'keep', 'the firm''s template name: identifies nobody'),
    ('document_type', 'keep', 'document type, from a list'),
    ('demand_is_deliverable', 'keep', 'a flag'),
    ('version_created_at', 'month', 'a date of the claimant''s demand: month only'),
    ('uploaded_at', 'month', 'a date of the claimant''s demand: month only'),
    ('received_at', 'month', 'a date of the claimant''s demand: month only'),
    ('archived_at', 'month', 'a date of the claimant''s demand: month only'),
    ('load_id', 'keep', 'the load run: identifies nobody'),
    ('source_key', 'drop', 'lineage (S3 key of the snapshot file): not needed for analysis'),
    ('billing_month', 'keep', 'already a month')
) AS c (column_name, treatment, reason)
UNION ALL
SELECT 'demands_archived', column_name, treatment, reason FROM (VALUES
    ('archive_reason', 'keep', 'a reason code chosen from a list'),
    ('archive_audit_record_id', 'drop', 'record identifier of the audit entry: not needed for analysis')
) AS a (column_name, treatment, reason)
UNION ALL
SELECT 'verifyplus', column_name, treatment, reason FROM (VALUES
    ('request_id', 'hash', 'record identifier of the request'),
    ('request_created_datetime', 'month', 'a date of the claimant''s request: month only'),
    ('request_type', 'keep', 'request type, from a list'),
    ('firm_name', 'keep', 'the law firm: a business'),
    ('accident_state', 'keep', 'a state: Safe Harbor allows geography down to the state'),
    ('number_of_claimants', 'keep', 'a count'),
    ('claim_set_up_status', 'keep', 'a status, from a list'),
    ('claim_set_up_start_date', 'month', 'a date of the claimant''s request: month only'),
    ('claim_set_up_close_date', 'month', 'a date of the claimant''s request: month only'),
    ('liability_status', 'keep', 'a status, from a list'),
    ('verify_request_status', 'keep', 'a status, from a list'),
    ('verify_start_datetime', 'month', 'a date of the claimant''s request: month only'),
    ('reporting_carrier', 'keep', 'the insurance carrier: a business'),
    ('request_status', 'keep', 'a status, from a list'),
    ('um_stacking', 'keep', 'a policy option, from a list'),
    ('customer_close_datetime', 'month', 'a date of the claimant''s request: month only'),
    ('exclude_from_reporting', 'keep', 'a flag'),
    ('duplicate_request', 'keep', 'a flag'),
    ('verify_close_datetime', 'month', 'a date of the claimant''s request: month only'),
    ('verify_close_datetime_override', 'month', 'a date of the claimant''s request: month only'),
    ('created_previous_business_day', 'keep', 'a flag'),
    ('claim_days_to_close', 'keep', 'a duration in days, not a date'),
    ('verify_time_open', 'keep', 'a duration, not a date'),
    ('documentation_status', 'keep', 'a status, from a list'),
    ('number_of_attempts', 'keep', 'a count'),
    ('number_of_attempted_calls', 'keep', 'a count'),
    ('number_of_attempted_emails', 'keep', 'a count'),
    ('coverage_status', 'keep', 'a status, from a list'),
    ('coverage', 'keep', 'coverage found, from a list'),
    ('close_datetime', 'month', 'a date of the claimant''s request: month only'),
    ('days_to_close', 'keep', 'a duration in days, not a date'),
    ('is_billable', 'keep', 'a flag'),
    ('billing_month', 'keep', 'already a month'),
    ('load_id', 'keep', 'the load run: identifies nobody'),
    ('source_key', 'drop', 'lineage (S3 key of the snapshot file): not needed for analysis')
) AS r (column_name, treatment, reason);

-- The name a treated column has in the de-identified view.
CREATE FUNCTION ops.deid_column_name(column_name text, treatment text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN CASE treatment
    WHEN 'hash' THEN regexp_replace(column_name, '_id$', '') || '_hash'
    WHEN 'month' THEN regexp_replace(regexp_replace(column_name, '_(at|datetime|date)$', ''),
                                     '_(datetime|date)_', '_') || '_month'
    ELSE column_name END;
REVOKE ALL ON FUNCTION ops.deid_column_name(text, text) FROM PUBLIC;
COMMENT ON FUNCTION ops.deid_column_name(text, text) IS
    'The de-identified view''s name of a curated column: document_id hashed is document_hash, uploaded_at as a month is uploaded_month (migrations only).';

CREATE PROCEDURE ops.create_deidentified_view(source regclass)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $proc$
DECLARE
    rel record;
    col record;
    target text;
    expr text;
    out_name text;
    note text;
    select_list text[] := ARRAY[]::text[];
    comments text[] := ARRAY[]::text[];
BEGIN
    SELECT n.nspname, c.relname INTO rel
    FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE c.oid = source;
    IF rel.nspname IS DISTINCT FROM 'curated' THEN
        RAISE EXCEPTION 'ops.create_deidentified_view: % is not a curated relation', source
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    target := format('curated_deid.%I', rel.relname);
    FOR col IN
        SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type_name, a.atttypid,
               col_description(a.attrelid, a.attnum) AS description,
               CASE WHEN p.column_name IS NOT NULL THEN 'drop' ELSE t.treatment END AS treatment
        FROM pg_attribute AS a
        LEFT JOIN ops.phi_columns AS p
               ON p.table_schema = rel.nspname AND p.table_name = rel.relname AND p.column_name = a.attname
        LEFT JOIN ops.deid_columns AS t ON t.table_name = rel.relname AND t.column_name = a.attname
        WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
    LOOP
        IF col.treatment IS NULL THEN
            RAISE EXCEPTION '%.% has no de-identification treatment: record one in ops.deid_columns (keep, hash, month or drop)',
                source, col.attname USING ERRCODE = 'invalid_parameter_value';
        END IF;
        CONTINUE WHEN col.treatment = 'drop';
        IF col.treatment = 'keep' AND col.atttypid IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN
            RAISE EXCEPTION '%.% is a date or time: its treatment must be month or drop, not keep', source, col.attname
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        out_name := ops.deid_column_name(col.attname, col.treatment);
        expr := CASE col.treatment
            WHEN 'hash' THEN format('encode(sha256(k.opad || sha256(k.ipad || convert_to(s.%I::text, ''UTF8''))), ''hex'')',
                                    col.attname)
            WHEN 'month' THEN CASE WHEN col.atttypid = 'date'::regtype THEN format('to_char(s.%I, ''YYYY-MM'')', col.attname)
                                   ELSE format('ref.billing_month(s.%I::timestamptz)', col.attname) END
            ELSE format('s.%I', col.attname) END;
        select_list := select_list || format('%s AS %I', expr, out_name);
        note := CASE col.treatment
            WHEN 'hash' THEN format('Keyed hash (HMAC-SHA256, hex) of %s: the same id gives the same hash in every '
                                    'de-identified view; the key is not readable by analysts. %s', col.attname,
                                    coalesce(col.description, ''))
            WHEN 'month' THEN format('Month (YYYY-MM, business time zone) of %s; the day and time are not shown. %s',
                                     col.attname, coalesce(col.description, ''))
            ELSE col.description END;
        IF note IS NOT NULL THEN
            comments := comments || format('COMMENT ON COLUMN %s.%I IS %L', target, out_name, btrim(note));
        END IF;
    END LOOP;
    EXECUTE format('CREATE VIEW %s AS SELECT %s FROM %I.%I AS s CROSS JOIN ops.deid_key AS k',
                   target, array_to_string(select_list, ', '), rel.nspname, rel.relname);
    EXECUTE format('COMMENT ON VIEW %s IS %L', target, format(
        'De-identified %s.%s for analysts (HIPAA Safe Harbor): ids as keyed hashes (*_hash), dates as months '
        '(*_month), no free text, no PHI/PII columns (ops.deid_columns, ops.phi_columns). One row per row of %s.%s.',
        rel.nspname, rel.relname, rel.nspname, rel.relname));
    FOR i IN 1 .. coalesce(array_length(comments, 1), 0) LOOP
        EXECUTE comments[i];
    END LOOP;
END
$proc$;
REVOKE ALL ON PROCEDURE ops.create_deidentified_view(regclass) FROM PUBLIC;
COMMENT ON PROCEDURE ops.create_deidentified_view(regclass) IS
    'Create curated_deid.<name> from a curated relation with each column''s treatment of ops.deid_columns (keyed hash, month, kept or dropped; PHI/PII columns of ops.phi_columns dropped), with comments (migrations only).';

CALL ops.create_deidentified_view('curated.demands_uploaded');
CALL ops.create_deidentified_view('curated.demands_archived');
CALL ops.create_deidentified_view('curated.verifyplus');
