"""JSON logging for every ITC Lambda and local command, on Powertools for AWS Lambda's Logger.

Each line is one JSON object on stdout with ``service``, ``level``, ``message``, the Lambda
context when there is one, and ``correlation_id`` = the run id. Keys that look like secrets
(password, token, authorization, dsn, secret, ...) are replaced by ``"***"`` at any depth, and
passwords inside DSN-like strings are masked, so a careless ``logger.info(..., extra=...)`` cannot
leak a credential. Record payloads (PHI) must never be logged at all: log counts and keys.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from itc_common_utilities.settings import LoggingSettings, load_settings

REDACTED = "***"
_SECRET_KEY = re.compile(r"pass(word|wd)?|token|authorization|dsn|secret|credential|api[_-]?key", re.I)
# postgresql://user:password@host  ->  postgresql://user:***@host ; also password=... in key/value DSNs
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]+)(?=@)", re.I)
_KV_PASSWORD = re.compile(r"(?P<key>\bpassword\s*=\s*)(?P<pw>'[^']*'|\S+)", re.I)
_AUTH_HEADER = re.compile(r"(?P<key>QB-USER-TOKEN\s+)(?P<pw>\S+)", re.I)


def redact_text(text: str) -> str:
    """Mask passwords in DSNs and tokens in authorization headers inside free text."""
    text = _URL_PASSWORD.sub(lambda m: m.group("scheme") + REDACTED, text)
    text = _KV_PASSWORD.sub(lambda m: m.group("key") + REDACTED, text)
    return _AUTH_HEADER.sub(lambda m: m.group("key") + REDACTED, text)


def redact(value: Any, key: str | None = None) -> Any:
    """Return ``value`` with secret-looking keys replaced and DSN passwords masked, recursively."""
    if key is not None and _SECRET_KEY.search(key) and value not in (None, ""):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


class _RedactingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: dict[str, Any]) -> str:
        return super().serialize(redact(log))


def setup_logger(name: str, *, run_id: str | None = None, level: str | None = None) -> Logger:
    """Return the service's Powertools Logger (JSON to stdout), with ``run_id`` as correlation id.

    Calling it again with the same name returns a logger sharing the same handler, so modules can
    call ``setup_logger("demand_pipeline")`` at import time and the handler can later set the run id.
    """
    settings = load_settings(LoggingSettings)
    logger = Logger(
        service=settings.service or name,
        level=level or settings.level,
        logger_formatter=_RedactingFormatter(),
        child=False,
    )
    logger._logger.propagate = False
    if run_id is not None:
        set_run_id(logger, run_id)
    return logger


def set_run_id(logger: Logger, run_id: str) -> None:
    """Use the run id as the correlation id of every following line."""
    logger.set_correlation_id(run_id)
    logger.append_keys(run_id=run_id)


logging.getLogger("botocore").setLevel(logging.WARNING)
logging.getLogger("urllib3").setLevel(logging.WARNING)
