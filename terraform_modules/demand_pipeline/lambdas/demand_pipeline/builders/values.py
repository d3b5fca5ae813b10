"""Value readers shared by the Exchange builders: one place that knows the three shapes a value can
arrive in, and the limits a value must respect.

Exchange records reach the landing snapshot in three shapes, and any field may use any of them:

- plain nested JSON: ``{"sendingFirm": {"firmName": "Acme"}}``;
- raw DynamoDB attribute values: ``{"sendingFirm": {"M": {"firmName": {"S": "Acme"}}}}``
  (``S``, ``N``, ``BOOL``, ``NULL``, ``M``, ``L``, ``SS``, ``NS``);
- JSON text inside a string: ``{"sendingFirm": "{\\"firmName\\": \\"Acme\\"}"}``.

:func:`plain` unwraps one level (lazily: navigation calls it again at each level, so a plain record
pays almost nothing), :func:`deep_plain` unwraps a whole value (for jsonb columns). The readers
(:func:`text`, :func:`integer`, :func:`timestamp`, ...) turn a value into the column's type or raise
:class:`RecordRejected` with a reason code: ``missing_key``, ``bad_type``, ``bad_timestamp``,
``implausible_timestamp``, ``too_long``, ``nul_byte``. Times follow the time contract of
:mod:`itc_common_utilities.timestamps` (docs/CONTRACTS.md): the builders that read one take the
load's plausible :class:`~itc_common_utilities.timestamps.TimeWindow` as ``window``.

Limits (documented in the pipeline README): identifiers 1,024 characters, names and other text
100,000 characters, JSON documents (status history, template config) 1 MiB once serialised.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from itc_common_utilities.loader import RecordRejected
from itc_common_utilities.timestamps import DEFAULT_WINDOW, TimeWindow, source_time

MAX_ID_CHARS = 1024
MAX_TEXT_CHARS = 100_000
MAX_JSON_BYTES = 1 << 20
INT32_MAX = 2**31 - 1
_DYNAMO_TYPES = frozenset({"S", "N", "BOOL", "NULL", "M", "L", "SS", "NS", "BS", "B"})


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _unwrap(kind: str, inner: Any) -> Any:
    if kind == "S":
        return inner
    if kind == "N":
        try:
            return _number(inner) if isinstance(inner, str) else inner
        except ValueError:
            return inner  # left as text: the reader rejects it with bad_type
    if kind == "NULL":
        return None
    if kind in ("SS", "NS", "BS"):
        return [_number(v) if kind == "NS" and isinstance(v, str) else v for v in inner]
    return inner  # BOOL, M (values still typed: plain() again on access), L, B


def plain(value: Any) -> Any:
    """``value`` with one level of DynamoDB typing removed (``{"S": "x"}`` -> ``"x"``)."""
    if type(value) is dict and len(value) == 1:
        kind, inner = next(iter(value.items()))
        if kind in _DYNAMO_TYPES:
            if kind == "M" and type(inner) is not dict:
                return value
            if kind == "L" and type(inner) is not list:
                return value
            return _unwrap(kind, inner)
    return value


def deep_plain(value: Any) -> Any:
    """``value`` with DynamoDB typing removed at every depth (for values stored as JSON)."""
    value = plain(value)
    if type(value) is dict:
        return {k: deep_plain(v) for k, v in value.items()}
    if type(value) is list:
        return [deep_plain(v) for v in value]
    return value


def _json_text(value: str, opener: str) -> Any:
    stripped = value.lstrip()
    if stripped.startswith(opener):
        try:
            return orjson.loads(stripped)
        except orjson.JSONDecodeError:
            return value
    return value


def record_object(record: Any) -> dict[str, Any]:
    """The record as a dict (a record may itself be a JSON string or a DynamoDB ``M``)."""
    value = plain(record)
    if isinstance(value, str):
        value = plain(_json_text(value, "{"))
    if type(value) is not dict:
        raise RecordRejected("bad_type", None, None, f"record is a {type(value).__name__}, not a JSON object")
    return value


def obj(value: Any, field: str) -> dict[str, Any] | None:
    """A nested object (``None`` when absent)."""
    if type(value) is dict and (len(value) != 1 or next(iter(value)) not in _DYNAMO_TYPES):
        return value  # fast path: a plain object
    value = plain(value)
    if isinstance(value, str):
        if not value.strip():
            return None
        value = plain(_json_text(value, "{"))
    if value is None or type(value) is dict:
        return value
    raise RecordRejected("bad_type", field, value, f"{field} must be an object, got {type(value).__name__}")


def items(value: Any, field: str) -> list[Any]:
    """A list (``[]`` when absent)."""
    value = plain(value)
    if isinstance(value, str):
        if not value.strip():
            return []
        value = plain(_json_text(value, "["))
    if value is None:
        return []
    if type(value) is list:
        return value
    raise RecordRejected("bad_type", field, value, f"{field} must be a list, got {type(value).__name__}")


def _check_text(value: str, field: str, limit: int) -> str:
    if len(value) > limit:
        raise RecordRejected("too_long", field, value, f"{field} is {len(value)} characters; the limit is {limit}")
    if "\x00" in value:
        raise RecordRejected("nul_byte", field, value, f"{field} contains a NUL byte")
    return value


def text(value: Any, field: str, *, limit: int = MAX_TEXT_CHARS) -> str | None:
    """Text (``None`` when absent); numbers are not text here (``bad_type``)."""
    if type(value) is str:  # fast path
        if len(value) > limit or "\x00" in value:
            _check_text(value, field, limit)
        return value
    if value is None:
        return None
    value = plain(value)
    if value is None:
        return None
    if isinstance(value, str):
        return _check_text(value, field, limit)
    raise RecordRejected("bad_type", field, value, f"{field} must be text, got {type(value).__name__}")


def ident(value: Any, field: str, *, required: bool = False) -> str | None:
    """An identifier: text or an integer (kept as its digits); empty = absent."""
    if type(value) is str and value:  # fast path
        if len(value) > MAX_ID_CHARS or "\x00" in value:
            _check_text(value, field, MAX_ID_CHARS)
        return value
    value = plain(value)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value is None or value == "":
        if required:
            raise RecordRejected("missing_key", field, None, f"{field} is missing")
        return None
    if isinstance(value, str):
        return _check_text(value, field, MAX_ID_CHARS)
    raise RecordRejected("bad_type", field, value, f"{field} must be an identifier, got {type(value).__name__}")


def integer(value: Any, field: str, *, required: bool = False) -> int | None:
    """A 32-bit integer; integral numbers and digit strings are accepted."""
    if type(value) is int and -INT32_MAX - 1 <= value <= INT32_MAX:  # fast path
        return value
    value = plain(value)
    if value is None or value == "":
        if required:
            raise RecordRejected("missing_key", field, None, f"{field} is missing")
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise RecordRejected("bad_type", field, value, f"{field} must be an integer") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordRejected("bad_type", field, value, f"{field} must be an integer, got {type(value).__name__}")
    if not -INT32_MAX - 1 <= value <= INT32_MAX:
        raise RecordRejected("bad_type", field, value, f"{field} is out of the 32-bit integer range")
    return value


def boolean(value: Any, field: str) -> bool | None:
    value = plain(value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise RecordRejected("bad_type", field, value, f"{field} must be true or false, got {type(value).__name__}")


def timestamp(value: Any, field: str, window: TimeWindow = DEFAULT_WINDOW) -> datetime | None:
    """An Exchange time -> an aware UTC datetime inside ``window`` (the time contract,
    :mod:`itc_common_utilities.timestamps`): epoch seconds or milliseconds (by magnitude: below 1e11 is
    seconds) as a number, a numeric string or DynamoDB ``{"N": ...}``, or ISO 8601 text with a zone.
    Rejects ``bad_timestamp`` (not a time) or ``implausible_timestamp`` (outside ``window``)."""
    return source_time(plain(value) if type(value) is dict else value, field, window)


def person_name(value: Any, field: str) -> str | None:
    """``{"firstName", "lastName"}`` -> ``"first last"``, stripped, empty parts dropped; None if empty."""
    if type(value) is dict and len(value) == 2:  # fast path: {"firstName": str, "lastName": str}
        first, last = value.get("firstName"), value.get("lastName")
        if type(first) is str and type(last) is str and len(first) + len(last) < MAX_TEXT_CHARS \
                and "\x00" not in first and "\x00" not in last:
            first, last = first.strip(), last.strip()
            return f"{first} {last}" if first and last else (first or last or None)
    person = obj(value, field)
    if person is None:
        return None
    first = text(person.get("firstName"), field)
    last = text(person.get("lastName"), field)
    first = first.strip() if first else ""
    last = last.strip() if last else ""
    if first and last:
        return f"{first} {last}"
    return first or last or None


def json_document(value: Any, field: str) -> Any:
    """A JSON value stored as jsonb: DynamoDB typing removed, JSON strings parsed, size limited."""
    value = plain(value)
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped:
            return None
        parsed = _json_text(stripped, "{")
        value = _json_text(stripped, "[") if parsed is stripped else parsed
    value = deep_plain(value)
    try:
        encoded = orjson.dumps(value)
    except TypeError:
        raise RecordRejected("bad_type", field, None, f"{field} is not JSON") from None
    if len(encoded) > MAX_JSON_BYTES:
        raise RecordRejected("too_long", field, None,
                             f"{field} is {len(encoded)} bytes of JSON; the limit is {MAX_JSON_BYTES}")
    if b"\\u0000" in encoded:
        raise RecordRejected("nul_byte", field, None, f"{field} contains a NUL character")
    return value
