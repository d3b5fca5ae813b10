"""documents (one row per document version) -> ``raw.cases``."""

from __future__ import annotations

from typing import Any

from demand_pipeline.builders.values import (
    DEFAULT_WINDOW,
    MAX_ID_CHARS,
    ident,
    integer,
    items,
    obj,
    person_name,
    record_object,
    text,
    timestamp,
)
from itc_common_utilities.loader.quarantine import kept
from itc_common_utilities.timestamps import TimeWindow

CASE_COLUMNS: tuple[str, ...] = (
    "document_id", "version", "customer_id", "created_at", "sending_firm_name", "primary_contact_name",
    "attorney_name", "case_manager_names", "claim_coverage", "claim_number", "loss_state", "claimant_name",
    "carrier_common_name", "related_insurance_id", "client_id", "matter_id", "matter_tech_id", "matter_name",
)
CASE_KEY: tuple[str, ...] = ("document_id", "version")
_EMPTY: dict[str, Any] = {}
_T = "raw.cases"


def case_manager_names(value: Any) -> str | None:
    """The case managers' "first last" names, deduplicated in order, joined with ", "."""
    seen: dict[str, None] = {}
    for person in items(value, "caseManagers"):
        name = person_name(person, "caseManagers")
        if name is not None and name not in seen:
            seen[name] = None
    return ", ".join(seen) or None


def build_case(record: Any, window: TimeWindow = DEFAULT_WINDOW) -> tuple[Any, ...]:
    """One document version -> one ``raw.cases`` row. A bad value in a billing-critical field (the key, the
    customer id, the firm name: :mod:`itc_common_utilities.billing`) rejects the record; any other bad
    value is stored as NULL and noted (:func:`~itc_common_utilities.loader.quarantine.kept`)."""
    rec = record_object(record)
    firm = obj(rec.get("sendingFirm"), "sendingFirm") or _EMPTY
    claim = kept(_T, "claimInfo", obj, rec.get("claimInfo"), "claimInfo") or _EMPTY
    carrier = kept(_T, "recipientCarrier", obj, rec.get("recipientCarrier"), "recipientCarrier") or _EMPTY
    cmm = kept(_T, "caseManagementMetadata", obj, rec.get("caseManagementMetadata"), "caseManagementMetadata") or _EMPTY
    return (
        ident(rec.get("documentId"), "documentId", required=True),
        integer(rec.get("version"), "version", required=True),
        ident(rec.get("customerId"), "customerId"),
        kept(_T, "createdTs", timestamp, rec.get("createdTs"), "createdTs", window),
        text(firm.get("firmName"), "firmName"),
        kept(_T, "primaryContact", person_name, firm.get("primaryContact"), "primaryContact"),
        kept(_T, "attorney", person_name, firm.get("attorney"), "attorney"),
        kept(_T, "caseManagers", case_manager_names, firm.get("caseManagers")),
        kept(_T, "claimCoverage", text, claim.get("claimCoverage"), "claimCoverage"),
        kept(_T, "claimNumber", text, claim.get("claimNumber"), "claimNumber", limit=MAX_ID_CHARS),
        kept(_T, "lossState", text, claim.get("lossState"), "lossState", limit=MAX_ID_CHARS),
        kept(_T, "claimant", person_name, claim.get("claimant"), "claimant"),
        kept(_T, "carrierCommonName", text, carrier.get("carrierCommonName"), "carrierCommonName"),
        kept(_T, "relatedInsuranceId", ident, cmm.get("relatedInsuranceId"), "relatedInsuranceId"),
        kept(_T, "clientId", ident, cmm.get("clientId"), "clientId"),
        kept(_T, "matterId", ident, cmm.get("matterId"), "matterId"),
        kept(_T, "matterTechId", ident, cmm.get("matterTechId"), "matterTechId"),
        kept(_T, "matterName", text, cmm.get("matterName"), "matterName"),
    )


def case_record_key(record: Any) -> str | None:
    rec = record_object(record)
    return f"{ident(rec.get('documentId'), 'documentId')}/{integer(rec.get('version'), 'version')}"
