"""The fast path of the Verify+ builder (:mod:`itc_common_utilities.loader.fastrow`): one snapshot line → the
COPY row :func:`~verifyplus_pipeline.builders.build_row` + ``encode_copy_row`` would give, or None.

:func:`requests_fast` returns ``fast(line)`` for the ``requests`` table's :class:`TableSpec`. The builder
stays the contract and the fallback: ``fast`` gives up (None) on anything that is not a clean record, and
the engine runs the builder on that line, so **every reject and every quarantined field still comes from
the builder**, with its reason, field, detail and value. ``fast`` may only ever accept what the builder
accepts, with the builder's row; ``tests/load/test_verifyplus_fast_path.py`` proves it.

How a line is read:

1. The line is decoded by msgspec into :class:`Request`, a ``Struct`` with one attribute per report field
   (its column; its JSON name the Quickbase label) whose types are the forms Quickbase sends for that
   kind: text up to the builder's length limit, whole numbers within 64 bits, floats, text, booleans, a
   user object of text.
   An unknown label makes that decode fail (``forbid_unknown_fields``); the line is then decoded again,
   by :class:`OpenRequest` (the same fields, unknown labels ignored) and by orjson for the labels the
   warehouse has no column for (``extra_fields``, in the record's order, as the builder writes them).
2. Each value becomes its COPY text by the builder's own rule, not a restatement of it:

   - text: verbatim, ``""``/null → NULL (the length limit is in the type; a NUL is caught below);
   - currency, counts, numbers, dates: the builder's own parser, **memoised** per value and type
     (:class:`_Memo`): a report repeats a few hundred limits, counts and days, so each distinct value is
     parsed once per load and then costs one dict lookup; a value the parser refuses is remembered as
     refused;
   - datetimes (nearly every one distinct): :class:`_Times`, the forms Quickbase sends checked piece by
     piece and written from the value, anything else through the builder's own steps;
   - checkboxes: ``true``/``false``; the user object: orjson, as :func:`~verifyplus_pipeline.builders.to_json`.
3. Anything else gives up: a ``\\u`` escape in the line (a NUL, a lone surrogate: the builder names them),
   a missing or non-numeric Request ID, a type the struct refuses, a value the builder's parser refuses
   (billing-critical or not: the builder rejects the record or quarantines the field), a datetime outside
   the window, extra fields orjson cannot write or longer than the builder allows, a line that is not
   JSON (the builder's path fails the load with its own error).

COPY escaping follows :mod:`~itc_common_utilities.loader.fastrow`: a line with no backslash cannot give a
value a tab, line end or backslash; otherwise the values are searched and escaped with the shared encoder.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

import msgspec
import orjson
from msgspec import Meta

from itc_common_utilities.db import encode_copy_value
from itc_common_utilities.loader.fastrow import FALLBACK_ERRORS, NULL, Fallback
from itc_common_utilities.loader.spec import RecordRejected
from itc_common_utilities.timestamps import TimeWindow
from verifyplus_pipeline.builders import _DATETIME, MAX_TEXT_CHARS, parse_currency, parse_date, parse_number
from verifyplus_pipeline.fields import FIELD_BY_LABEL, REPORT_FIELDS

_INT64 = Annotated[int, Meta(ge=-(2**63), le=2**63 - 1)]  # beyond: orjson and msgspec differ (the builder)
_TEXT = Annotated[str, Meta(max_length=MAX_TEXT_CHARS)]
_NUMBER = _INT64 | float | str | None  # currency, counts, numbers: what the builder's parsers take
# the struct type of each kind: only forms the builder may accept pass (a refused one costs a detour)
_TYPES: dict[str, Any] = {
    "text": _TEXT | None, "currency": _NUMBER, "int": _NUMBER, "numeric": _NUMBER,
    "date": str | None, "datetime": str | None, "checkbox": bool | str | None,
    "user": dict[str, str | None] | str | None,
}
_JSON_LIMIT = MAX_TEXT_CHARS * 4  # to_json's limit for a JSON value
_SPECIAL = re.compile("[\t\n\r\\\\]").search
_DAYS_MAX = 40_000  # days of a window read piece by piece (a century); a longer window's extra days: exact
_MEMO_MAX = 50_000  # distinct values remembered per kind and type (then the memo starts again)


def _struct(name: str, *, forbid_unknown_fields: bool) -> type:
    fields = [(f.column, _TYPES[f.kind], msgspec.field(default=None, name=f.label)) for f in REPORT_FIELDS]
    return msgspec.defstruct(name, fields, forbid_unknown_fields=forbid_unknown_fields, gc=False)


Request = _struct("Request", forbid_unknown_fields=True)      # a record holding only the report's known labels
OpenRequest = _struct("OpenRequest", forbid_unknown_fields=False)  # the same, other labels ignored
_KNOWN = frozenset(FIELD_BY_LABEL)
_REFUSED = object()


class _Memo:
    """The COPY text of ``parse(value)`` ("" for NULL) per distinct value, one dict per type (``2`` and
    ``2.0`` are parsed apart), or :data:`_REFUSED` when the builder's parser refuses the value.
    :meth:`text` fills it; the row reads the dicts directly (this runs for every value)."""

    def __init__(self, parse: Callable[[Any], Any], render: Callable[[Any], str]) -> None:
        self.parse, self.render = parse, render
        self.by_type: dict[type, dict[Any, Any]] = {str: {}, int: {}, float: {}}

    def text(self, value: Any) -> Any:
        """Parse ``value`` (not yet in the memo) and remember the result."""
        try:
            parsed = self.parse(value)
            found: Any = "" if parsed is None else self.render(parsed)
        except RecordRejected:
            found = _REFUSED
        if value != 0 or type(value) is not float:  # 0.0 == -0.0, which the parsers write apart
            cache = self.by_type[type(value)]
            if len(cache) >= _MEMO_MAX:
                cache.clear()
            cache[value] = found
        return found


class _Times:
    """``text(value)``: the ISO text ``parse_datetime`` + ``isoformat`` give for ``value``, or
    :class:`Fallback`.

    The forms Quickbase sends (``2026-10-14T17:05:09Z``, ``….250Z``, ``…-04:00``) are checked piece by piece
    against sets of the valid parts: a day well inside the window (a day and the next on either side, so
    that any zone keeps the instant inside), hours and minutes, seconds, milliseconds, and a zone already
    read once by :meth:`exact`; the text is then written from the value itself. Anything else takes
    :meth:`exact`: the builder's own steps (its pattern, ``fromisoformat``, the window, ``isoformat``),
    which also learns each zone, and keeps it only when the pieces give exactly ``isoformat``'s text."""

    def __init__(self, window: TimeWindow) -> None:
        self.earliest, self.latest = window.earliest, window.latest
        first, last = (window.earliest + timedelta(days=2)).date(), (window.latest - timedelta(days=2)).date()
        span = (last - first).days + 1
        self.days = frozenset((first + timedelta(days=n)).isoformat() for n in range(min(span, _DAYS_MAX)))
        self.minutes = frozenset(f"{h:02d}:{m:02d}" for h in range(24) for m in range(60))
        self.seconds = frozenset(f"{n:02d}" for n in range(60))
        self.millis = frozenset(f"{n:03d}" for n in range(1000))
        self.zones: dict[str, str] = {}  # the text after the seconds (and milliseconds) → isoformat's zone

    def text(self, value: str) -> str:
        if (value[:10] in self.days and value[10:11] == "T" and value[11:16] in self.minutes
                and value[16:17] == ":" and value[17:19] in self.seconds):
            if value[19:20] != ".":
                zone = self.zones.get(value[19:])
                if zone is not None:
                    return value[:19] + zone
            elif value[20:23] in self.millis:
                zone = self.zones.get(value[23:])
                if zone is not None:
                    return (value[:19] if value[20:23] == "000" else value[:23] + "000") + zone
        return self.exact(value)

    def exact(self, value: str) -> str:
        """The builder's steps for one datetime; learns the value's zone (see the class docstring)."""
        if _DATETIME.fullmatch(value) is None:
            raise Fallback
        moment = datetime.fromisoformat(value)
        if not self.earliest <= moment <= self.latest:
            raise Fallback
        full = moment.isoformat()
        if len(value) >= 20 and value[16] == ":" and len(self.zones) < 1_000:
            if value[19] != ".":
                body, zone = value[:19], value[19:]
            elif len(value) >= 24 and value[20:23] in self.millis:
                body = value[:19] if value[20:23] == "000" else value[:23] + "000"
                zone = value[23:]
            else:
                return full
            if zone and zone[0] in "Z+-" and full == body + full[-6:]:
                self.zones[zone] = full[-6:]
        return full


