"""The billing-critical fields: the one declared list of the source fields that decide a bill.

Beside the PHI catalogue (:mod:`itc_common_utilities.phi`), and read the same way:

- the builders parse every other field with :func:`itc_common_utilities.loader.quarantine.kept`: a
  malformed or implausible value there (type, length, time window, NUL, unreadable date) is stored as
  NULL and noted in ``ops.quarantined_fields``, and the record loads; a bad value in a field listed
  here rejects the record (``ops.rejected_records``), as every bad value used to;
- the warehouse holds the same list in ``ops.billing_critical_fields`` (80_create_billing_critical_fields.sql),
  and the data dictionary marks those columns "billing-critical";
- ``tests/load/test_field_quarantine.py`` fails when this list and ``ops.billing_critical_fields``
  disagree.

One entry per raw column: the source field (the snapshot record's name, or the Quickbase label) that
fills it, and why a bill depends on it. The status history of a document is billing-critical in a
gentler way (:data:`HISTORY_FIELDS`): a bad entry is dropped from the billed history and noted, the
rest kept, and a dropped ``DocumentArchived`` entry marks the archive as a unit at risk
(``analytics.units_at_risk``) while the upload stays billed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CriticalField:
    table: str         # the raw table (schema-qualified)
    column: str        # its column
    source_field: str  # the field the builder reads (dotted for nested Exchange fields' names as reported)
    reason: str


def _fields(table: str, entries: dict[str, tuple[str, str]]) -> list[CriticalField]:
    return [CriticalField(table, column, source, reason) for column, (source, reason) in entries.items()]


CRITICAL_FIELDS: tuple[CriticalField, ...] = tuple(
    _fields("raw.cases", {
        "document_id": ("documentId", "the demand's key: its units are counted per document"),
        "version": ("version", "the latest version's firm bills the demand"),
        "customer_id": ("customerId", "maps the demand to its billing account"),
        "sending_firm_name": ("firmName", "the firm billed (sendingFirm.firmName)"),
    })
    + _fields("raw.metadata", {
        "document_id": ("documentId", "the demand's key"),
        "uploaded_at": ("createdTs", "the upload time: the uploaded unit and its month"),
        "demand_template_id": ("demandTemplateId", "client-level templates are not billed"),
        "archived_at": ("documentStatusHistory", "the DocumentArchived entries: the archived unit and its month"),
    })
    + _fields("raw.templates", {
        "template_id": ("templateId", "the template's key"),
        "version": ("version", "the latest version's name decides"),
        "template_name": ("templateName", "a name containing 'client' excludes the template's demands"),
    })
    + _fields("raw.audit", {
        "audit_record_id": ("auditRecordId", "the audit record's key"),
        "document_id": ("documentId", "the demand the archive belongs to"),
    })
    + _fields("raw.verifyplus", {
        "request_id": ("Request ID", "the request's key"),
        "request_created_datetime": ("Request Created Datetime", "the billed month"),
        "firm_name": ("Firm Name", "the firm billed"),
        "duplicate_request": ("Duplicate Request", "duplicates are not billed"),
        "exclude_from_reporting": ("Exclude From Reporting", "excluded requests are not billed"),
    })
)

# the status history: a bad entry is dropped and noted (never the record); a dropped archive entry is a unit at risk
HISTORY_FIELDS: frozenset[str] = frozenset({
    "documentStatusHistory", "documentStatusHistory.documentStatus", "documentStatusHistory.timestamp"})
# nested objects whose only billing-critical content is listed above: unreadable, they lose that field
CRITICAL_CONTAINERS: dict[str, frozenset[str]] = {"raw.cases": frozenset({"sendingFirm"})}

CRITICAL_SOURCE_FIELDS: dict[str, frozenset[str]] = {
    table: frozenset({f.source_field for f in CRITICAL_FIELDS if f.table == table}
                     | CRITICAL_CONTAINERS.get(table, frozenset()))
    for table in ("raw.cases", "raw.metadata", "raw.templates", "raw.audit", "raw.verifyplus")
}


def is_billing_critical(table: str, field: str | None) -> bool:
    """True when a bad value of ``field`` (source field, or raw column) in ``table`` must reject the record.
    A record-level problem (no field) always does."""
    if not field:
        return True
    return field in CRITICAL_SOURCE_FIELDS.get(table, frozenset()) or any(
        f.table == table and f.column == field for f in CRITICAL_FIELDS)
