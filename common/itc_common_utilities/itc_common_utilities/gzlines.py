"""Gzip JSON Lines read in blocks: the loader's input, decompressed and split at C speed.

:func:`line_batches` turns a binary stream of gzip data (one or more members, as ``gzip`` writes
them) into ``(first line number, [line bytes, ...])`` batches. One ``decompress`` call and one
``split`` per block of about a megabyte replace a ``readline`` per line: the per-line cost of reading
drops to a list append. ISA-L's inflate (``isal``, a compiled wheel) is used when it is installed,
else :mod:`zlib`: the same output, about twice as fast.

The input limits of :mod:`itc_common_utilities.limits` hold exactly as before: a line longer than
``max_line_bytes`` is refused before it is read whole, and a file that decompresses past its limit
is refused at the line it reached (a gzip bomb never decompresses whole: each call inflates at most
one block). Lines are given without their ``\\n``; the last line may lack one, and a file ending in
``\\n`` has no empty last line. A truncated or corrupt member raises :class:`GzipLinesError`.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from typing import Any

try:  # the compiled inflate, in the Lambda layer; zlib otherwise (same API and output)
    from isal import isal_zlib as _inflate
except ImportError:  # pragma: no cover - exercised where isal is not installed
    _inflate = zlib  # type: ignore[assignment]

BLOCK_BYTES = 1 << 20      # compressed bytes read at a time
INFLATE_BYTES = 4 << 20    # at most this much output per decompress call (bounds a gzip bomb's step)
GZIP_WBITS = 31            # a gzip header and trailer
INFLATE_ERRORS: tuple[type[BaseException], ...] = (zlib.error, getattr(_inflate, "error", zlib.error))


class GzipLinesError(ValueError):
    """The data is not complete gzip, or breaks a limit (the message says which, with the line)."""


def _members(read: Any, name: str) -> Iterator[bytes]:
    """Decompressed blocks of every gzip member of ``read``'s stream (``read(n) -> bytes``), each at most
    :data:`INFLATE_BYTES` (a block that inflates further is taken in steps: a bomb never inflates whole)."""
    inflater = None
    while block := read(BLOCK_BYTES):
        pending = block
        while pending:
            if inflater is None:
                inflater = _inflate.decompressobj(GZIP_WBITS)
            out = inflater.decompress(pending, INFLATE_BYTES)
            if out:
                yield out
            if inflater.eof:  # end of a member: what follows is the next member (or garbage: an error)
                pending, inflater = inflater.unused_data, None
            else:
                pending = inflater.unconsumed_tail
    if inflater is not None:
        out = inflater.flush()
        if out:
            yield out
        if not inflater.eof:
            raise GzipLinesError(f"{name}: not a complete gzip file (Compressed file ended before the "
                                 "end-of-stream marker was reached)")


def line_batches(read: Any, *, name: str, max_line_bytes: int, max_bytes: int | None,
                 too_big: Callable[[int], str]) -> Iterator[tuple[int, list[bytes]]]:
    """``(first line number, lines)`` batches of the gzip JSON Lines stream ``read(n) -> bytes``.

    ``max_line_bytes``: the longest line allowed (without its line end); ``max_bytes``: the most the
    file may decompress to (None: no limit), past which ``too_big(line number)`` is the error's text.
    Raises :class:`GzipLinesError` naming the file and line.
    """
    number = 0          # lines yielded so far
    out = 0             # decompressed bytes so far
    tail = b""          # the unfinished last line of the previous block
    try:
        for block in _members(read, name):
            out += len(block)
            if max_bytes is not None and out > max_bytes:
                raise GzipLinesError(too_big(number + 1))
            lines = (tail + block if tail else block).split(b"\n")
            tail = lines.pop()
            if len(tail) > max_line_bytes + 1:
                raise _too_long(name, number + len(lines) + 1, max_line_bytes)
            if lines:
                if max(map(len, lines)) > max_line_bytes:
                    _check_lengths(lines, name, number, max_line_bytes)
                yield number + 1, lines
                number += len(lines)
        if tail:
            if len(tail.rstrip(b"\r")) > max_line_bytes:
                raise _too_long(name, number + 1, max_line_bytes)
            yield number + 1, [tail]
    except INFLATE_ERRORS as exc:
        raise GzipLinesError(f"{name}: not a complete gzip file ({exc})") from None


def _check_lengths(lines: list[bytes], name: str, number: int, max_line_bytes: int) -> None:
    for offset, line in enumerate(lines, start=1):
        if len(line) > max_line_bytes and len(line.rstrip(b"\r")) > max_line_bytes:
            raise _too_long(name, number + offset, max_line_bytes)


def _too_long(name: str, number: int, max_line_bytes: int) -> GzipLinesError:
    return GzipLinesError(f"{name}: line {number} is longer than ITC_MAX_LINE_BYTES={max_line_bytes} bytes; "
                          "refused before reading it whole")
