"""The error taxonomy of every ITC component: what a retry can fix, and what it cannot.

- :class:`TransientError`: a retry can fix it (lost connection, serialization failure, deadlock, lock
  timeout, too many connections, a throttled API). Step Functions' ``Retry`` matches on this name.
- :class:`TerminalError`: a retry cannot fix it (bad data, bad SQL, missing privilege, bad
  configuration); the run fails and alerts.
- :func:`classify_error` / :func:`translate_errors` map driver errors onto the two.
- :func:`safe_error_text` is the one error text fit for logs and ``ops.load_runs.error``: no secrets,
  no record values.
- :func:`alert_reason` / :func:`redact_for_alert`: what a Lambda's error message may say, since Step
  Functions publishes it in the SNS alert (docs/design.md §6): one line, no secrets, no quoted values.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from itc_common_utilities.logger.logger_setup import redact_text

__all__ = [
    "ALERT_REASON_LIMIT",
    "ERROR_TEXT_LIMIT",
    "TerminalError",
    "TransientError",
    "alert_reason",
    "classify_error",
    "redact_for_alert",
    "safe_error_text",
    "translate_errors",
]


class TransientError(Exception):
    """A failure a retry can fix (the name Step Functions' Retry matches on)."""


class TerminalError(Exception):
    """A failure a retry cannot fix: bad data, bad SQL, missing privilege, bad configuration."""


# SQLSTATE classes/codes a retry can fix.
_TRANSIENT_CLASSES = {"08", "53", "57"}  # connection exception, insufficient resources, operator intervention
_TRANSIENT_CODES = {
    "40001",  # psycopg2.errorcodes.SERIALIZATION_FAILURE
    "40P01",  # DEADLOCK_DETECTED
    "55P03",  # LOCK_NOT_AVAILABLE
}
# libpq reports connection-time failures without a SQLSTATE; these ones no retry can fix.
_TERMINAL_CONNECT_TEXT = (
    "authentication failed", "does not exist", "no pg_hba.conf entry", "pg_hba.conf rejects", "no encryption",
    "certificate",
)


def _psycopg2_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a psycopg2 error. psycopg2 is not imported here: a process that never loaded it (an
    extract function, which has no database) cannot have one, and its cold start skips the driver."""
    psycopg2 = sys.modules.get("psycopg2")
    return psycopg2 is not None and isinstance(exc, psycopg2.Error)


def classify_error(exc: BaseException) -> type[TransientError] | type[TerminalError]:
    """Whether ``exc`` (a psycopg2 error or anything else) is worth a retry."""
    if isinstance(exc, TransientError | TerminalError):
        return type(exc)
    if _psycopg2_error(exc):
        psycopg2 = sys.modules["psycopg2"]
        code = exc.pgcode or ""
        if code in _TRANSIENT_CODES or code[:2] in _TRANSIENT_CLASSES:
            return TransientError
        if not code and isinstance(exc, psycopg2.OperationalError | psycopg2.InterfaceError):
            text = str(exc).lower()
            return TerminalError if any(t in text for t in _TERMINAL_CONNECT_TEXT) else TransientError
    return TerminalError


ERROR_TEXT_LIMIT = 2000
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\((?:[^()]|\([^()]*\))*\)=\((?:[^()]|\([^()]*\))*\)')


def safe_error_text(exc: BaseException) -> str:
    """An error message fit for logs and ``ops.load_runs.error``: no secrets and no record values.

    PostgreSQL errors keep their class, SQLSTATE and primary message only (DETAIL and CONTEXT
    lines quote the offending row), with quoted literals masked ("invalid input syntax for type
    integer: \"…\""), since a value in a data error may be PHI.
    """
    if _psycopg2_error(exc):
        diag = getattr(exc, "diag", None)
        primary = (diag.message_primary if diag is not None else None) or (str(exc).strip().splitlines() or [""])[0]
        text = f"{type(exc).__name__} (SQLSTATE {exc.pgcode or 'none'}): {_QUOTED.sub('«value»', primary)}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return redact_text(text.replace("\x00", "\\0"))[:ERROR_TEXT_LIMIT]


@contextmanager
def translate_errors(action: str) -> Iterator[None]:
    """Re-raise driver errors as Transient/TerminalError with a message that names ``action``."""
    try:
        yield
    except (TransientError, TerminalError):
        raise
    except Exception as exc:
        if not _psycopg2_error(exc):
            raise
        raise classify_error(exc)(f"{action} failed: {safe_error_text(exc)}") from exc


ALERT_REASON_LIMIT = ERROR_TEXT_LIMIT  # room for a load guard's whole refusal, which a person acts on
# Packages whose exception messages are written to name things, never values (docs/CONTRACTS.md):
# their quoted names (keys, settings) stay; any other exception's quoted literals are masked.
OWN_PACKAGES = frozenset({"itc_common_utilities", "demand_pipeline", "verifyplus_pipeline", "orchestrator"})
_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'" + r'|"(?:[^"\\]|\\.)*"')


def alert_reason(exc: BaseException) -> str:
    """The one-line reason an alert may carry: :func:`safe_error_text` without the class name (the alert
    has it apart), every line joined into one, quoted literals of a foreign exception (``int('Jane')``
    → ``invalid literal … : «value»``) masked, at most :data:`ALERT_REASON_LIMIT` characters."""
    text = safe_error_text(exc)
    prefix = f"{type(exc).__name__}"
    if text.startswith(prefix + ": "):
        text = text[len(prefix) + 2:]
    if type(exc).__module__.split(".")[0] not in OWN_PACKAGES:
        text = _LITERAL.sub("«value»", text)
    text = " ".join(text.split()) or type(exc).__name__
    return text if len(text) <= ALERT_REASON_LIMIT else text[: ALERT_REASON_LIMIT - 1] + "…"


def redact_for_alert(exc: Exception) -> Exception:
    """``exc`` with its message replaced by :func:`alert_reason`, keeping its class (Step Functions
    retries on the class name and the alert shows it): the same object when its message is its args,
    else a :func:`classify_error` error of that reason. The handler raises this instead of ``exc``."""
    reason = alert_reason(exc)
    if type(exc).__str__ is BaseException.__str__ and not _psycopg2_error(exc):
        exc.args = (reason,)
        return exc
    return classify_error(exc)(f"{type(exc).__name__}: {reason}")
