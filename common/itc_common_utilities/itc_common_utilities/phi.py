"""The PHI/PII catalogue: the one declared list of protected columns (HIPAA).

Everything that decides who may see a value, or whether a value may be written to a log or to
``ops.rejected_records``, reads this list: grants and de-identified views are generated from it or
tested against it, and the loaders redact these fields in rejected records. A new PHI column must be
added here, or a test fails.
"""

from __future__ import annotations

REDACTED = "[REDACTED PHI]"

# raw table -> protected columns
PHI_COLUMNS: dict[str, frozenset[str]] = {
    "raw.cases": frozenset({
        "claimant_name", "claim_number", "primary_contact_name", "attorney_name", "case_manager_names",
        "matter_name", "client_id", "related_insurance_id",
    }),
    "raw.metadata": frozenset({"status_history"}),
    "raw.templates": frozenset(),
    "raw.audit": frozenset({"archive_comments"}),
    "raw.verifyplus": frozenset({
        "client_names", "firm_contact_name", "claim_set_up_assignee", "verify_adjuster_name",
        "reporting_policy_number", "reporting_claim_number", "date_of_loss", "duplicate_exclusion_comments",
        "injury_adjuster_name", "property_adjuster_name", "reporting_insured",
        "bi_per_person_limit", "bi_per_occurrence_limit", "pd_limit", "um_per_person_limits",
        "um_per_occurrence_limit", "extra_fields",
    }),
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
