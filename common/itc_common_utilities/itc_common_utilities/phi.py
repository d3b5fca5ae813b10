"""The PHI/PII catalogue: the one declared list of protected columns (HIPAA).

Everything that decides who may see a value, or whether a value may be written to a log or to
``ops.rejected_records``, reads this list:

- the warehouse holds the same list in ``ops.phi_columns`` (31_create_phi_catalogue.sql); the grants are generated
  from it by ``ops.apply_security_baseline()`` (34_create_security_baseline.sql): the ``*_read_only`` groups get column
  privileges on every raw/curated column that is NOT listed, only ``phi_reader`` reads the listed ones;
- the de-identified views (schema ``curated_deid``) leave every listed column out (and hash ids,
  show dates as months: ``ops.create_deidentified_view``, ``ops.deid_columns``);
- the loaders store a rejected value in ``ops.rejected_records`` only for a field on
  :data:`REJECT_VALUE_FIELDS`, the allow-list of non-PHI fields defined next to this list (ids,
  timestamps, flags, counts: none of it catalogued); for any other field only the value's JSON type
  and length (:func:`redact_value`);
- ``tests/security/test_phi_catalogue.py`` fails when this list, ``ops.phi_columns``, the column
  comments (the data dictionary: a comment saying PHI or PII) and the grants disagree, so a new PHI
  column cannot be exposed silently: add it here, to a new ``ops.phi_columns`` script, and say so in
  its comment.

Categories: ``PHI`` = protected health information about the claimant (names, claim and policy
numbers, policy limits, date of loss, free text that may name them); ``PII`` = personal data of
other people (firm contacts, attorneys, case managers, adjusters).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class PhiColumn:
    table: str     # schema-qualified table or view
    column: str
    category: str  # "PHI" or "PII"
    reason: str


def _columns(table: str, entries: dict[str, tuple[str, str]]) -> list[PhiColumn]:
    return [PhiColumn(table, column, category, reason) for column, (category, reason) in entries.items()]


_CASES = {
    "claimant_name": ("PHI", "claimant's name"),
    "claim_number": ("PHI", "insurance claim number"),
    "client_id": ("PHI", "the claimant's id in the firm's case management system"),
    "related_insurance_id": ("PHI", "insurance identifier of the claim"),
    "matter_name": ("PHI", "matter names usually contain the client's name"),
    "primary_contact_name": ("PII", "firm contact's name"),
    "attorney_name": ("PII", "attorney's name"),
    "case_manager_names": ("PII", "case managers' names"),
}
_FREE_TEXT = ("PHI", "free text that may name the client")
_VERIFYPLUS = {
    "client_names": ("PHI", "names of the firm's clients (claimants)"),
    "reporting_policy_number": ("PHI", "insurance policy number"),
    "reporting_claim_number": ("PHI", "insurance claim number"),
    "reporting_insured": ("PHI", "insured person's name"),
    "date_of_loss": ("PHI", "date of the accident (a date tied to the individual)"),
    "duplicate_exclusion_comments": ("PHI", "free text that may name the client"),
    "bi_per_person_limit": ("PHI", "policy data"),
    "bi_per_occurrence_limit": ("PHI", "policy data"),
    "pd_limit": ("PHI", "policy data"),
    "um_per_person_limits": ("PHI", "policy data"),
    "um_per_occurrence_limit": ("PHI", "policy data"),
    "firm_contact_name": ("PII", "firm contact's name"),
    "claim_set_up_assignee": ("PII", "Quickbase user (name, e-mail)"),
    "verify_assignee": ("PII", "staff member's name"),
    "verify_adjuster_name": ("PII", "adjuster's name"),
    "injury_adjuster_name": ("PII", "adjuster's name"),
    "property_adjuster_name": ("PII", "adjuster's name"),
}

CATALOGUE: tuple[PhiColumn, ...] = tuple(
    _columns("raw.cases", _CASES)
    + _columns("raw.audit", {"archive_comments": _FREE_TEXT})
    + _columns("raw.verifyplus", {**_VERIFYPLUS, "extra_fields": ("PHI", "report fields not yet reviewed")})
    + _columns("curated.demand_billing_base", _CASES)
    + _columns("curated.demands_uploaded", _CASES)
    + _columns("curated.demands_archived", {**_CASES, "archive_comments": _FREE_TEXT})
    + _columns("curated.verifyplus", _VERIFYPLUS)
)

# table -> protected columns (raw tables and curated views; a table absent here holds none)
PHI_COLUMNS: dict[str, frozenset[str]] = {
    table: frozenset(c.column for c in CATALOGUE if c.table == table)
    for table in ("raw.cases", "raw.metadata", "raw.templates", "raw.audit", "raw.verifyplus",
                  "curated.demand_billing_base", "curated.demands_uploaded", "curated.demands_archived",
                  "curated.verifyplus")
}

# source field names (as they appear in snapshot records) whose values are PHI/PII
PHI_SOURCE_FIELDS: frozenset[str] = frozenset({
    # Exchange
    "claimant", "claimNumber", "firstName", "lastName", "primaryContact", "attorney", "caseManagers",
    "matterName", "clientId", "relatedInsuranceId", "archiveComments", "payload",
    # Verify+ (Quickbase labels)
    "Client Names", "Firm Contact Name", "Claim Set Up Assignee", "Verify Adjuster Name",
    "Reporting Policy Number", "Reporting Claim Number", "Date of Loss", "Duplicate/Exclusion Comments",
    "Injury Adjuster Name", "Property Adjuster Name", "Reporting Insured", "BI Per Person Limit",
    "BI Per Occurrence Limit", "PD Limit", "UM Per Person Limits", "UM Per Occurrence Limit",
})


# Source fields (snapshot record names) and raw columns whose rejected VALUE may be stored in
# ops.rejected_records: ids, versions, timestamps, flags and counts that map to columns this catalogue
# does not list. Everything else (names, free text, codes, policy data, matter and client ids, and any
# field not named here) is stored as its JSON type and length only. tests/security/test_phi_catalogue.py
# fails when a catalogued field or column is added here.
REJECT_VALUE_FIELDS: frozenset[str] = frozenset({
    # Exchange (source fields)
    "documentId", "version", "customerId", "createdTs", "auditRecordId", "templateId", "demandTemplateId",
    "demandIsDeliverable", "documentStatusHistory.timestamp",
    # Exchange (raw columns, named by the loader's missing_key / nul_byte / duplicate_key rejects)
    "document_id", "customer_id", "audit_record_id", "template_id", "demand_template_id",
    # Verify+ (Quickbase labels and raw columns)
    "Request ID", "request_id", "Request Created Datetime", "Verify Start Datetime", "Customer Close Datetime",
    "Verify Close Datetime", "Verify Close Datetime Overide", "Claim Set Up Start Date", "Claim Set Up Close Date",
    "Exclude From Reporting", "Duplicate Request", "Created Previous Business Day", "Claim Days to Close",
    "Verify Time Open", "Number of Claimants", "Number of Attempts", "Number of Attempted Calls",
    "Number of Attempted Emails",
})
_JSON_TYPES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "boolean"), (str, "string"), ((int, float, Decimal), "number"), (dict, "object"),
    ((list, tuple), "array"), (bytes, "bytes"))


def is_phi(table: str, column: str) -> bool:
    """True when ``table.column`` (raw table, or source field name) holds PHI/PII."""
    return column in PHI_COLUMNS.get(table, frozenset()) or column in PHI_SOURCE_FIELDS


def may_store_value(table: str, field: str | None) -> bool:
    """Whether a rejected value of ``field`` may be stored as itself: every part of it (a duplicate
    key names ``col1,col2``) is on :data:`REJECT_VALUE_FIELDS` and none is PHI."""
    if not field:
        return False
    parts = field.split(",")
    return all(p in REJECT_VALUE_FIELDS and not is_phi(table, p) for p in parts)


def describe_value(value: object) -> str:
    """A value's JSON type and length, never the value: ``"string, 23 chars"``, ``"object, 2 keys"``."""
    kind = next((name for types, name in _JSON_TYPES if isinstance(value, types)), type(value).__name__)
    if isinstance(value, str | bytes):
        return f"{kind}, {len(value)} chars"
    if isinstance(value, dict):
        return f"{kind}, {len(value)} keys"
    if isinstance(value, list | tuple):
        return f"{kind}, {len(value)} items"
    if kind == "number":
        return f"{kind}, {len(str(value))} chars"
    return kind


def redact_value(table: str, field: str | None, value: object, *, limit: int = 200) -> str | None:
    """What may be stored about an offending value: the value itself (truncated) for a scalar of an
    allow-listed field (:func:`may_store_value`), else only its JSON type and length."""
    if value is None:
        return None
    if not may_store_value(table, field) or not isinstance(value, str | int | float | bool | Decimal):
        return describe_value(value)
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\x00", "\\0")
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"