def requests_fast(window: TimeWindow) -> Callable[[bytes], str | None]:
    """``fast(line)``: the COPY text (no line end) of the ``raw.verifyplus`` row the builder gives for the
    snapshot line, or None when the builder must read it (see the module docstring)."""
    memos = {
        "currency": _Memo(lambda v: parse_currency("", v), str),
        "int": _Memo(lambda v: parse_number("", v, whole=True), str),
        "numeric": _Memo(lambda v: parse_number("", v, whole=False), str),
        "date": _Memo(lambda v: parse_date("", v, window), lambda d: d.isoformat()),
    }
    kinds = [f.kind for f in REPORT_FIELDS]
    memo_at = tuple((i, memos[k].by_type, memos[k].text) for i, k in enumerate(kinds) if k in memos and i > 0)
    datetime_at = tuple(i for i, k in enumerate(kinds) if k == "datetime")
    checkbox_at = tuple(i for i, k in enumerate(kinds) if k == "checkbox")
    (user_at,) = (i for i, k in enumerate(kinds) if k == "user")
    time_text = _Times(window).text
    astuple = msgspec.structs.astuple
    decode = msgspec.json.Decoder(Request).decode
    decode_open = msgspec.json.Decoder(OpenRequest).decode
    flags = {True: "t", False: "f", None: "", "": ""}
    key_max, refused, special = 2**63, _REFUSED, _SPECIAL

    def row(request: Any, extra: str) -> list[Any]:
        """The row's COPY values; "" and None both stand for NULL (text "" is NULL for the builder too)."""
        values: list[Any] = list(astuple(request))
        key = values[0]
        if type(key) is not int or key <= 0 or key >= key_max:
            raise Fallback  # absent, text, or out of range: the builder decides (missing_key, bad_request_id)
        values[0] = str(key)
        for i, by_type, parse in memo_at:
            value = values[i]
            if value is not None:
                found = by_type[type(value)].get(value)
                if found is None:
                    found = parse(value)
                if found is refused:
                    raise Fallback
                values[i] = found
        for i in datetime_at:
            value = values[i]
            if value:
                values[i] = time_text(value)
        for i in checkbox_at:
            flag = flags.get(values[i])  # True, False, None, ""; other text: the builder rejects it
            if flag is None:
                raise Fallback
            values[i] = flag
        value = values[user_at]
        if value is not None and value != "":
            text = orjson.dumps(value).decode()
            if len(text) > _JSON_LIMIT:
                raise Fallback
            values[user_at] = text
        values.append(extra)
        return values

    def extra_fields(line: bytes) -> str:
        record = orjson.loads(line)
        if type(record) is not dict:
            raise Fallback
        extra = {label: value for label, value in record.items() if label not in _KNOWN}
        if not extra:
            return "{}"
        text = orjson.dumps(extra).decode()
        if len(text) > _JSON_LIMIT:
            raise Fallback  # the builder quarantines the extra fields (too_long)
        return text

    def fast(line: bytes) -> str | None:
        if b"\\u" in line:  # a NUL or a surrogate escape: the builder names the field
            return None
        try:
            try:
                request, extra = decode(line), "{}"
            except (msgspec.ValidationError, msgspec.DecodeError, ValueError):  # ValueError: bad UTF-8
                request, extra = decode_open(line), extra_fields(line)  # an extra label, or a type to re-check
            values = row(request, extra)
        except (*FALLBACK_ERRORS, ValueError, orjson.JSONEncodeError):
            return None
        if b"\\" in line:  # only a value with a tab, line end or backslash needs escaping
            return "\t".join([(encode_copy_value(v) if special(v) else v) if v else NULL for v in values])
        return "\t".join([v or NULL for v in values])

    return fast

