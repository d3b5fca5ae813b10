"""The typed transform: one Verify+ snapshot record → one ``raw.verifyplus`` row (pure functions).

:func:`build_row` is a pure function from one snapshot record (``{"<Quickbase label>": value}``) to
one ``raw.verifyplus`` row in :data:`COLUMNS` order, or :class:`RecordRejected` with a reason:

================  ======================================================================
reason            when
================  ======================================================================
missing_key       "Request ID" is absent, null or ""
bad_request_id    "Request ID" is not a whole number (``"VP-12"``, ``12.5``, ``true``)
bad_currency      a currency value that is neither a number nor text like ``"$25,000.00"``
bad_date          a date that is not a real ``YYYY-MM-DD`` day
bad_timestamp     a datetime that is not ISO 8601 **with a zone**
implausible_timestamp  a datetime outside the plausible window (the time contract, docs/CONTRACTS.md:
                  default 2015-01-01 .. now + 1 day), or a date before 1900-01-01 or after the window's end
bad_number        a numeric value that is not a number (or not whole for a count)
bad_type          a value of the wrong JSON type (an object for text, "yes" for a checkbox...)
nul_byte          text holding a NUL byte (PostgreSQL cannot store it)
too_long          text longer than :data:`MAX_TEXT_CHARS`
================  ======================================================================

Only a bad value in a billing-critical field (:mod:`itc_common_utilities.billing`) rejects the record
with these reasons; in any other field the value is stored as NULL and noted with the same reason
(``ops.quarantined_fields``), and the record loads.

Conversions: ``""``/null → NULL for every kind; currency text/number → ``Decimal`` (2 places);
checkbox → bool; dates → ``date``; datetimes → aware ``datetime`` (``timestamptz``); user → JSON.
Text is stored verbatim (no trimming, no normalisation). A label the warehouse does not know goes
into ``extra_fields`` by label, and :func:`verifyplus_pipeline.load.load_verifyplus` names such
labels in its summary.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from itc_common_utilities.billing import is_billing_critical
from itc_common_utilities.loader import RecordRejected
from itc_common_utilities.loader.quarantine import kept, note
from itc_common_utilities.timestamps import DEFAULT_WINDOW, TimeWindow
from verifyplus_pipeline.fields import EXTRA_FIELDS_COLUMN, FIELD_BY_LABEL, KEY_LABEL, REPORT_FIELDS

COLUMNS: tuple[str, ...] = (*(f.column for f in REPORT_FIELDS), EXTRA_FIELDS_COLUMN)
MAX_TEXT_CHARS = 10_000
DATE_FLOOR = date(1900, 1, 1)  # dates (of loss, of claim set-up) may lie before the time window
_CURRENCY_MAX = Decimal("1e12")  # numeric(14,2)
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_BIGINT_MAX = 2**63 - 1
_CURRENCY_TEXT = re.compile(r"^(?P<neg>-)?\$?(?P<num>\d{1,3}(,\d{3})+|\d+)(?P<frac>\.\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$")
_ZONELESS = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


def _empty(value: Any) -> bool:
    return value is None or value == ""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _reject(reason: str, label: str, value: Any, detail: str) -> RecordRejected:
    return RecordRejected(reason, field=label, value=value, detail=f"{label!r}: {detail}")


def parse_request_id(value: Any) -> int:
    """The natural key: a whole, positive number (JSON number, or digits as text)."""
    if _empty(value):
        raise RecordRejected("missing_key", field=KEY_LABEL, value=value, detail="'Request ID' is empty")
    if isinstance(value, bool):
        raise _reject("bad_request_id", KEY_LABEL, value, "expected a whole number, got a boolean")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not 0 < value <= _BIGINT_MAX:
        raise _reject("bad_request_id", KEY_LABEL, value, "expected a positive whole number")
    return value


def parse_currency(label: str, value: Any) -> Decimal | None:
    """A JSON number or text like ``"$25,000.00"`` / ``"-$1,200"`` → ``Decimal`` with at most 2 places."""
    if _empty(value):
        return None
    if _is_number(value):
        amount = Decimal(str(value))
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        if text.startswith("$-"):
            text = "-$" + text[2:]
        if text.startswith("(") and text.endswith(")"):
            text = "-" + text[1:-1]
        match = _CURRENCY_TEXT.match(text)
        if not match:
            raise _reject("bad_currency", label, value, "expected a number or an amount like $25,000.00")
        amount = Decimal((match["neg"] or "") + match["num"].replace(",", "") + (match["frac"] or ""))
    else:
        raise _reject("bad_currency", label, value, f"expected a number or text, got {type(value).__name__}")
    if not amount.is_finite() or abs(amount) >= _CURRENCY_MAX:
        raise _reject("bad_currency", label, value, "amount is out of range for numeric(14,2)")
    if amount != amount.quantize(Decimal("0.01")):
        raise _reject("bad_currency", label, value, "amount has more than 2 decimal places")
    return amount.quantize(Decimal("0.01"))


def parse_number(label: str, value: Any, *, whole: bool) -> int | Decimal | None:
    if _empty(value):
        return None
    if isinstance(value, bool) or not (_is_number(value) or isinstance(value, str)):
        raise _reject("bad_number", label, value, f"expected a number, got {type(value).__name__}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise _reject("bad_number", label, value, "expected a number") from None
    if not number.is_finite():
        raise _reject("bad_number", label, value, "expected a finite number")
    if whole:
        if number != number.to_integral_value():
            raise _reject("bad_number", label, value, "expected a whole number")
        if not _INT_MIN <= number <= _INT_MAX:
            raise _reject("bad_number", label, value, "whole number out of range for integer")
        return int(number)
    if abs(number) >= Decimal("1e15"):
        raise _reject("bad_number", label, value, "number out of range")
    return number


@dataclass(frozen=True)
class _IsoForm:
    """The shape dates and datetimes share: text matching ``pattern`` that is a real day/time."""

    reason: str
    pattern: re.Pattern[str]
    parse: Callable[[str], Any]
    expected: str
    unreal: str
    zoneless: re.Pattern[str] | None = None  # text that would match but for its missing zone

    def read(self, label: str, value: Any) -> Any:
        """The value as a date/datetime (None if empty), or :class:`RecordRejected` with ``reason``."""
        if _empty(value):
            return None
        if not isinstance(value, str):
            raise _reject(self.reason, label, value, f"expected {self.expected} text, got {type(value).__name__}")
        text = value.strip()
        if not self.pattern.match(text):
            if self.zoneless is not None and self.zoneless.match(text):
                raise _reject(self.reason, label, value, "has no time zone (expected e.g. 2026-10-31T23:30:00Z)")
            raise _reject(self.reason, label, value, f"expected {self.expected}")
        try:
            return self.parse(text)
        except ValueError:
            raise _reject(self.reason, label, value, self.unreal) from None


_DATE_FORM = _IsoForm("bad_date", _DATE, date.fromisoformat, "YYYY-MM-DD", "not a real calendar day")
_DATETIME_FORM = _IsoForm("bad_timestamp", _DATETIME, datetime.fromisoformat,
                          "ISO 8601 with a zone, e.g. 2026-10-31T23:30:00Z", "not a real date and time", _ZONELESS)


def parse_date(label: str, value: Any, window: TimeWindow = DEFAULT_WINDOW) -> date | None:
    """``YYYY-MM-DD``; from :data:`DATE_FLOOR` (a date of loss years back is plausible) to the window's end."""
    day = _DATE_FORM.read(label, value)
    if day is None or DATE_FLOOR <= day <= window.latest.date():
        return day
    return window.check_date(day, label, floor=DATE_FLOOR)


