"""The time contract (itc_common_utilities.timestamps): forms, the seconds/milliseconds threshold, the window."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from itc_common_utilities.loader import RecordRejected
from itc_common_utilities.settings import SettingsError, TimeWindowSettings, load_settings
from itc_common_utilities.timestamps import MS_THRESHOLD, TimeWindow, load_time_window, source_time

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
WINDOW = TimeWindow.default(now=NOW)  # 2015-01-01T00:00:00Z .. 2026-12-02T12:00:00Z
LATE_OCTOBER_NY = datetime(2026, 11, 1, 3, 30, tzinfo=UTC)  # 2026-10-31T23:30 New York (EDT, -04:00)
S = 1793503800  # LATE_OCTOBER_NY in epoch seconds


def rejected(value: object, field: str = "createdTs", window: TimeWindow = WINDOW) -> RecordRejected:
    with pytest.raises(RecordRejected) as info:
        source_time(value, field, window)
    return info.value


def test_the_fixture_constants_agree() -> None:
    """GIVEN the fixture's epoch seconds S WHEN read as a UTC instant THEN it is LATE_OCTOBER_NY."""
    assert datetime.fromtimestamp(S, UTC) == LATE_OCTOBER_NY


@pytest.mark.parametrize("value", [
    S, S * 1000, S * 1000 + 0, float(S), str(S), f" {S} ", str(S * 1000), f"{S}.0", f"{S * 1000}.0",
    "2026-10-31T23:30:00-04:00", "2026-11-01T03:30:00Z", "2026-11-01T03:30:00+00:00", " 2026-11-01T03:30:00.000Z ",
])
def test_given_seconds_milliseconds_or_zoned_iso_when_read_then_the_same_utc_time(value: object) -> None:
    """GIVEN one instant written in every accepted form WHEN read THEN each gives the same aware UTC time."""
    assert source_time(value, "createdTs", WINDOW) == LATE_OCTOBER_NY


def test_given_fractions_when_read_then_they_are_kept() -> None:
    assert source_time(S * 1000 + 123, "t", WINDOW) == LATE_OCTOBER_NY + timedelta(milliseconds=123)
    assert source_time(S + 0.5, "t", WINDOW) == LATE_OCTOBER_NY + timedelta(milliseconds=500)
    assert source_time(f"{S}.25", "t", WINDOW) == LATE_OCTOBER_NY + timedelta(milliseconds=250)


def test_given_empty_values_when_read_then_none() -> None:
    assert source_time(None, "t", WINDOW) is None
    assert source_time("", "t", WINDOW) is None


def test_the_threshold_separates_the_units_with_no_plausible_overlap() -> None:
    """GIVEN the seconds/milliseconds threshold MS_THRESHOLD (1e11)
    WHEN a value just under it and one at it are built
    THEN the first is read as seconds (year 5138) and the second as milliseconds (1973-03-03), both rejected:
    far outside any window."""
    assert datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=MS_THRESHOLD) > datetime(5138, 1, 1, tzinfo=UTC)
    assert datetime.fromtimestamp(MS_THRESHOLD / 1000, UTC).date() == date(1973, 3, 3)
    assert rejected(MS_THRESHOLD - 1).detail.startswith("createdTs read as epoch seconds = 5138-")
    assert rejected(MS_THRESHOLD).detail.startswith("createdTs read as epoch milliseconds = 1973-03-03T")


@pytest.mark.parametrize(("value", "reading"), [
    (1730412, "read as epoch seconds = 1970-01-21T00:40:12Z"),          # a wrong unit: lands in 1970
    (-5, "read as epoch seconds = 1969-12-31T23:59:55Z"),               # negative
    ("-1730412000", "read as epoch seconds = 1915-03-03T02:00:00Z"),    # negative as text
    (S * 1_000_000, "read as epoch milliseconds = a time beyond the years 1..9999"),  # microseconds
    ("9999-12-31T00:00:00Z", "read as ISO 8601 = 9999-12-31T00:00:00Z"),
    ("2014-12-31T23:59:59Z", "read as ISO 8601 = 2014-12-31T23:59:59Z"),
])
def test_time_outside_window_is_implausible_naming_window(
        value: object, reading: str) -> None:
    """GIVEN a time that cannot be a real Exchange time WHEN read THEN implausible_timestamp, and the message
    names the field, how the value was read and the window (the value itself is kept apart, in .value)."""
    exc = rejected(value)
    assert exc.reason_code == "implausible_timestamp"
    assert exc.field == "createdTs"
    assert str(exc.value) == str(value)  # kept for ops.rejected_records.offending_value
    assert exc.detail == (f"createdTs {reading} is outside the plausible window "
                          "2015-01-01T00:00:00Z .. 2026-12-02T12:00:00Z")


def test_time_after_now_plus_one_day_is_implausible() -> None:
    """GIVEN a time just after now + one day WHEN read THEN it is implausible, and a time just inside is kept."""
    latest = NOW + timedelta(days=1)
    assert source_time(int(latest.timestamp()), "t", WINDOW) == latest
    assert source_time(int(latest.timestamp()) * 1000, "t", WINDOW) == latest
    for value in (int(latest.timestamp()) + 1, int(latest.timestamp()) * 1000 + 1, "2026-12-02T12:00:01Z"):
        assert rejected(value).reason_code == "implausible_timestamp"


