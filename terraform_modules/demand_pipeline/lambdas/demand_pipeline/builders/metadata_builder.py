"""documents-metadata (one row per document) -> ``raw.metadata``.

uploaded_at = ``createdTs``; received_at = the earliest ``DocumentReceived`` time; archived_at = the
latest ``DocumentArchived`` time (by timestamp, whatever the list order); the status history is kept
as JSON ``[{"documentStatus", "timestamp"}]`` with ISO 8601 UTC timestamps, in source order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from demand_pipeline.builders.values import (
    DEFAULT_WINDOW,
    MAX_ID_CHARS,
    boolean,
    ident,
    items,
    obj,
    record_object,
    text,
    timestamp,
)
from itc_common_utilities.timestamps import TimeWindow

METADATA_COLUMNS: tuple[str, ...] = (
    "document_id", "document_type", "uploaded_at", "demand_is_deliverable", "demand_template_id",
    "received_at", "archived_at", "status_history",
)
METADATA_KEY: tuple[str, ...] = ("document_id",)
RECEIVED = "DocumentReceived"
ARCHIVED = "DocumentArchived"
_HISTORY = "documentStatusHistory"
_HISTORY_TS = f"{_HISTORY}.timestamp"


def status_history(value: Any, window: TimeWindow = DEFAULT_WINDOW,
                   ) -> tuple[list[dict[str, Any]] | None, datetime | None, datetime | None]:
    """(history as JSON, first received time, last archived time)."""
    entries = items(value, _HISTORY)
    history: list[dict[str, Any]] = []
    received: datetime | None = None
    archived: datetime | None = None
    for entry in entries:
        item = obj(entry, _HISTORY)
        if item is None:
            continue
        status = text(item.get("documentStatus"), f"{_HISTORY}.documentStatus", limit=MAX_ID_CHARS)
        when = timestamp(item.get("timestamp"), _HISTORY_TS, window)
        history.append({"documentStatus": status, "timestamp": when.isoformat() if when else None})
        if when is None:
            continue
        if status == RECEIVED and (received is None or when < received):
            received = when
        elif status == ARCHIVED and (archived is None or when > archived):
            archived = when
    return (history if entries else None), received, archived


def build_metadata(record: Any, window: TimeWindow = DEFAULT_WINDOW) -> tuple[Any, ...]:
    rec = record_object(record)
    history, received, archived = status_history(rec.get(_HISTORY), window)
    return (
        ident(rec.get("documentId"), "documentId", required=True),
        text(rec.get("documentType"), "documentType", limit=MAX_ID_CHARS),
        timestamp(rec.get("createdTs"), "createdTs", window),
        boolean(rec.get("demandIsDeliverable"), "demandIsDeliverable"),
        ident(rec.get("demandTemplateId"), "demandTemplateId"),  # "" = no template
        received,
        archived,
        history,
    )


def metadata_record_key(record: Any) -> str | None:
    return ident(record_object(record).get("documentId"), "documentId")