def parse_datetime(label: str, value: Any, window: TimeWindow = DEFAULT_WINDOW) -> datetime | None:
    """ISO 8601 text with a zone, inside the plausible ``window`` (the time contract)."""
    moment = _DATETIME_FORM.read(label, value)
    if moment is None or window.earliest <= moment <= window.latest:
        return moment
    return window.check(moment, label, value, "read as ISO 8601")


def parse_checkbox(label: str, value: Any) -> bool | None:
    if _empty(value):
        return None
    if not isinstance(value, bool):
        raise _reject("bad_type", label, value, f"expected a checkbox (true/false), got {type(value).__name__}")
    return value


def _check_json_text(label: str, value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise _reject("nul_byte", label, value, "contains a NUL byte, which PostgreSQL cannot store")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_json_text(label, k)
            _check_json_text(label, v)
    elif isinstance(value, list):
        for v in value:
            _check_json_text(label, v)


def to_json(label: str, value: Any) -> str:
    """A JSON value as jsonb text (NUL bytes rejected: jsonb cannot hold ``\\u0000``)."""
    _check_json_text(label, value)
    try:
        text = orjson.dumps(value).decode("utf-8")
    except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits: the slower encoder copes
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if len(text) > MAX_TEXT_CHARS * 4:
        raise _reject("too_long", label, None, f"JSON value of {len(text)} characters is too long")
    return text


def parse_user(label: str, value: Any) -> str | None:
    """A Quickbase user ``{id, email, name, userName}`` (or a bare user string) → jsonb text."""
    if _empty(value):
        return None
    if not isinstance(value, dict | str):
        raise _reject("bad_type", label, value, f"expected a user object, got {type(value).__name__}")
    return to_json(label, value)


def parse_text(label: str, value: Any) -> str | None:
    """Text, stored verbatim; "" → NULL."""
    if _empty(value):
        return None
    if not isinstance(value, str):
        raise _reject("bad_type", label, value, f"expected text, got {type(value).__name__}")
    if "\x00" in value:
        raise _reject("nul_byte", label, value, "contains a NUL byte, which PostgreSQL cannot store")
    if len(value) > MAX_TEXT_CHARS:
        raise _reject("too_long", label, value, f"{len(value)} characters (limit {MAX_TEXT_CHARS})")
    return value


def _int(label: str, value: Any) -> int | Decimal | None:
    return parse_number(label, value, whole=True)


def _numeric(label: str, value: Any) -> int | Decimal | None:
    return parse_number(label, value, whole=False)


_PARSERS: dict[str, Callable[..., Any]] = {
    "text": parse_text, "currency": parse_currency, "datetime": parse_datetime, "date": parse_date,
    "checkbox": parse_checkbox, "int": _int, "numeric": _numeric, "user": parse_user,
}
_TIMED = frozenset({"datetime", "date"})  # parsers that take the plausible window as well
_TABLE = "raw.verifyplus"
# (label, parser, timed, critical) for every field but the key, in column order: resolved once, not per record
_PLAN: tuple[tuple[str, Callable[..., Any], bool, bool], ...] = tuple(
    (f.label, _PARSERS[f.kind], f.kind in _TIMED, is_billing_critical(_TABLE, f.label)) for f in REPORT_FIELDS[1:])


def record_key(record: Any) -> str | None:
    """The record's Request ID as text, for ``ops.rejected_records`` (None when unreadable)."""
    if isinstance(record, Mapping):
        value = record.get(KEY_LABEL)
        if value is not None and value != "" and not isinstance(value, dict | list):
            return str(value)[:100]
    return None


def build_row(record: Any, window: TimeWindow = DEFAULT_WINDOW) -> tuple[Any, ...]:
    """One snapshot record → one ``raw.verifyplus`` row in :data:`COLUMNS` order (pure; may reject).

    A bad value in a billing-critical field (Request ID, Request Created Datetime, Firm Name, Duplicate
    Request, Exclude From Reporting: :mod:`itc_common_utilities.billing`) rejects the record; a bad value in
    any other field (the extra fields included) is stored as NULL (``{}`` for the extra fields) and noted
    (:func:`~itc_common_utilities.loader.quarantine.note`), and the record loads.

    ``window``: the plausible times (the load's, built from its settings; see
    :func:`verifyplus_pipeline.load.load_verifyplus`)."""
    if not isinstance(record, Mapping):
        raise RecordRejected("bad_type", detail=f"record is a JSON {type(record).__name__}, expected an object")
    row: list[Any] = [parse_request_id(record.get(KEY_LABEL))]
    get = record.get
    for label, parse, timed, critical in _PLAN:
        value = get(label)
        if value is None or value == "":
            row.append(None)
        elif parse is parse_text and type(value) is str and len(value) <= MAX_TEXT_CHARS and "\x00" not in value:
            row.append(value)  # the common case, verbatim
        else:
            try:
                row.append(parse(label, value, window) if timed else parse(label, value))
            except RecordRejected as rejected:
                if critical:
                    raise
                note(rejected, label)
                row.append(None)
    extra = {label: value for label, value in record.items() if label not in FIELD_BY_LABEL}
    row.append((kept(_TABLE, EXTRA_FIELDS_COLUMN, to_json, EXTRA_FIELDS_COLUMN, extra) or "{}") if extra else "{}")
    return tuple(row)
