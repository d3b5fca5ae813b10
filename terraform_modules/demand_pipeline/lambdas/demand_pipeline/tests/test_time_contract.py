"""The Exchange time contract in the builders: seconds, milliseconds and ISO mixed per value, the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from demand_pipeline.builders import (
    AUDIT_COLUMNS,
    CASE_COLUMNS,
    METADATA_COLUMNS,
    build_audit,
    build_case,
    build_metadata,
)
from demand_pipeline.tests.shapes import SHAPES
from itc_common_utilities.loader import RecordRejected
from itc_common_utilities.loader.quarantine import collecting
from itc_common_utilities.timestamps import TimeWindow

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
WINDOW = TimeWindow.default(now=NOW)
LATE_OCTOBER_NY = datetime(2026, 11, 1, 3, 30, tzinfo=UTC)  # 2026-10-31T23:30 New York
S = int(LATE_OCTOBER_NY.timestamp())
HOUR = 3600


def metadata(**changes: Any) -> dict[str, Any]:
    return {"documentId": "doc-1", "documentType": "DEMAND", "createdTs": S, **changes}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("created", [S, S * 1000, str(S), str(S * 1000), "2026-10-31T23:30:00-04:00"])
def test_late_october_31_new_york_is_november_1_utc(shape: str, created: Any) -> None:
    """GIVEN a demand uploaded 2026-10-31 23:30 New York, as epoch seconds, milliseconds or ISO, in every record
    shape WHEN built THEN every time column holds 2026-11-01T03:30Z (the warehouse bills it in October)."""
    case = dict(zip(CASE_COLUMNS, build_case(SHAPES[shape](
        {"documentId": "d", "version": 1, "createdTs": created}), WINDOW), strict=True))
    meta = dict(zip(METADATA_COLUMNS, build_metadata(SHAPES[shape](metadata(
        createdTs=created, documentStatusHistory=[{"documentStatus": "DocumentArchived", "timestamp": created}])),
        WINDOW), strict=True))
    audit = dict(zip(AUDIT_COLUMNS, build_audit(SHAPES[shape](
        {"auditRecordId": "a", "documentId": "d", "createdTs": created}), WINDOW), strict=True))
    assert case["created_at"] == meta["uploaded_at"] == meta["archived_at"] == audit["created_at"] == LATE_OCTOBER_NY


def test_mixed_time_units_are_each_read_by_their_form(
        ) -> None:
    """GIVEN a status history whose entries use seconds, milliseconds, numeric text, DynamoDB N and ISO
    WHEN built THEN first received and last archived are picked across the forms."""
    history = [
        {"documentStatus": "DocumentReceived", "timestamp": (S + 2 * HOUR) * 1000},       # ms
        {"documentStatus": "DocumentReceived", "timestamp": S + HOUR},                    # s: the first
        {"documentStatus": "DocumentArchived", "timestamp": {"N": str(S + 5 * HOUR)}},    # DynamoDB s: the last
        {"documentStatus": "DocumentArchived", "timestamp": "2026-11-01T06:30:00Z"},      # ISO (S + 3 h)
        {"documentStatus": "DocumentArchived", "timestamp": str((S + 4 * HOUR) * 1000)},  # ms as text
    ]
    row = dict(zip(METADATA_COLUMNS, build_metadata(metadata(documentStatusHistory=history), WINDOW), strict=True))
    assert row["received_at"] == LATE_OCTOBER_NY + timedelta(hours=1)
    assert row["archived_at"] == LATE_OCTOBER_NY + timedelta(hours=5)
    assert [h["timestamp"] for h in row["status_history"]] == [
        (LATE_OCTOBER_NY + timedelta(hours=h)).isoformat() for h in (2, 1, 5, 3, 4)]


@pytest.mark.parametrize(("field", "record"), [
    ("createdTs", metadata(createdTs=1730412)),
    ("createdTs", metadata(createdTs=-1)),
    ("createdTs", metadata(createdTs={"N": "1730412000000000"})),  # microseconds
    ("documentStatusHistory.timestamp", metadata(documentStatusHistory=[
        {"documentStatus": "DocumentArchived", "timestamp": int((NOW + timedelta(days=2)).timestamp())}])),
])
def test_given_an_implausible_time_when_built_then_it_is_not_billed(field: str, record: dict[str, Any]) -> None:
    """GIVEN a 1970, negative, microsecond or beyond-now+1-day time WHEN built THEN implausible_timestamp: an
    upload time rejects the record; an archive entry is dropped from the history and noted as a unit at
    risk, the record (and its upload) kept."""
    with collecting() as notes:
        try:
            row = dict(zip(METADATA_COLUMNS, build_metadata(record, WINDOW), strict=True))
        except RecordRejected as rejected:
            problem: Any = rejected
            assert field == "createdTs", "only the upload time rejects the record"
            assert (rejected.reason_code, rejected.field) == ("implausible_timestamp", field)
        else:
            (problem,) = notes
            assert (problem.reason, problem.field, problem.unit_at_risk) == (
                "implausible_timestamp", field, "demand_archived")
            assert row["archived_at"] is None and row["status_history"] == []
    assert problem.detail.endswith("is outside the plausible window 2015-01-01T00:00:00Z .. 2026-12-02T12:00:00Z")


def test_given_1730412_seconds_when_built_then_the_message_says_how_it_was_read() -> None:
    """GIVEN a document version created at 1730412 (1970 as seconds) WHEN built THEN the time (which decides
    no bill) is stored as NULL and the note says how it was read."""
    with collecting() as notes:
        build_case({"documentId": "d", "version": 1, "createdTs": 1730412}, WINDOW)
    (note,) = notes
    assert note.detail == ("createdTs read as epoch seconds = 1970-01-21T00:40:12Z is outside the plausible "
                           "window 2015-01-01T00:00:00Z .. 2026-12-02T12:00:00Z")
    assert note.value == 1730412


def test_given_no_window_when_built_then_the_default_window_still_refuses_1970() -> None:
    """GIVEN no window WHEN an audit time of 1970 is built THEN the default window refuses it (noted)."""
    with collecting() as notes:
        assert build_audit({"auditRecordId": "a", "documentId": "d", "createdTs": 1730412})[2] is None
    assert [n.reason for n in notes] == ["implausible_timestamp"]
