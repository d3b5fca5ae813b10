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
from itc_common_utilities.timestamps import TimeWindow

CASE_COLUMNS: tuple[str, ...] = (
    "document_id", "version", "customer_id", "created_at", "sending_firm_name", "primary_contact_name",
    "attorney_name", "case_manager_names", "claim_coverage", "claim_number", "loss_state", "claimant_name",
    "carrier_common_name", "related_insurance_id", "client_id", "matter_id", "matter_tech_id", "matter_name",
)
CASE_KEY: tuple[str, ...] = ("document_id", "version")
_EMPTY: dict[str, Any] = {}


def case_manager_names(value: Any) -> str | None:
    """The case managers' "first last" names, deduplicated in order, joined with ", "."""
    seen: dict[str, None] = {}
    for person in items(value, "caseManagers"):
        name = person_name(person, "caseManagers")
        if name is not None and name not in seen:
            seen[name] = None
    return ", ".join(seen) or None


def build_case(record: Any, window: TimeWindow = DEFAULT_WINDOW) -> tuple[Any, ...]:
    rec = record_object(record)
    firm = obj(rec.get("sendingFirm"), "sendingFirm") or _EMPTY
    claim = obj(rec.get("claimInfo"), "claimInfo") or _EMPTY
    carrier = obj(rec.get("recipientCarrier"), "recipientCarrier") or _EMPTY
    cmm = obj(rec.get("caseManagementMetadata"), "caseManagementMetadata") or _EMPTY
    return (
        ident(rec.get("documentId"), "documentId", required=True),
        integer(rec.get("version"), "version", required=True),
        ident(rec.get("customerId"), "customerId"),
        timestamp(rec.get("createdTs"), "createdTs", window),
        text(firm.get("firmName"), "firmName"),
        person_name(firm.get("primaryContact"), "primaryContact"),
        person_name(firm.get("attorney"), "attorney"),
        case_manager_names(firm.get("caseManagers")),
        text(claim.get("claimCoverage"), "claimCoverage"),
        text(claim.get("claimNumber"), "claimNumber", limit=MAX_ID_CHARS),
        text(claim.get("lossState"), "lossState", limit=MAX_ID_CHARS),
        person_name(claim.get("claimant"), "claimant"),
        text(carrier.get("carrierCommonName"), "carrierCommonName"),
        ident(cmm.get("relatedInsuranceId"), "relatedInsuranceId"),
        ident(cmm.get("clientId"), "clientId"),
        ident(cmm.get("matterId"), "matterId"),
        ident(cmm.get("matterTechId"), "matterTechId"),
        text(cmm.get("matterName"), "matterName"),
    )


def case_record_key(record: Any) -> str | None:
    rec = record_object(record)
    return f"{ident(rec.get('documentId'), 'documentId')}/{integer(rec.get('version'), 'version')}"
