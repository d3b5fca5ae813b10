"""documents-audit (DemandArchived records) -> ``raw.audit``, with the payload's archive reason and
comments (the original never read the payload; absent = NULL, the curated layer shows '')."""

from __future__ import annotations

from typing import Any

from demand_pipeline.builders.values import DEFAULT_WINDOW, MAX_ID_CHARS, ident, obj, record_object, text, timestamp
from itc_common_utilities.timestamps import TimeWindow

AUDIT_COLUMNS: tuple[str, ...] = (
    "audit_record_id", "document_id", "created_at", "action_type", "archive_reason", "archive_comments",
)
AUDIT_KEY: tuple[str, ...] = ("audit_record_id",)
_EMPTY: dict[str, Any] = {}


def build_audit(record: Any, window: TimeWindow = DEFAULT_WINDOW) -> tuple[Any, ...]:
    rec = record_object(record)
    payload = obj(rec.get("payload"), "payload") or _EMPTY
    return (
        ident(rec.get("auditRecordId"), "auditRecordId", required=True),
        ident(rec.get("documentId"), "documentId", required=True),
        timestamp(rec.get("createdTs"), "createdTs", window),
        text(rec.get("actionType"), "actionType", limit=MAX_ID_CHARS),
        text(payload.get("archiveReason"), "archiveReason"),
        text(payload.get("archiveComments"), "archiveComments"),
    )


def audit_record_key(record: Any) -> str | None:
    return ident(record_object(record).get("auditRecordId"), "auditRecordId")