@pytest.mark.parametrize(("value", "problem"), [
    ("yesterday", "is neither an epoch number (seconds or milliseconds) nor ISO 8601 text"),
    ("2026-10-31", "is a date without a time"),
    ("1_793_503_800", "is neither an epoch number"),
    (float("nan"), "is not a finite number"),
    (float("inf"), "is not a finite number"),
    (True, "must be an epoch number or ISO 8601 text, got bool"),
    ([S], "must be an epoch number or ISO 8601 text, got list"),
])
def test_value_not_a_time_is_bad_timestamp_naming_problem(
        value: object, problem: str) -> None:
    """GIVEN a value that is not a time WHEN read THEN bad_timestamp, the detail naming the problem."""
    exc = rejected(value)
    assert exc.reason_code == "bad_timestamp"
    assert exc.detail.startswith(f"createdTs {problem}")


def test_given_a_window_from_settings_then_its_bounds_follow_the_variables() -> None:
    window = load_time_window(environ={"ITC_TIME_WINDOW_START": "2020-06-01", "ITC_TIME_WINDOW_FUTURE_DAYS": "0"},
                              now=NOW)
    assert window == TimeWindow(datetime(2020, 6, 1, tzinfo=UTC), NOW)
    assert load_time_window(environ={}, now=NOW) == WINDOW
    assert load_time_window({"start": "2016-01-01T05:00:00Z", "future_days": 2}, environ={}, now=NOW) == TimeWindow(
        datetime(2016, 1, 1, 5, tzinfo=UTC), NOW + timedelta(days=2))
    assert rejected(int(datetime(2020, 5, 31, tzinfo=UTC).timestamp()), window=window).reason_code == (
        "implausible_timestamp")


@pytest.mark.parametrize(("environ", "message"), [
    ({"ITC_TIME_WINDOW_START": "2015-13-01"},
     "ITC_TIME_WINDOW_START='2015-13-01' is not valid: expected an ISO 8601 date such as 2015-01-01"),
    ({"ITC_TIME_WINDOW_START": "2015-01-01T00:00:00"},
     "ITC_TIME_WINDOW_START='2015-01-01T00:00:00' is not valid: a time needs a zone"),
    ({"ITC_TIME_WINDOW_START": "2999-01-01"},
     "ITC_TIME_WINDOW_START='2999-01-01' is not in the past: every time would be rejected"),
    ({"ITC_TIME_WINDOW_FUTURE_DAYS": "-1"}, "ITC_TIME_WINDOW_FUTURE_DAYS='-1' is not valid: expected a whole number"),
    ({"ITC_TIME_WINDOW_FUTURE_DAYS": "one"}, "ITC_TIME_WINDOW_FUTURE_DAYS='one' is not valid"),
    ({"ITC_TIME_WINDOW_FUTURE_DAYS": "4000"},
     "ITC_TIME_WINDOW_FUTURE_DAYS=4000 must be a whole number of days from 0 to 3660"),
])
def test_given_a_bad_window_variable_when_settings_load_then_the_error_names_it(
        environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(TimeWindowSettings, environ=environ)
    assert str(info.value).startswith(message)


def test_given_a_window_built_by_hand_then_it_must_be_zoned_and_ordered() -> None:
    with pytest.raises(ValueError, match="time zone"):
        TimeWindow(datetime(2015, 1, 1), NOW)
    with pytest.raises(ValueError, match="must end after it starts"):
        TimeWindow(NOW, datetime(2015, 1, 1, tzinfo=UTC))


def test_given_dates_then_the_window_caps_them_above_and_a_wide_floor_below() -> None:
    floor = date(1900, 1, 1)
    assert WINDOW.check_date(date(2012, 5, 1), "Date of Loss", floor=floor) == date(2012, 5, 1)
    with pytest.raises(RecordRejected) as info:
        WINDOW.check_date(date(2027, 1, 1), "Date of Loss", floor=floor)
    assert (info.value.reason_code, info.value.detail) == (
        "implausible_timestamp",
        "Date of Loss: the date is after the window's end 2026-12-02 (plausible dates: 1900-01-01 .. 2026-12-02)")
    with pytest.raises(RecordRejected) as info:
        WINDOW.check_date(date(1899, 12, 31), "Date of Loss", floor=floor)
    assert "the date is before 1900-01-01" in info.value.detail


def test_given_iso_text_without_a_zone_when_read_then_it_is_utc_like_the_epochs() -> None:
    """GIVEN a date and time with no zone WHEN read THEN it is that time in UTC (the source's clock),
    so 03:30 on 1 November is 23:30 on 31 October in New York, an October demand."""
    assert source_time("2026-11-01T03:30:00", "createdTs", WINDOW) == datetime(2026, 11, 1, 3, 30, tzinfo=UTC)
    assert source_time("2026-11-01 03:30:00.250", "createdTs", WINDOW) == datetime(2026, 11, 1, 3, 30, 0, 250000,
                                                                                     tzinfo=UTC)
