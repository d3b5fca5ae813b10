"""The load's fast path: a record decoded by compiled code straight into typed structs, one COPY line out.

A :class:`~itc_common_utilities.loader.spec.TableSpec` may carry a ``fast`` function besides its
``build``: ``fast(line bytes) -> COPY text of the row (no line end) | None``. It handles the common
form of a record (plain JSON, decoded by msgspec into ``Struct`` types whose types and length limits
are the builder's) and returns None for anything else: a DynamoDB-typed value, an unexpected type, a
value over a limit, a NUL, a time outside the window, a missing key. The engine then runs the
builder on that line (:mod:`~itc_common_utilities.loader.render`), so every reject, with its reason,
field and detail, still comes from the one builder: the fast path may only ever *accept* a record the
builder accepts, with the same row. ``ITC_LOAD_FAST=0`` turns it off (the builder for every line);
tests load hostile snapshots both ways and compare the raw rows and the rejects.

This module holds what every fast function needs: :func:`fast_function` (decode, row, then the COPY
text, escaping only when the JSON line had an escape), :class:`Fallback`, :data:`FALLBACK_ERRORS`,
:func:`nested` (a nested object that arrived as JSON text), :func:`fast_enabled`, and
:func:`compiled_or`: a table's compiled row builder (a C extension, ADR 0012) in front of its Python fast
path, or the Python fast path alone when the extension cannot be imported (logged once per module).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from itc_common_utilities.loader.spec import RecordRejected
from itc_common_utilities.settings import LoaderSettings, load_settings

FAST_ENV = "ITC_LOAD_FAST"  # LoaderSettings.fast
NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_SPECIAL = re.compile("[\t\n\r\\\\]").search


class Fallback(Exception):
    """Raised inside a fast function: this record is not in the common form; the builder reads it."""


# UnicodeDecodeError: a line that is not UTF-8 (msgspec raises it, not DecodeError): the builder rejects it
FALLBACK_ERRORS = (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError, RecordRejected, Fallback)


def fast_enabled() -> bool:
    """``ITC_LOAD_FAST`` (default on; ``0``/``false``/``no``/``off`` = every record through its builder), a field
    of :class:`~itc_common_utilities.settings.LoaderSettings`."""
    return load_settings(LoaderSettings).fast


def nested(value: Any, decode: Callable[[str], Any]) -> Any:
    """A nested value that arrived as JSON text (``"{\\"firmName\\": ...}"``), decoded like the builder's
    ``obj``/``items`` do: blank text = absent; anything the typed decoder refuses → :class:`Fallback`."""
    text = value.strip()
    if not text:
        return None
    try:
        return decode(text)
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError):
        raise Fallback from None


_HEAD = 64  # bytes of a line looked at to guess its form (a wrong guess costs one failed decode)
Form = tuple[Callable[[bytes], Any], Callable[[Any], Sequence[str | None]]]  # (decode, row)


def fast_function(plain: Form, typed: Form | None = None, *, writes_json: bool = False,
                  ) -> Callable[[bytes], str | None]:
    """``fast(line)``: ``row(decode(line))`` as COPY text, or None when the builder must read the line.

    ``writes_json``: a row value is JSON the row function wrote (it escapes a quote as ``\\"``), so a
    line whose only escapes are quotes may still give a value with a backslash.

    ``plain`` and ``typed`` (DynamoDB's typed form) are tried in turn, the typed one first when the line
    looks typed (a ``{"S":`` or ``{"N":`` in its first bytes), so a record usually costs one decode.
    """
    plain_first = (plain,) if typed is None else (plain, typed)
    typed_first = plain_first if typed is None else (typed, plain)
    special, escapes, null = _SPECIAL, _ESCAPES, NULL

    def fast(line: bytes) -> str | None:
        escaped = b"\\" in line
        if escaped and b"\\u0000" in line:  # a NUL: the builder rejects it, naming the field
            return None
        head = line[:_HEAD]  # a typed record's first value is a wrapper: {"documentId":{"S":"...
        for decode, row in typed_first if b'{"S":' in head or b'{"N":' in head else plain_first:
            try:
                values = row(decode(line))
                break
            except FALLBACK_ERRORS:
                continue
        else:
            return None
        # the COPY text (inlined: this runs once per record). A line whose every escape is \\" cannot
        # give a decoded string a tab, line end or backslash
        if escaped and (writes_json or line.count(b"\\") != line.count(b'\\"')) \
                and special("".join(filter(None, values))):
            return "\t".join([null if v is None else v.translate(escapes) for v in values])
        if None in values:
            return "\t".join([null if v is None else v for v in values])
        return "\t".join(values)  # type: ignore[arg-type]

    return fast


_compiled = {"enabled": True}
_missing: set[str] = set()  # compiled modules that could not be imported (logged once each)


def use_compiled(enabled: bool) -> bool:
    """Whether fast functions built from now on put the compiled row builders in front (default True);
    the previous choice. For the bench and tests that measure or compare the Python fast path alone."""
    previous = _compiled["enabled"]
    _compiled["enabled"] = enabled
    return previous


def compiled_or(module: str, name: str, python_fast: Callable[[bytes], str | None], *args: Any,
                ) -> Callable[[bytes], str | None]:
    """``module.name(python_fast, *args)``: a compiled fast function that hands the lines it does not take
    to ``python_fast``; ``python_fast`` itself when compiled builders are off (:func:`use_compiled`) or the
    module cannot be imported (not built for this interpreter or CPU): that is logged once per module, as
    a warning naming the module and the import error (no record data), and the load goes on."""
    if not _compiled["enabled"]:
        return python_fast
    try:
        factory = getattr(importlib.import_module(module), name)
    except ImportError as exc:
        if module not in _missing:
            _missing.add(module)
            from itc_common_utilities.logger.logger_setup import setup_logger

            setup_logger("itc_loader").warning(
                f"compiled row builder {module} not loaded; using the Python fast path",
                extra={"compiled_module": module, "error": f"{type(exc).__name__}: {exc}"})
        return python_fast
    return factory(python_fast, *args)
