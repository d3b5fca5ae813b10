"""The time contract of the sources: which forms a source time may take, and which times are plausible.

One place decides it for both pipelines (docs/CONTRACTS.md, "Time contract").

**Forms** (:func:`source_time`, used for Exchange ``createdTs``, status-history ``timestamp`` and
audit ``createdTs``):

- an epoch number - int, float, or a numeric string such as ``"1730412000"`` / ``"1730412000123"``
  (the demand builders unwrap DynamoDB's ``{"N": "..."}`` first). Its unit is decided per value by
  magnitude: ``|n| < 1e11`` is epoch **seconds** (the original system's form: its SQL applied
  ``to_timestamp(bigint)``), anything larger is epoch **milliseconds**. This is safe because the two
  readings can never both be plausible: ``1e11`` seconds is the year 5138 and ``1e11`` milliseconds
  is 1973-03-03, so every time inside the plausible window (2015 onwards, at most a few years ahead)
  is below the threshold in seconds and above it in milliseconds. A value in the wrong unit (or
  microseconds read as milliseconds) lands in 1970 or far in the future and is rejected.
- ISO 8601 text (``2026-10-31T23:30:00-04:00``, ``...Z``). A date and time without a zone
  (``2026-11-01T03:30:00``) is read as UTC, like every epoch the source stores (the source's clocks
  are UTC; the billing month is applied afterwards, in New York time). A date alone (``2026-10-31``)
  is not a time and is rejected (``bad_timestamp``): midnight of which zone would move demands across
  a month boundary.

**Window** (:class:`TimeWindow`): a time before ``earliest`` (default 2015-01-01T00:00Z) or after
``latest`` (default now + 1 day) is rejected as ``implausible_timestamp`` with a message naming the
field, how the value was read and the window, e.g. ``createdTs read as epoch seconds =
1970-01-21T00:40:12Z is outside the plausible window 2015-01-01T00:00:00Z .. 2026-12-02T12:00:00Z``
(for ``createdTs: 1730412``; the raw value itself goes in the rejection's ``value``, which
``ops.rejected_records`` keeps redacted when the field is PHI, never in the text). A value that is not
a time at all is ``bad_timestamp``. A load builds its window once (:func:`load_time_window`), from
:class:`~itc_common_utilities.settings.TimeWindowSettings` (``ITC_TIME_WINDOW_START``,
``ITC_TIME_WINDOW_FUTURE_DAYS``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from itc_common_utilities.loader.spec import RecordRejected
from itc_common_utilities.settings import (
    WINDOW_FUTURE_DAYS,
    WINDOW_START,
    TimeWindowSettings,
    load_settings,
    parse_window_start,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MS_THRESHOLD = 100_000_000_000  # |n| < 1e11: epoch seconds; otherwise epoch milliseconds
DEFAULT_START = parse_window_start(WINDOW_START)  # 2015-01-01T00:00Z
DEFAULT_FUTURE_DAYS = WINDOW_FUTURE_DAYS
BAD = "bad_timestamp"
IMPLAUSIBLE = "implausible_timestamp"
_NUMBER = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")
_HAS_TIME = re.compile(r"[T ]\d{2}")


def iso_z(moment: datetime) -> str:
    """``2026-11-01T03:30:00Z`` (UTC, seconds; fractions only when present)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class TimeWindow:
    """The plausible times: ``earliest <= t <= latest`` (both aware). Build one per load."""

    earliest: datetime
    latest: datetime
    # the bounds as epoch seconds and milliseconds, for the one-comparison fast path of an int
    lo_s: int = field(init=False, repr=False)
    hi_s: int = field(init=False, repr=False)
    lo_ms: int = field(init=False, repr=False)
    hi_ms: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.earliest.tzinfo is None or self.latest.tzinfo is None:
            raise ValueError("a TimeWindow's bounds must carry a time zone")
        if not self.earliest < self.latest:
            raise ValueError(f"a TimeWindow must end after it starts ({self.describe()})")
        lo, hi = self.earliest.timestamp(), self.latest.timestamp()
        object.__setattr__(self, "lo_s", math.ceil(lo))
        object.__setattr__(self, "hi_s", math.floor(hi))
        object.__setattr__(self, "lo_ms", math.ceil(lo * 1000))
        object.__setattr__(self, "hi_ms", math.floor(hi * 1000))

    @classmethod
    def default(cls, *, start: datetime = DEFAULT_START, future_days: int = DEFAULT_FUTURE_DAYS,
                now: datetime | None = None) -> TimeWindow:
        """``start`` .. ``now`` (default: the current time) + ``future_days``."""
        now = now or datetime.now(UTC).replace(microsecond=0)
        return cls(start, now + timedelta(days=future_days))

    def describe(self) -> str:
        return f"{iso_z(self.earliest)} .. {iso_z(self.latest)}"

    def check(self, moment: datetime, field: str | None, value: Any, reading: str) -> datetime:
        """``moment`` if inside the window, else :class:`RecordRejected` ``implausible_timestamp``.

        ``reading``: how ``value`` was read, for the message (``"read as epoch seconds"``).
        """
        if self.earliest <= moment <= self.latest:
            return moment
        raise implausible(field, value, f"{reading} = {iso_z(moment)}", self)

    def check_date(self, day: date, field: str | None, *, floor: date) -> date:
        """A calendar date: at most the window's last day, at least ``floor`` (dates may lie before the
        window: a date of loss in 2012 is plausible). The message names no date (a date of loss is PHI)."""
        if floor <= day <= self.latest.date():
            return day
        side = f"before {floor.isoformat()}" if day < floor else f"after the window's end {self.latest.date()}"
        raise RecordRejected(IMPLAUSIBLE, field, day.isoformat(),
                             f"{field}: the date is {side} (plausible dates: {floor.isoformat()} .. "
                             f"{self.latest.date().isoformat()})")


