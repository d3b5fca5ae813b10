"""PostgreSQL access shared by every ITC component.

- :func:`connect` opens a psycopg2 connection from a DSN, or from a Secrets Manager secret ARN (or
  an RDS IAM auth token) plus host, with ``sslmode``, a statement timeout and a ``connect_timeout``
  (``ITC_DB_CONNECT_TIMEOUT_S``, default 10 s).
- :func:`copy_rows` streams rows from an iterator into ``COPY ... FROM STDIN`` (text format) without
  materialising them.
- :func:`advisory_xact_lock` serialises work on one key (a source, the refresh) for a transaction.

Error messages never contain the DSN or password. Driver errors surface as the taxonomy of
:mod:`itc_common_utilities.errors` (``TransientError`` / ``TerminalError``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from itc_common_utilities.errors import TerminalError, translate_errors
from itc_common_utilities.settings import DatabaseSettings, read_setting

CONNECT_TIMEOUT_ENV = "ITC_DB_CONNECT_TIMEOUT_S"  # DatabaseSettings.connect_timeout_s
DEFAULT_CONNECT_TIMEOUT_S = 10


def _secret_credentials(secrets_client: Any, secret_arn: str) -> tuple[str, str]:
    try:
        payload = json.loads(secrets_client.get_secret_value(SecretId=secret_arn)["SecretString"])
        return payload["username"], payload["password"]
    except (KeyError, TypeError, ValueError):
        raise TerminalError(
            "database secret is not a JSON object with 'username' and 'password'"
        ) from None


def _aws_client(service: str, region: str | None) -> Any:
    from itc_common_utilities import aws

    return aws.client(service, region_name=region) if region else aws.client(service)


def connect_timeout_s(settings: DatabaseSettings | None = None) -> int:
    """libpq ``connect_timeout`` of every connection :func:`connect` opens: ``ITC_DB_CONNECT_TIMEOUT_S``
    (default 10 s), so an unreachable database fails the step in seconds instead of hanging it."""
    if settings is not None:
        return settings.connect_timeout_s
    return read_setting(DatabaseSettings, "connect_timeout_s")  # a bare DSN: this one field of the class


def connect(
    settings: DatabaseSettings | None = None,
    *,
    dsn: str | None = None,
    secrets_client: Any = None,
    rds_client: Any = None,
    application_name: str = "itc",
    autocommit: bool = False,
) -> psycopg2.extensions.connection:
    """Open a connection; ``dsn`` (or ``settings.database_url``) wins over secret / IAM settings.

    Without a DSN the password comes from an RDS IAM auth token or the Secrets Manager secret; the
    boto3 client for that is created here unless the caller passes one.
    """
    if settings is None and dsn is None:
        raise TerminalError("connect() needs settings or a dsn")
    dsn = dsn or (settings.database_url if settings else None)
    kwargs: dict[str, Any] = {"application_name": application_name}
    if settings is not None:
        kwargs["options"] = f"-c statement_timeout={settings.statement_timeout_ms}"
        if settings.sslmode:
            kwargs["sslmode"] = settings.sslmode
        if settings.sslrootcert:
            kwargs["sslrootcert"] = settings.sslrootcert
    if dsn is None:
        assert settings is not None and settings.host is not None
        kwargs.update(host=settings.host, port=settings.port, dbname=settings.dbname)
        kwargs.setdefault("sslmode", "verify-full")
        if settings.iam_auth:
            rds_client = rds_client or _aws_client("rds", settings.region)
            kwargs["user"] = settings.user
            kwargs["password"] = rds_client.generate_db_auth_token(
                DBHostname=settings.host, Port=settings.port, DBUsername=settings.user
            )
        else:
            if settings.secret_arn is None:
                raise TerminalError("ITC_DB_SECRET_ARN is needed when IAM database auth is off")
            secrets_client = secrets_client or _aws_client("secretsmanager", settings.region)
            kwargs["user"], kwargs["password"] = _secret_credentials(secrets_client, settings.secret_arn)
    with translate_errors("connecting to the warehouse"):
        if "connect_timeout" not in psycopg2.extensions.parse_dsn(dsn or ""):  # a DSN's own timeout wins
            kwargs["connect_timeout"] = connect_timeout_s(settings)
        conn = psycopg2.connect(dsn or "", **kwargs)
    conn.autocommit = autocommit
    return conn


# ---------------------------------------------------------------------------------------- COPY

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class NulByteError(ValueError):
    """PostgreSQL text cannot hold a NUL byte; such a value must be rejected upstream."""


def encode_copy_value(value: Any) -> str:
    """One value in COPY text format: ``\\N`` for None, escaped text otherwise ('' stays '')."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = str(value)
    if "\x00" in text:
        raise NulByteError("a value contains a NUL byte, which PostgreSQL text cannot store")
    return text.translate(_COPY_ESCAPES)


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


