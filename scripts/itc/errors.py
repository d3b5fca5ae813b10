"""The ``itc`` command's expected failures, and the one way an error becomes one safe line."""

from __future__ import annotations

from itc_common_utilities.logger.logger_setup import redact_text


class ItcError(RuntimeError):
    """An expected failure: the CLI prints its message on one line and exits non-zero."""


class MissingPieceError(ItcError):
    """A part of ITC this command needs is not in this checkout (yet)."""


def first_line(exc: BaseException) -> str:
    """The first line of an error's text (its type when it has none), with secrets redacted."""
    text = str(exc).strip() or type(exc).__name__
    return redact_text(text.splitlines()[0])
