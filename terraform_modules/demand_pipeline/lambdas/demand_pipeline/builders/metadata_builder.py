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
from itc_common_utilities.loader.quarantine import kept, note
from itc_common_utilities.loader.spec import RecordRejected
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
_T = "raw.metadata"
ARCHIVED_UNIT = "demand_archived"  # the billable unit a DocumentArchived entry decides


def status_history(value: Any, window: TimeWindow = DEFAULT_WINDOW,
                   ) -> tuple[list[dict[str, Any]] | None, datetime | None, datetime | None]:
    """(history as JSON, first received time, last archived time).

    The history is billing-critical entry by entry: an entry that cannot be read (not an object, a bad
    status, a bad or implausible time) is dropped from the billed history and noted
    (:func:`~itc_common_utilities.loader.quarantine.note`), the rest kept; a dropped ``DocumentArchived``
    entry is noted as a unit at risk (``demand_archived``), the upload stays billed. A history that is
    not a list is dropped whole, the same way."""
    try:
        entries = items(value, _HISTORY)
    except RecordRejected as rejected:
        note(rejected, _HISTORY, unit_at_risk=ARCHIVED_UNIT)
        return None, None, None
    history: list[dict[str, Any]] = []
    received: datetime | None = None
    archived: datetime | None = None
    for entry in entries:
        status: str | None = None
        try:
            item = obj(entry, _HISTORY)
            if item is None:
                continue
            status = text(item.get("documentStatus"), f"{_HISTORY}.documentStatus", limit=MAX_ID_CHARS)
            when = timestamp(item.get("timestamp"), _HISTORY_TS, window)
        except RecordRejected as rejected:
            note(rejected, _HISTORY, unit_at_risk=ARCHIVED_UNIT if status in (ARCHIVED, None) else None)
            continue
        history.append({"documentStatus": status, "timestamp": when.isoformat() if when else None})
        if when is None:
            continue
        if status == RECEIVED and (received is None or when < received):
            received = when
        elif status == ARCHIVED and (archived is None or when > archived):
            archived = when
    return (history if entries else None), received, archived


def build_metadata(record: Any, window: TimeWindow = DEFAULT_WINDOW) -> tuple[Any, ...]:
    """One document's metadata -> one ``raw.metadata`` row. The key, the upload time and the template id are
    billing-critical (a bad value rejects the record); the status history is read entry by entry
    (:func:`status_history`); any other bad value is stored as NULL and noted."""
    rec = record_object(record)
    history, received, archived = status_history(rec.get(_HISTORY), window)
    return (
        ident(rec.get("documentId"), "documentId", required=True),
        kept(_T, "documentType", text, rec.get("documentType"), "documentType", limit=MAX_ID_CHARS),
        timestamp(rec.get("createdTs"), "createdTs", window),
        kept(_T, "demandIsDeliverable", boolean, rec.get("demandIsDeliverable"), "demandIsDeliverable"),
        ident(rec.get("demandTemplateId"), "demandTemplateId"),  # "" = no template
        received,
        archived,
        history,
    )


def metadata_record_key(record: Any) -> str | None:
    return ident(record_object(record).get("documentId"), "documentId")
