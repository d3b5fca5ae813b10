"""The Verify+ typed transform (pure builder) and its column mapping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from itc_common_utilities.billing import is_billing_critical
from itc_common_utilities.loader import RecordRejected
from itc_common_utilities.loader.quarantine import FieldNote, collecting
from itc_common_utilities.timestamps import TimeWindow
from verifyplus_pipeline.builders import COLUMNS, MAX_TEXT_CHARS, build_row, record_key
from verifyplus_pipeline.fields import REPORT_FIELDS, snake_case


def _record(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {f.label: "" for f in REPORT_FIELDS}
    record.update({
        "Request ID": 123456,
        "Request Created Datetime": "2026-10-31T23:30:00Z",
        "Firm Name": "O'Connor & Baker LLP",
        "BI Per Person Limit": "$25,000.00",
        "BI Per Occurrence Limit": 50000,
        "PD Limit": 25000.5,
        "Number of Claimants": 2,
        "Claim Days to Close": 3.5,
        "Date of Loss": "2026-01-15",
        "Exclude From Reporting": False,
        "Duplicate Request": True,
        "Claim Set Up Assignee": {"id": "1.ab", "email": "a@b.example", "name": "Zoë", "userName": "zoe"},
        "Verify Close Datetime Overide": "2026-11-01T08:00:00-05:00",
    })
    record.update({k.replace("_", " "): v for k, v in changes.items()})
    return record


CRITICAL_LABELS = {"Request ID", "Request Created Datetime", "Firm Name", "Duplicate Request", "Exclude From Reporting"}


def _row(record: dict[str, Any]) -> dict[str, Any]:
    return dict(zip(COLUMNS, build_row(record), strict=True))


def test_given_the_field_catalogue_then_every_column_is_the_snake_case_of_its_label():
    assert len(REPORT_FIELDS) == 46
    assert all(snake_case(f.label) == f.column for f in REPORT_FIELDS)
    assert snake_case("Verify Close Datetime Overide") == "verify_close_datetime_override"
    assert COLUMNS[-1] == "extra_fields"


def test_builder_columns_match_raw_verifyplus(db):
    """GIVEN raw Verify+ tables in PostgreSQL
    WHEN the builder's columns are compared with them
    THEN they are exactly its data columns."""
    with db.cursor() as cur:
        cur.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' "
                    "AND table_name = 'verifyplus' AND column_name NOT LIKE '\\_%' ORDER BY ordinal_position")
        assert tuple(r[0] for r in cur.fetchall()) == COLUMNS


def test_typical_record_is_typed_and_empty_text_null():
    """GIVEN a typical record
    WHEN built
    THEN values are typed and empty text is null."""
    row = _row(_record())
    assert row["request_id"] == 123456
    assert row["request_created_datetime"] == datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    assert row["verify_close_datetime_override"].utcoffset() == timedelta(hours=-5)
    assert row["bi_per_person_limit"] == Decimal("25000.00")
    assert row["bi_per_occurrence_limit"] == Decimal("50000.00")
    assert row["pd_limit"] == Decimal("25000.50")
    assert row["number_of_claimants"] == 2 and row["claim_days_to_close"] == Decimal("3.5")
    assert row["date_of_loss"] == date(2026, 1, 15)
    assert row["duplicate_request"] is True and row["exclude_from_reporting"] is False
    assert row["claim_set_up_assignee"] == '{"id":"1.ab","email":"a@b.example","name":"Zoë","userName":"zoe"}'
    assert row["client_names"] is None and row["um_per_person_limits"] is None
    assert row["created_previous_business_day"] is None
    assert row["extra_fields"] == "{}"


@pytest.mark.parametrize("text, expected", [
    ("$25,000.00", "25000.00"), ("25000", "25000.00"), ("$1,000,000", "1000000.00"), ("-$1,200.50", "-1200.50"),
    ("($300.00)", "-300.00"), (" $ 15,000.00 ", "15000.00"), (0, "0.00"),
])
def test_given_currency_text_or_number_when_built_then_it_is_a_decimal(text, expected):
    assert _row(_record(**{"PD Limit": text}))["pd_limit"] == Decimal(expected)


def _rejected(**changes: Any) -> RecordRejected:
    with pytest.raises(RecordRejected) as info:
        build_row(_record(**changes))
    return info.value


def _problem(label: str, value: Any, window: TimeWindow | None = None) -> RecordRejected | FieldNote:
    """What a bad value costs: the record (RecordRejected) for a billing-critical field, else the field
    (the row loads with the column NULL, and one note says why)."""
    extra = (window,) if window else ()
    if is_billing_critical("raw.verifyplus", label):
        with pytest.raises(RecordRejected) as info:
            build_row(_record(**{label: value}), *extra)
        return info.value
    with collecting() as notes:
        row = dict(zip(COLUMNS, build_row(_record(**{label: value}), *extra), strict=True))
    column = next(f.column for f in REPORT_FIELDS if f.label == label)
    assert row[column] is None, f"{label}: a quarantined value is stored as NULL"
    assert len(notes) == 1
    return notes[0]


@pytest.mark.parametrize("label, value, reason", [
    ("Request ID", None, "missing_key"),
    ("Request ID", "", "missing_key"),
    ("Request ID", "VP-12", "bad_request_id"),
    ("Request ID", 12.5, "bad_request_id"),
    ("Request ID", True, "bad_request_id"),
    ("Request ID", -4, "bad_request_id"),
    ("BI Per Person Limit", "$25,0O0.00", "bad_currency"),
    ("BI Per Person Limit", "N/A", "bad_currency"),
    ("BI Per Person Limit", "$1,00", "bad_currency"),
    ("BI Per Person Limit", 12.345, "bad_currency"),
    ("BI Per Person Limit", 1e13, "bad_currency"),
    ("Date of Loss", "2026-02-30", "bad_date"),
    ("Date of Loss", "10/31/2026", "bad_date"),
    ("Date of Loss", "0202-01-01", "implausible_timestamp"),
    ("Request Created Datetime", "yesterday", "bad_timestamp"),
    ("Request Created Datetime", "2026-10-31T12:00:00", "bad_timestamp"),
    ("Request Created Datetime", "2026-10-31T25:00:00Z", "bad_timestamp"),
    ("Number of Claimants", "three", "bad_number"),
    ("Number of Claimants", 2.5, "bad_number"),
    ("Number of Claimants", 2**40, "bad_number"),
    ("Verify Time Open", [1], "bad_number"),
    ("Duplicate Request", "yes", "bad_type"),
    ("Duplicate Request", 1, "bad_type"),
    ("Firm Name", {"name": "x"}, "bad_type"),
    ("Claim Set Up Assignee", 42, "bad_type"),
    ("Client Names", "Ann\x00Lee", "nul_byte"),
    ("Claim Set Up Assignee", {"name": "A\x00"}, "nul_byte"),
    ("Coverage", "x" * (MAX_TEXT_CHARS + 1), "too_long"),
])
def test_bad_value_rejects_when_billing_critical_else_is_nulled(label, value, reason):
    """GIVEN one malformed value WHEN the record is built THEN, in a billing-critical field (the key, created
    time, firm, duplicate/exclusion flags) the record is rejected; in any other field the column is NULL and
    one note is made; either way with the reason and the field, never the value, in the detail."""
    problem = _problem(label, value)
    assert isinstance(problem, RecordRejected) == (label in CRITICAL_LABELS)
    assert (problem.reason_code if isinstance(problem, RecordRejected) else problem.reason) == reason
    assert problem.field == label
    assert label in problem.detail
    if isinstance(value, str) and len(value) < 50 and value:
        assert value not in problem.detail  # the value goes in .value (redacted when PHI), never in the text


def test_given_a_record_that_is_not_an_object_when_built_then_bad_type():
    with pytest.raises(RecordRejected) as info:
        build_row(["not", "a", "record"])
    assert info.value.reason_code == "bad_type"


def test_given_hostile_text_when_built_then_it_is_kept_verbatim():
    hostile = "'; DROP TABLE raw.verifyplus; -- \\N\t\n🙂 \u202eabc\u202c   "
    row = _row(_record(**{"Client Names": hostile, "Reporting Insured": "NULL"}))
    assert row["client_names"] == hostile
    assert row["reporting_insured"] == "NULL"


def test_unknown_label_lands_in_extra_fields():
    """GIVEN a label the warehouse does not know
    WHEN built
    THEN it lands in extra fields."""
    record = _record()
    record["Verify Priority"] = "High"
    record["Escalation Count"] = 3
    assert _row(record)["extra_fields"] == '{"Verify Priority":"High","Escalation Count":3}'


def test_given_record_keys_when_asked_then_the_request_id_is_used_or_none():
    assert record_key({"Request ID": 99}) == "99"
    assert record_key({"Request ID": "VP-1"}) == "VP-1"
    assert record_key({"Request ID": None}) is None
    assert record_key("nope") is None


def test_given_an_offset_in_new_york_when_built_then_the_instant_is_preserved():
    row = _row(_record(**{"Request Created Datetime": "2026-10-31T23:30:00-04:00"}))
    assert row["request_created_datetime"] == datetime(2026, 11, 1, 3, 30, tzinfo=UTC)
    assert row["request_created_datetime"].tzinfo == timezone(timedelta(hours=-4))


WINDOW = TimeWindow.default(now=datetime(2026, 12, 1, 12, 0, tzinfo=UTC))  # 2015-01-01 .. 2026-12-02T12:00Z


@pytest.mark.parametrize("label, value, shown", [
    ("Request Created Datetime", "2014-12-31T23:59:59Z", "2014-12-31T23:59:59Z"),
    ("Request Created Datetime", "2026-12-02T08:00:01-04:00", "2026-12-02T12:00:01Z"),
    ("Verify Close Datetime", "2099-01-01T00:00:00Z", "2099-01-01T00:00:00Z"),
])
def test_datetime_outside_window_is_implausible(label, value, shown):
    """GIVEN a Verify+ datetime before 2015 or after now + 1 day WHEN built THEN implausible_timestamp: the
    created time rejects the record (not billed), another datetime is stored as NULL and noted."""
    problem = _problem(label, value, WINDOW)
    reason = problem.reason_code if isinstance(problem, RecordRejected) else problem.reason
    assert (reason, problem.field, problem.value) == ("implausible_timestamp", label, value)
    assert isinstance(problem, RecordRejected) == (label == "Request Created Datetime")
    assert problem.detail == (f"{label} read as ISO 8601 = {shown} is outside the plausible window "
                              "2015-01-01T00:00:00Z .. 2026-12-02T12:00:00Z")


def test_given_a_datetime_at_the_window_end_when_built_then_it_is_kept():
    row = dict(zip(COLUMNS, build_row(_record(**{"Request Created Datetime": "2026-12-02T12:00:00Z"}), WINDOW),
                   strict=True))
    assert row["request_created_datetime"] == datetime(2026, 12, 2, 12, tzinfo=UTC)


def test_old_dates_of_loss_kept_and_a_future_one_nulled_unshown():
    """GIVEN a date of loss in 2012 (plausible) and one after the window's end WHEN built THEN the first loads,
    the second is stored as NULL and noted implausible_timestamp with a message that does not show the date
    (a date of loss is PHI); the record loads."""
    row = dict(zip(COLUMNS, build_row(_record(**{"Date of Loss": "2012-03-04"}), WINDOW), strict=True))
    assert row["date_of_loss"] == date(2012, 3, 4)
    problem = _problem("Date of Loss", "2026-12-25", WINDOW)
    assert isinstance(problem, FieldNote) and problem.reason == "implausible_timestamp"
    assert problem.detail == ("Date of Loss: the date is after the window's end 2026-12-02 "
                              "(plausible dates: 1900-01-01 .. 2026-12-02)")
    assert "12-25" not in problem.detail
