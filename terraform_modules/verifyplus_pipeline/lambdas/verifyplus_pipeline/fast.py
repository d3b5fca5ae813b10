"""The fast path of the Verify+ builder (:mod:`itc_common_utilities.loader.fastrow`): one snapshot line → the
COPY row :func:`~verifyplus_pipeline.builders.build_row` + ``encode_copy_row`` would give, or None.

:func:`requests_fast` returns ``fast(line)`` for the ``requests`` table's :class:`TableSpec`. The builder
stays the contract and the fallback: ``fast`` gives up (None) on anything that is not a clean record, and
the engine runs the builder on that line, so **every reject and every quarantined field still comes from
the builder**, with its reason, field, detail and value. ``fast`` may only ever accept what the builder
accepts, with the builder's row; ``tests/load/test_verifyplus_fast_path.py`` proves it.

How a line is read:

1. The line is decoded by msgspec into :class:`Request`, a ``Struct`` with one attribute per report field
   (named by its Quickbase label) whose types are the forms Quickbase sends for that kind: text up to the
   builder's length limit, whole numbers within 64 bits, floats, text, booleans, a user object of text.
   An unknown label makes that decode fail (``forbid_unknown_fields``); the line is then decoded again,
   by :class:`OpenRequest` (the same fields, unknown labels ignored) and by orjson for the labels the
   warehouse has no column for (``extra_fields``, in the record's order, as the builder writes them).
2. Each value becomes its COPY text by the builder's own rule, not a restatement of it:

   - text: verbatim, ``""``/null → NULL (the length limit is in the type; a NUL is caught below);
   - currency, counts, numbers, dates: the builder's own parser, **memoised** per value (:class:`_Memo`):
     a report repeats a few hundred limits, counts and days, so each distinct value is parsed once per
     load and then costs one dict lookup; a value the parser refuses is remembered as refused;
   - datetimes (nearly every one distinct): :class:`_Times`, the forms Quickbase sends checked piece by
     piece and written from the value, anything else through the builder's own steps;
   - checkboxes: ``true``/``false``; the user object: orjson, as :func:`~verifyplus_pipeline.builders.to_json`.
3. Anything else gives up: a ``\\u`` escape in the line (a NUL, a lone surrogate: the builder names them),
   a missing or non-numeric Request ID, a type the struct refuses, a value the builder's parser refuses
   (billing-critical or not: the builder rejects the record or quarantines the field), a datetime outside
   the window, extra fields orjson cannot write or longer than the builder allows, a line that is not
   JSON (the builder's path fails the load with its own error).

The row is assembled with C-level helpers (``astuple``, ``map`` over the memo dicts, one ``itemgetter``
that puts the values in column order): per record the Python work is a few dozen bytecodes per kind, not
per field. COPY escaping follows :mod:`~itc_common_utilities.loader.fastrow`: a line with no backslash cannot give a
value a tab, line end or backslash; otherwise the values are searched and escaped with the shared encoder.
"""

from __future__ import annotations

import operator
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
    """The COPY text of the builder's ``parse(value)`` ("" for NULL) per distinct value, or :data:`_REFUSED`
    when the parser refuses the value: :attr:`texts` is read directly by the row (``map(texts.get, …)``, this
    runs for every value), :meth:`fill` parses a value not in it yet.

    One dict holds text, whole numbers and floats, so a float equal to a whole number finds the whole
    number's entry: ``same_for_equal`` says the parser writes equal numbers alike (currency: ``2`` and
    ``2.0`` are both ``2.00``; counts: both ``2``), except zero for currency (``-0.0`` is ``-0.00``), which
    ``keep`` leaves out. A kind whose parser writes them apart (numbers: ``2`` and ``2.0``) keeps one dict
    per type instead (:attr:`by_type`)."""

    def __init__(self, parse: Callable[[Any], Any], render: Callable[[Any], str], *,
                 keep: Callable[[Any], bool] = lambda _v: True) -> None:
        self.parse, self.render, self.keep = parse, render, keep
        self.texts: dict[Any, Any] = {None: ""}
        self.by_type: dict[type, dict[Any, Any]] = {str: {}, int: {}, float: {}}

    def fill(self, value: Any, texts: dict[Any, Any] | None = None) -> Any:
        """Parse ``value`` and remember the result in ``texts`` (default :attr:`texts`)."""
        try:
            parsed = self.parse(value)
            found: Any = "" if parsed is None else self.render(parsed)
        except RecordRejected:
            found = _REFUSED
        if self.keep(value):
            texts = self.texts if texts is None else texts
            if len(texts) >= _MEMO_MAX:
                texts.clear()
                texts[None] = ""
            texts[value] = found
        return found


