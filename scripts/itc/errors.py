"""The ``itc`` command's expected failures, and the one way an error becomes one safe line."""

from __future__ import annotations

from itc_common_utilities.logger.logger_setup import redact_text

EXIT_FAILURE = 1  # the command ran and failed: one `error:` line says why
EXIT_USAGE = 2  # the command line is invalid (argparse's own code): nothing ran, the message names the problem
EXIT_CODES = ("exit status: 0 done; 1 failed (one 'error:' line says why); 2 usage error: an unknown command or "
              "option, a missing or invalid argument or value (the message names it; nothing was changed); "
              "130 interrupted")


class ItcError(RuntimeError):
    """An expected failure: the CLI prints its message on one line and exits non-zero."""


class MissingPieceError(ItcError):
    """A part of ITC this command needs is not in this checkout (yet)."""


def first_line(exc: BaseException) -> str:
    """The first line of an error's text (its type when it has none), with secrets redacted."""
    text = str(exc).strip() or type(exc).__name__
    return redact_text(text.splitlines()[0])


def expected_errors() -> tuple[type[BaseException], ...]:
    """The failures the CLI reports on one line (anything else is a bug and keeps its traceback)."""
    import botocore.exceptions
    import psycopg2
    import requests

    from itc_common_utilities.errors import TerminalError, TransientError
    from itc_common_utilities.http import HttpError
    from itc_common_utilities.manifest import ManifestError
    from itc_common_utilities.migrations import MigrationError
    from itc_common_utilities.settings import SettingsError
    from scripts.stack.local_stack import StackError
    from scripts.stack.service_logins import ServiceLoginError

    return (ItcError, StackError, ServiceLoginError, SettingsError, MigrationError, ManifestError, TerminalError,
            TransientError, HttpError, psycopg2.Error, OSError, botocore.exceptions.BotoCoreError,
            botocore.exceptions.ClientError,
            requests.RequestException)