DEFAULT_WINDOW = TimeWindow.default()  # 2015-01-01 .. this process's start + 1 day: a parser's default
# window when its caller passes none (a load passes the window it built from its settings)


def load_time_window(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None,
                     *, now: datetime | None = None) -> TimeWindow:
    """The plausible window of one load, from :class:`~itc_common_utilities.settings.TimeWindowSettings`:
    ``start`` .. ``now`` (default: the current time) + ``future_days`` (raises ``SettingsError``)."""
    settings = load_settings(TimeWindowSettings, overrides, environ)
    return TimeWindow.default(start=parse_window_start(settings.start), future_days=settings.future_days, now=now)


def implausible(field: str | None, value: Any, interpretation: str, window: TimeWindow) -> RecordRejected:
    """The ``implausible_timestamp`` rejection: field, how the value was read, the window. The raw value
    goes in ``value`` (``ops.rejected_records.offending_value``, redacted when PHI), not in the text."""
    return RecordRejected(IMPLAUSIBLE, field, value,
                          f"{field} {interpretation} is outside the plausible window {window.describe()}")


def _bad(field: str | None, value: Any, problem: str) -> RecordRejected:
    return RecordRejected(BAD, field, value, f"{field} {problem}")


def epoch_time(number: int | float, field: str | None, window: TimeWindow) -> datetime:
    """An epoch number, seconds or milliseconds by magnitude (see the module doc), inside ``window``."""
    if isinstance(number, float) and not math.isfinite(number):
        raise _bad(field, number, "is not a finite number")
    if -MS_THRESHOLD < number < MS_THRESHOLD:
        unit, seconds = "seconds", number
    else:
        unit, seconds = "milliseconds", number / 1000
    reading = f"read as epoch {unit}"
    try:
        moment = EPOCH + timedelta(seconds=seconds)
    except OverflowError:  # beyond datetime's years 1..9999
        raise implausible(field, number, f"{reading} = a time beyond the years 1..9999", window) from None
    return window.check(moment, field, number, reading)


def iso_time(text: str, field: str | None, window: TimeWindow) -> datetime:
    """ISO 8601 text with a zone, inside ``window`` (returned in UTC)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _bad(field, text, "is neither an epoch number (seconds or milliseconds) nor ISO 8601 text") from None
    if moment.tzinfo is None:
        if not _HAS_TIME.search(text):
            raise _bad(field, text, "is a date without a time (expected e.g. 2026-11-01T03:30:00Z)")
        return window.check(moment.replace(tzinfo=UTC), field, text, "read as ISO 8601 without a zone (UTC)")
    return window.check(moment.astimezone(UTC), field, text, "read as ISO 8601")


def source_time(value: Any, field: str | None, window: TimeWindow) -> datetime | None:
    """A source time (epoch seconds/milliseconds as a number or numeric text, or zoned ISO 8601 text)
    as an aware UTC datetime inside ``window``; ``None``/``""`` -> None. Raises :class:`RecordRejected`
    ``bad_timestamp`` (not a time) or ``implausible_timestamp`` (outside the window)."""
    if type(value) is int:  # fast path: an int in the window costs two comparisons
        if window.lo_s <= value <= window.hi_s:
            return EPOCH + timedelta(seconds=value)
        if window.lo_ms <= value <= window.hi_ms:
            return EPOCH + timedelta(milliseconds=value)
        return epoch_time(value, field, window)
    if value is None or value == "":
        return None
    if isinstance(value, float):
        return epoch_time(value, field, window)
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.match(text):
            return epoch_time(float(text) if "." in text else int(text), field, window)
        return iso_time(text, field, window)
    raise _bad(field, value, f"must be an epoch number or ISO 8601 text, got {type(value).__name__}")