def _not_a_zero_number(value: Any) -> bool:
    return type(value) is str or value != 0


def _not_a_zero_float(value: Any) -> bool:
    return type(value) is not float or value != 0  # 0.0 == -0.0, which the parser writes apart


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
        """The ISO text for a datetime ``value`` (not empty), or :class:`Fallback`."""
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
    kinds = [f.kind for f in REPORT_FIELDS]
    memos = {  # kinds whose values repeat; one lookup per value (see _Memo for which numbers share an entry)
        "currency": _Memo(lambda v: parse_currency("", v), str, keep=_not_a_zero_number),
        "int": _Memo(lambda v: parse_number("", v, whole=True), str),
        "date": _Memo(lambda v: parse_date("", v, window), lambda d: d.isoformat()),
    }
    numbers = _Memo(lambda v: parse_number("", v, whole=False), str, keep=_not_a_zero_float)
    groups = [(kind, [i for i, k in enumerate(kinds) if k == kind and i > 0]) for kind in (*memos, "datetime",
                                                                                          "checkbox", "numeric")]
    (user_at,) = (i for i, k in enumerate(kinds) if k == "user")
    # a row is assembled as [*struct values, key, user, extra, *each group's texts] then put in column order
    at = len(kinds)
    order = list(range(at))
    order[0], order[user_at] = at, at + 1
    order.append(at + 2)
    slot = at + 3
    for _kind, places in groups:
        for i in places:
            order[i] = slot
            slot += 1
    permute = operator.itemgetter(*order)
    c_get, i_get, d_get, t_get, f_get, n_get = (operator.itemgetter(*places) for _kind, places in groups)
    currency, counts, dates = memos["currency"], memos["int"], memos["date"]
    c_texts, i_texts, d_texts = currency.texts.get, counts.texts.get, dates.texts.get
    n_by_type = numbers.by_type
    time_text = _Times(window).text
    astuple = msgspec.structs.astuple
    decode = msgspec.json.Decoder(Request).decode
    decode_open = msgspec.json.Decoder(OpenRequest).decode
    flags = {True: "t", False: "f", None: "", "": ""}.get  # other text: the builder rejects it
    key_max, refused, special = 2**63, _REFUSED, _SPECIAL

    def memo_texts(memo: _Memo, found: list[Any], values: tuple[Any, ...]) -> list[Any]:
        """``found`` with each value not in the memo yet parsed; :class:`Fallback` if one is refused."""
        for j, text in enumerate(found):
            if text is None:
                found[j] = memo.fill(values[j])
        if refused in found:
            raise Fallback
        return found

    def number_text(value: Any) -> Any:
        if value is None:
            return ""
        texts = n_by_type[type(value)]
        found = texts.get(value)
        if found is None:
            found = numbers.fill(value, texts)
        if found is refused:
            raise Fallback
        return found

    def row(request: Any, extra: str) -> tuple[Any, ...]:
        """The row's COPY values; "" and None both stand for NULL (text "" is NULL for the builder too)."""
        values = astuple(request)
        key = values[0]
        if type(key) is not int or key <= 0 or key >= key_max:
            raise Fallback  # absent, text, or out of range: the builder decides (missing_key, bad_request_id)
        user = values[user_at]
        if user is not None and user != "":
            user = orjson.dumps(user).decode()
            if len(user) > _JSON_LIMIT:
                raise Fallback
        found_c, found_i, found_d = (list(map(c_texts, c_get(values))), list(map(i_texts, i_get(values))),
                                     list(map(d_texts, d_get(values))))
        if None in found_c or refused in found_c:
            found_c = memo_texts(currency, found_c, c_get(values))
        if None in found_i or refused in found_i:
            found_i = memo_texts(counts, found_i, i_get(values))
        if None in found_d or refused in found_d:
            found_d = memo_texts(dates, found_d, d_get(values))
        found_f = list(map(flags, f_get(values)))
        if None in found_f:
            raise Fallback
        return permute([*values, str(key), user, extra, *found_c, *found_i, *found_d,
                        *[time_text(v) if v else "" for v in t_get(values)], *found_f,
                        *[number_text(v) for v in n_get(values)]])

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

