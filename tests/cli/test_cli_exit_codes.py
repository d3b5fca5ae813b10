"""One exit-code convention for the whole `itc` command (scripts/itc/errors.py, README "The itc command"):
0 done, 1 failed (one `error:` line), 2 usage error (an unknown command or option, a missing or invalid
argument; the message names it and nothing runs). Run as a user runs it: `python -m scripts.itc …`."""

from __future__ import annotations

import pytest

from scripts.itc.errors import EXIT_CODES, EXIT_USAGE
from tests.cli.test_itc_cli import itc


def assert_usage_error(args: tuple[str, ...], *expected: str) -> None:
    result = itc(*args, env={})
    assert result.returncode == EXIT_USAGE == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    for text in expected:
        assert text in result.stderr, result.stderr


def test_given_an_unknown_subcommand_when_itc_runs_then_it_exits_2_naming_it() -> None:
    """GIVEN `itc frobnicate` WHEN it runs THEN exit 2 with a message naming the unknown command and the known ones."""
    assert_usage_error(("frobnicate",), "invalid choice: 'frobnicate'", "'access'")


@pytest.mark.parametrize(("args", "message"), [
    (("grant", "J.Doe", "--granted-by", "Dana", "--reason", "SD-1"),
     "error: analyst username 'J.Doe' is not valid: use 3-63 lower-case letters"),
    (("grant", "itc_finance", "--granted-by", "Dana", "--reason", "SD-1"),
     "error: 'itc_finance' is reserved for system and service roles"),
    (("grant", "jdoe", "--granted-by", "Dana", "--reason", "SD-1", "--days", "400"),
     "error: valid_days must be between 1 and 366"),
    (("grant", "jdoe", "--granted-by", "Dana", "--reason", "  "), "error: reason is required"),
    (("grant", "jdoe", "--days", "90"), "the following arguments are required: --granted-by, --reason"),
    (("grant", "jdoe", "--granted-by", "Dana", "--reason", "SD-1", "--days", "ninety"),
     "argument --days: invalid int value: 'ninety'"),
    (("revoke", "postgres", "--revoked-by", "Dana", "--reason", "x"), "error: 'postgres' is reserved"),
    (("frobnicate",), "invalid choice: 'frobnicate'"),
])
def test_invalid_access_input_exits_2_naming_the_problem(args, message) -> None:
    """GIVEN invalid `itc access` input (a malformed or reserved login name, too many days, no reason, a
    missing option, a non-number) WHEN it runs, with no database anywhere
    THEN exit 2 with a message naming the problem: the request is refused before any connection."""
    assert_usage_error(("access", *args), message)


def test_given_help_when_asked_then_itc_and_itc_access_document_the_exit_codes() -> None:
    """GIVEN `itc --help` and `itc access --help` THEN both state the exit codes the tests above check."""
    for args in (("--help",), ("access", "--help")):
        result = itc(*args, env={})
        assert result.returncode == 0
        assert " ".join(EXIT_CODES.split()) in " ".join(result.stdout.split())
    assert "2 usage error" in EXIT_CODES and "1 failed" in EXIT_CODES
