"""documents-audit (DemandArchived records) -> ``raw.audit``, with the payload's archive reason and
comments (the original never read the payload; absent = NULL, the curated layer shows '')."""

from __future__ import annotations

from typing import Any

from demand_pipeline.builders.values import DEFAULT_WINDOW, MAX_ID_CHARS, ident, obj, record_object, text, timestamp
from itc_common_utilities.loader.quarantine import kept
from itc_common_utilities.timestamps import TimeWindow

AUDIT_COLUMNS: tuple[str, ...] = (
    "audit_record_id", "document_id", "created_at", "action_type", "archive_reason", "archive_comments",
)
AUDIT_KEY: tuple[str, ...] = ("audit_record_id",)
_EMPTY: dict[str, Any] = {}
_T = "raw.audit"


def build_audit(record: Any, window: TimeWindow = DEFAULT_WINDOW) -> tuple[Any, ...]:
    """One audit record -> one ``raw.audit`` row; only its keys are billing-critical, any other bad value is
    stored as NULL and noted."""
    rec = record_object(record)
    payload = kept(_T, "payload", obj, rec.get("payload"), "payload") or _EMPTY
    return (
        ident(rec.get("auditRecordId"), "auditRecordId", required=True),
        ident(rec.get("documentId"), "documentId", required=True),
        kept(_T, "createdTs", timestamp, rec.get("createdTs"), "createdTs", window),
        kept(_T, "actionType", text, rec.get("actionType"), "actionType", limit=MAX_ID_CHARS),
        kept(_T, "archiveReason", text, payload.get("archiveReason"), "archiveReason"),
        kept(_T, "archiveComments", text, payload.get("archiveComments"), "archiveComments"),
    )


def audit_record_key(record: Any) -> str | None:
    return ident(record_object(record).get("auditRecordId"), "auditRecordId")
