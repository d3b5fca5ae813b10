"""The PHI/PII catalogue: the one declared list of protected columns (HIPAA).

Everything that decides who may see a value, or whether a value may be written to a log or to
``ops.rejected_records``, reads this list:

- the warehouse holds the same list in ``ops.phi_columns`` (script 31); the grants are generated
  from it by ``ops.apply_security_baseline()`` (script 34): the ``*_read_only`` groups get column
  privileges on every raw/curated column that is NOT listed, only ``phi_reader`` reads the listed ones;
- the de-identified views (schema ``curated_deid``) leave every listed column out;
- the loaders redact these fields in rejected records (:func:`redact_value`);
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

REDACTED = "[REDACTED PHI]"


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


def is_phi(table: str, column: str) -> bool:
    """True when ``table.column`` (raw table, or source field name) holds PHI/PII."""
    return column in PHI_COLUMNS.get(table, frozenset()) or column in PHI_SOURCE_FIELDS


def redact_value(table: str, field: str | None, value: object, *, limit: int = 200) -> str | None:
    """What may be stored about an offending value: redacted when PHI, else truncated text."""
    if value is None:
        return None
    if field is not None and is_phi(table, field):
        return REDACTED
    text = value if isinstance(value, str) else repr(value)
    text = text.replace("\x00", "\\0")
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"
