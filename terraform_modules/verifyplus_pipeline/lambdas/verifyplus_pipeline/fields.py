"""The Verify+ report's fields (docs/design.md Appendix A): Quickbase label → warehouse column and kind.

Quickbase field ids differ per realm, so the pipeline maps by **label** (read from ``/v1/fields``),
never by id. The column is the snake_case of the label (see :func:`snake_case`), with the report's
own misspelling "Overide" corrected to ``override``. This table is the documented, stable mapping:
a test checks it against ``raw.verifyplus`` and against :func:`snake_case`.

Kinds, as Quickbase sends them in a report run:

- ``numeric``  a JSON number (``int_`` columns must be whole numbers)
- ``datetime`` ISO 8601 text with a zone (``2026-10-31T23:30:00Z``)
- ``date``     ``YYYY-MM-DD``
- ``checkbox`` a JSON boolean
- ``currency`` a JSON number or formatted text (``"$25,000.00"``)
- ``user``     an object ``{id, email, name, userName}``
- ``text``     a string

Any value may be empty (``""`` or null), which becomes SQL NULL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ReportField:
    label: str
    column: str
    kind: str  # numeric | int | datetime | date | checkbox | currency | user | text

    @property
    def quickbase_type(self) -> str:
        """The ``fieldType`` Quickbase reports for this kind in ``/v1/fields``."""
        return {"int": "numeric", "datetime": "timestamp"}.get(self.kind, self.kind)


def snake_case(label: str) -> str:
    """``"Duplicate/Exclusion Comments"`` → ``duplicate_exclusion_comments``; "Overide" → override."""
    column = re.sub(r"[^0-9a-z]+", "_", label.lower()).strip("_")
    return re.sub(r"(^|_)overide(_|$)", r"\1override\2", column)


_F = ReportField
REPORT_FIELDS: tuple[ReportField, ...] = (
    _F("Request ID", "request_id", "int"),
    _F("Request Created Datetime", "request_created_datetime", "datetime"),
    _F("Request Type", "request_type", "text"),
    _F("Firm Name", "firm_name", "text"),
    _F("Firm Contact Name", "firm_contact_name", "text"),
    _F("Client Names", "client_names", "text"),
    _F("Accident State", "accident_state", "text"),
    _F("BI Per Person Limit", "bi_per_person_limit", "currency"),
    _F("BI Per Occurrence Limit", "bi_per_occurrence_limit", "currency"),
    _F("PD Limit", "pd_limit", "currency"),
    _F("UM Per Person Limits", "um_per_person_limits", "currency"),
    _F("UM Per Occurrence Limit", "um_per_occurrence_limit", "currency"),
    _F("Number of Claimants", "number_of_claimants", "int"),
    _F("Claim Set Up Status", "claim_set_up_status", "text"),
    _F("Claim Set Up Assignee", "claim_set_up_assignee", "user"),
    _F("Claim Set Up Start Date", "claim_set_up_start_date", "date"),
    _F("Claim Set Up Close Date", "claim_set_up_close_date", "date"),
    _F("Liability Status", "liability_status", "text"),
    _F("Verify Adjuster Name", "verify_adjuster_name", "text"),
    _F("Verify Request Status", "verify_request_status", "text"),
    _F("Verify Start Datetime", "verify_start_datetime", "datetime"),
    _F("Reporting Carrier", "reporting_carrier", "text"),
    _F("Reporting Policy Number", "reporting_policy_number", "text"),
    _F("Reporting Claim Number", "reporting_claim_number", "text"),
    _F("Request Status", "request_status", "text"),
    _F("UM Stacking", "um_stacking", "text"),
    _F("Customer Close Datetime", "customer_close_datetime", "datetime"),
    _F("Date of Loss", "date_of_loss", "date"),
    _F("Exclude From Reporting", "exclude_from_reporting", "checkbox"),
    _F("Duplicate Request", "duplicate_request", "checkbox"),
    _F("Duplicate/Exclusion Comments", "duplicate_exclusion_comments", "text"),
    _F("Verify Close Datetime", "verify_close_datetime", "datetime"),
    _F("Verify Close Datetime Overide", "verify_close_datetime_override", "datetime"),
    _F("Created Previous Business Day", "created_previous_business_day", "checkbox"),
    _F("Claim Days to Close", "claim_days_to_close", "numeric"),
    _F("Injury Adjuster Name", "injury_adjuster_name", "text"),
    _F("Property Adjuster Name", "property_adjuster_name", "text"),
    _F("Verify Time Open", "verify_time_open", "numeric"),
    _F("Verify Assignee", "verify_assignee", "text"),
    _F("Documentation Status", "documentation_status", "text"),
    _F("Number of Attempts", "number_of_attempts", "int"),
    _F("Number of Attempted Calls", "number_of_attempted_calls", "int"),
    _F("Number of Attempted Emails", "number_of_attempted_emails", "int"),
    _F("Coverage Status", "coverage_status", "text"),
    _F("Coverage", "coverage", "text"),
    _F("Reporting Insured", "reporting_insured", "text"),
)
FIELD_BY_LABEL: dict[str, ReportField] = {f.label: f for f in REPORT_FIELDS}
KEY_LABEL = "Request ID"
EXTRA_FIELDS_COLUMN = "extra_fields"
