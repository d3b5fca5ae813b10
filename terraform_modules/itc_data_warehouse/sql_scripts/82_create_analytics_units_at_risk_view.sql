-- analytics.units_at_risk: every billable unit that could not be billed from the latest load of each
-- source (ops.latest_loads): the records the load rejected (ops.rejected_records: a bad value in a
-- billing-critical field, ops.billing_critical_fields) and the DocumentArchived entries dropped from a
-- status history (ops.quarantined_fields.unit_at_risk). Firm and month are shown where the warehouse can
-- read them (a demand's latest firm name and upload month from the rows that did load). The quality
-- checks report the count as a warning; `itc invoice --close` refuses a month while any unit of that
-- month (or of no readable month) is at risk, unless finance accepts them (analytics.accept_units_at_risk).
-- Readable by finance and analysts (analytics_read_only). No PHI: ids, reasons, firm names and months.
CREATE VIEW analytics.units_at_risk AS
WITH latest AS (
    SELECT source, load_id FROM ops.latest_loads
),
at_risk AS (
    SELECT r.source, 'rejected_record'::text AS kind,
           CASE r.table_name WHEN 'documents' THEN 'demand_uploaded' WHEN 'documents_metadata' THEN 'demand_uploaded'
                             WHEN 'requests' THEN 'verifyplus_request' END AS product,
           r.table_name, r.record_key, r.reason_code, r.field_name, r.detail, r.load_id, r.line_number
    FROM ops.rejected_records AS r JOIN latest AS l ON l.load_id = r.load_id
    UNION ALL
    SELECT q.source, 'dropped_history_entry', q.unit_at_risk, q.table_name, q.record_key, q.reason_code, q.field_name,
           q.detail, q.load_id, q.line_number
    FROM ops.quarantined_fields AS q JOIN latest AS l ON l.load_id = q.load_id
    WHERE q.unit_at_risk IS NOT NULL
),
latest_case AS (
    SELECT DISTINCT ON (c.document_id) c.document_id,
           nullif(regexp_replace(c.sending_firm_name, '\s+$', ''), '') AS firm_name
    FROM raw.cases AS c
    WHERE c.document_id IN (SELECT split_part(a.record_key, '/', 1) FROM at_risk AS a WHERE a.source = 'demand')
    ORDER BY c.document_id, c.version DESC
)
SELECT a.source,
       a.kind,
       a.product,
       a.table_name,
       a.record_key,
       a.reason_code,
       a.field_name,
       a.detail,
       c.firm_name,
       CASE WHEN a.product = 'demand_uploaded' AND a.table_name = 'documents' THEN ref.billing_month(m.uploaded_at) END
           AS service_month,
       a.load_id,
       a.line_number
FROM at_risk AS a
LEFT JOIN latest_case AS c ON a.source = 'demand' AND c.document_id = split_part(a.record_key, '/', 1)
LEFT JOIN raw.metadata AS m ON a.source = 'demand' AND m.document_id = split_part(a.record_key, '/', 1);

COMMENT ON VIEW analytics.units_at_risk IS 'Billable units that could not be billed, from the latest load of each source: records rejected for a bad billing-critical value, and DocumentArchived entries dropped from a status history. Firm and month where readable. A month does not close over them unless finance accepts them (analytics.accept_units_at_risk). No PHI.';
COMMENT ON COLUMN analytics.units_at_risk.source IS 'demand or verifyplus. Not PHI.';
COMMENT ON COLUMN analytics.units_at_risk.kind IS 'rejected_record (ops.rejected_records) or dropped_history_entry (a status-history entry dropped, ops.quarantined_fields). Not PHI.';
COMMENT ON COLUMN analytics.units_at_risk.product IS 'The unit at risk: demand_uploaded, demand_archived or verifyplus_request; null when the record decides units indirectly (a template, an audit record). Not PHI.';
COMMENT ON COLUMN analytics.units_at_risk.table_name IS 'Snapshot table of the record. Not PHI.';
COMMENT ON COLUMN analytics.units_at_risk.record_key IS 'The record''s natural key (document id[/version], request id, template id/version); null when unreadable. Not PHI.';
COMMENT ON COLUMN analytics.units_at_risk.reason_code IS 'Why it could not be billed (the reject or quarantine reason). Not PHI.';
COMMENT ON COLUMN analytics.units_at_risk.field_name IS 'The field whose value was bad. Not PHI.';
COMMENT ON COLUMN analytics.units_at_risk.detail IS 'What was wrong, naming the field, never the value. Not PHI.';
COMMENT ON COLUMN analytics.units_at_risk.firm_name IS 'The firm, where the warehouse can read it (a demand''s latest firm name, right-stripped); else null. Not PHI.';
COMMENT ON COLUMN analytics.units_at_risk.service_month IS 'The month the unit would bill, where readable (the upload month of a demand whose document record was rejected); else null. Not PHI.';
COMMENT ON COLUMN analytics.units_at_risk.load_id IS 'The load (ops.load_runs) that could not bill it. Not PHI.';
COMMENT ON COLUMN analytics.units_at_risk.line_number IS 'Line of the record in its snapshot file. Not PHI.';
