"""Gzip JSON Lines in blocks (gzlines.line_batches): the lines readline gave, at any block size."""

from __future__ import annotations

import gzip
import io
import zlib

import pytest

from itc_common_utilities import gzlines
from itc_common_utilities.gzlines import GzipLinesError, line_batches


def lines_of(data: bytes, *, max_line: int = 1 << 20, max_bytes: int | None = None) -> list[tuple[int, bytes]]:
    out = []
    for first, lines in line_batches(io.BytesIO(data).read, name="t.jsonl.gz", max_line_bytes=max_line,
                                     max_bytes=max_bytes, too_big=lambda n: f"t.jsonl.gz: too big at line {n}"):
        out += list(enumerate(lines, first))
    return out


def readline_lines(data: bytes) -> list[tuple[int, bytes]]:
    """What the reader gave before: gzip.GzipFile.readline, line ends stripped."""
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
        return [(n, line.rstrip(b"\n")) for n, line in enumerate(f, 1)]


@pytest.mark.parametrize("block", [7, 64, 1 << 20])
def test_lines_match_readline_across_members_and_blocks(
        monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    """GIVEN two gzip members, lines across read blocks and odd endings (CRLF, a blank line, no final newline)
    WHEN read THEN the lines are those of readline."""
    monkeypatch.setattr(gzlines, "BLOCK_BYTES", block)
    monkeypatch.setattr(gzlines, "INFLATE_BYTES", max(block, 16))
    text = b"".join(b'{"n": %d, "pad": "%s"}\n' % (i, b"x" * (i % 50)) for i in range(500))
    data = gzip.compress(text[:5000]) + gzip.compress(text[5000:] + b'{"crlf": 1}\r\n\n{"last": "no newline"}')
    assert lines_of(data) == readline_lines(data)
    assert lines_of(data)[-1] == (503, b'{"last": "no newline"}')
    assert lines_of(data)[-2] == (502, b"")  # a blank line is a line (the load refuses it as not JSON)


def test_given_an_empty_object_or_an_empty_member_when_read_then_no_lines() -> None:
    assert lines_of(b"") == []
    assert lines_of(gzip.compress(b"")) == []


@pytest.mark.parametrize("damage", ["truncated", "garbage after the member", "not gzip"])
def test_given_damaged_gzip_when_read_then_not_a_complete_gzip_file(damage: str) -> None:
    good = gzip.compress(b'{"a": 1}\n' * 1000)
    data = {"truncated": good[: len(good) // 2], "garbage after the member": good + b"trailing junk",
            "not gzip": b"plain text\n"}[damage]
    with pytest.raises(GzipLinesError, match=r"^t\.jsonl\.gz: not a complete gzip file \("):
        lines_of(data)


def test_given_a_line_over_the_limit_when_read_then_refused_naming_the_line() -> None:
    data = gzip.compress(b'{"a": 1}\n' + b'{"b": "' + b"y" * 5000 + b'"}\n')
    with pytest.raises(GzipLinesError, match=r"t\.jsonl\.gz: line 2 is longer than ITC_MAX_LINE_BYTES=1000 bytes"):
        lines_of(data, max_line=1000)
    assert len(lines_of(data, max_line=6000)) == 2


def test_given_a_bomb_when_read_then_refused_before_it_is_inflated_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gzlines, "INFLATE_BYTES", 1 << 16)
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    data = bomb.compress(b"x" * (64 << 20)) + bomb.flush()  # 64 MiB of one line, ~64 KiB of gzip
    with pytest.raises(GzipLinesError, match=r"too big at line 1$"):
        lines_of(data, max_line=1 << 30, max_bytes=1 << 20)
