"""The types and helpers the two forms of the demand fast path share: :mod:`.fast` (plain JSON) and
:mod:`.fast_typed` (DynamoDB's typed form) both import them from here, so neither imports the other's
internals: the msgspec value types with the builders' limits (:mod:`.values`), the person-name rule
and the status-history milestones, restated from the builders for the common case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import Meta

from demand_pipeline.builders.metadata_builder import ARCHIVED, RECEIVED
from demand_pipeline.builders.values import INT32_MAX, MAX_ID_CHARS, MAX_TEXT_CHARS

Text = Annotated[str, Meta(max_length=MAX_TEXT_CHARS)]
Code = Annotated[str, Meta(max_length=MAX_ID_CHARS)]       # text limited like an identifier
Int64 = Annotated[int, Meta(ge=-(2**63), le=2**63 - 1)]   # msgspec bounds; orjson reads up to 2**64 - 1 as int
Ident = Code | Int64
INT32_BOUNDS = (-INT32_MAX - 1, INT32_MAX)
Int32 = Annotated[int, Meta(ge=INT32_BOUNDS[0], le=INT32_BOUNDS[1])]
Time = Int64 | float | str


def full_name(first: str | None, last: str | None) -> str | None:
    """``person_name``'s rule: "first last", stripped, empty parts dropped; None if both are empty."""
    first = first.strip() if first else ""
    last = last.strip() if last else ""
    if first and last:
        return f"{first} {last}"
    return first or last or None


def milestones(history: list[dict[str, str | None]]) -> tuple[str | None, str | None]:
    """(first DocumentReceived, last DocumentArchived) time of a built history, as ``status_history`` picks
    them (by time, whatever the order; the first of equal times)."""
    received = archived = None
    for item in history:
        stamp = item["timestamp"]
        if stamp is None:
            continue
        status = item["documentStatus"]
        if status == RECEIVED:
            if received is None or before(stamp, received):
                received = stamp
        elif status == ARCHIVED and (archived is None or before(archived, stamp)):
            archived = stamp
    return received, archived


def before(a: str, b: str) -> bool:
    """ISO texts of one zone compare like the times they name when both have fractions or neither does."""
    if len(a) != len(b):  # one with fractions of a second: compare the times, not the texts
        return datetime.fromisoformat(a) < datetime.fromisoformat(b)
    return a < b