_RENDER: dict[type, Callable[[Any], str]] = {
    type(None): lambda _v: "\\N",
    int: int.__str__,
    bool: lambda v: "t" if v else "f",
    datetime: datetime.isoformat,
    dict: _json_text,
    list: _json_text,
}


def encode_copy_row(row: Sequence[Any]) -> str:
    """COPY text of one row (newline-terminated), built in one pass for the common case.

    Values are rendered without escaping, then the line is checked with C-level scans: if it holds
    exactly the expected tabs, one backslash per NULL and no newline, carriage return or NUL, no
    value needed escaping. Otherwise (rare) the row is encoded again by the shared, escaping encoder,
    which also raises :class:`NulByteError`.
    """
    try:
        out = [v if type(v) is str else _RENDER[type(v)](v) for v in row]
    except (KeyError, TypeError):  # another type, or JSON orjson cannot write (e.g. a >64-bit integer)
        return _encode_copy_row_escaped(row)
    line = "\t".join(out)
    if (line.count("\t") != len(out) - 1 or line.count("\\") != row.count(None) or "\n" in line
            or "\r" in line or "\x00" in line):
        return _encode_copy_row_escaped(row)
    return line + "\n"


def _encode_copy_row_escaped(row: Sequence[Any]) -> str:
    return "\t".join(map(encode_copy_value, row)) + "\n"


class _IterStream:
    """A read()-able file over an iterator of text lines, holding at most one chunk in memory."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self._buffer = b""
        self.rows = 0

    def read(self, size: int = -1) -> bytes:
        chunks = [self._buffer]
        have = len(self._buffer)
        while size < 0 or have < size:
            line = next(self._lines, None)
            if line is None:
                break
            data = line.encode("utf-8")
            chunks.append(data)
            have += len(data)
            self.rows += 1
        data = b"".join(chunks)
        if size < 0:
            self._buffer = b""
            return data
        self._buffer = data[size:]
        return data[:size]

    readline = read


def copy_rows(
    cursor: psycopg2.extensions.cursor,
    table: str | sql.Composable,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    chunk_bytes: int = 1 << 20,
) -> int:
    """Stream ``rows`` into ``table(columns)`` with COPY; returns the number of rows sent."""
    target = sql.Identifier(*table.split(".")) if isinstance(table, str) else table
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        target, sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    stream = _IterStream(encode_copy_row(row) for row in rows)
    cursor.copy_expert(statement.as_string(cursor), stream, size=chunk_bytes)
    return stream.rows


def copy_lines(
    cursor: psycopg2.extensions.cursor,
    table: str | sql.Composable,
    columns: Sequence[str],
    lines: Iterable[str],
    *,
    chunk_bytes: int = 1 << 20,
) -> int:
    """Like :func:`copy_rows` for text already encoded with :func:`encode_copy_row` (hot paths).

    Returns the number of items sent: rows when each item is one line, chunks when the caller
    passes several lines per item.
    """
    target = sql.Identifier(*table.split(".")) if isinstance(table, str) else table
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        target, sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    stream = _IterStream(lines)
    cursor.copy_expert(statement.as_string(cursor), stream, size=chunk_bytes)
    return stream.rows


# ------------------------------------------------------------------------------ advisory locks

ADVISORY_NAMESPACE = "itc"


def advisory_xact_lock(cursor: psycopg2.extensions.cursor, name: str) -> None:
    """Block until this transaction holds the advisory lock ``name`` (released at commit/rollback)."""
    cursor.execute(
        "SELECT pg_advisory_xact_lock(hashtext(%s), hashtext(%s))", (ADVISORY_NAMESPACE, name)
    )


def try_advisory_xact_lock(cursor: psycopg2.extensions.cursor, name: str) -> bool:
    """Take the advisory lock ``name`` for this transaction if free; False when someone holds it."""
    cursor.execute(
        "SELECT pg_try_advisory_xact_lock(hashtext(%s), hashtext(%s))", (ADVISORY_NAMESPACE, name)
    )
    return bool(cursor.fetchone()[0])
