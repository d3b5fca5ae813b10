"""Alerts without payloads, the Lambda side (docs/design.md §6): whatever a handler raises leaves it as
the same error class with a one-line message holding no secret and no quoted value of a foreign
exception, at most ALERT_REASON_LIMIT characters. Step Functions publishes that message (and only it)
in the SNS alert; tests/terraform/test_state_machines.py checks the alert's structure."""

from __future__ import annotations

from typing import Any

import pytest

from itc_common_utilities.errors import ALERT_REASON_LIMIT, TerminalError, TransientError
from itc_common_utilities.handler import BadEventError, Invocation, handle
from itc_common_utilities.logger.logger_setup import setup_logger

NAME = "Jane Roe"
LOGGER = setup_logger("alert_redaction_test")


def raised_by(run: Any, event: Any = None) -> Exception:
    """What a Lambda built on :func:`handle` raises when its only mode runs ``run``."""
    with pytest.raises(Exception) as info:
        handle(event if event is not None else {"mode": "go"}, None, service="svc", logger=LOGGER, settings=[],
               runs={"go": run})
    return info.value


def fail(exc: Exception) -> Any:
    def run(_invocation: Invocation) -> dict[str, Any]:
        raise exc
    return run


def test_foreign_error_keeps_its_class_and_masks_the_value():
    """GIVEN a mode that fails with ValueError("invalid literal for int() with base 10: 'Jane Roe'") on
    two lines WHEN the handler runs THEN it raises ValueError (Step Functions sees the class) whose message
    is one line with the value masked."""
    exc = raised_by(fail(ValueError(f"invalid literal for int() with base 10: '{NAME}'\n  in record 7")))

    assert type(exc) is ValueError
    assert str(exc) == "invalid literal for int() with base 10: «value» in record 7"


def test_own_error_keeps_its_class_and_names_on_one_line():
    """GIVEN a TransientError naming a key across lines WHEN the handler runs THEN it is still a
    TransientError (retried by Step Functions), one line, the quoted key kept (our messages name things)."""
    exc = raised_by(fail(TransientError("lock on source 'demand' not granted\nafter 60 s")))

    assert type(exc) is TransientError
    assert str(exc) == "lock on source 'demand' not granted after 60 s"


def test_secret_is_redacted_and_huge_message_bounded():
    """GIVEN a TerminalError carrying a DSN with a password, then one of 10,000 characters WHEN the
    handler runs THEN the password is gone and the message is at most ALERT_REASON_LIMIT characters."""
    exc = raised_by(fail(TerminalError("cannot reach postgresql://itc_loader:s3cr3t-pw@db.internal:5432/itc")))
    assert "s3cr3t-pw" not in str(exc) and type(exc) is TerminalError
    long = raised_by(fail(TerminalError("x" * (ALERT_REASON_LIMIT + 5000))))
    assert 1000 < len(str(long)) <= ALERT_REASON_LIMIT


def test_database_error_is_terminal_without_the_value(db):
    """GIVEN a mode whose SQL fails on a claimant's name (real PostgreSQL: invalid input syntax for
    type integer: "Jane Roe") WHEN the handler runs THEN a TerminalError naming the driver error class and
    SQLSTATE, without the name, on one line."""
    def run(_invocation: Invocation) -> dict[str, Any]:
        with db.cursor() as cur:
            cur.execute("SELECT %s::int", (NAME,))
        return {}

    exc = raised_by(run)

    assert type(exc) is TerminalError
    assert str(exc).startswith("InvalidTextRepresentation: InvalidTextRepresentation (SQLSTATE 22P02)")
    assert NAME not in str(exc) and "\n" not in str(exc)
    db.rollback()
    assert exc.__cause__ is None  # the driver's text (with its DETAIL lines) is not chained


def test_given_a_bad_event_when_the_handler_runs_then_bad_event_error_on_one_line():
    exc = raised_by(fail(RuntimeError("unused")), event={"mode": "nope"})

    assert type(exc) is BadEventError
    assert str(exc) == "svc: bad event: 'mode' must be one of go (got 'nope')"
