"""Where ``itc`` points: environment variables, the local stack's defaults, the warehouse connection."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
import psycopg2.extensions
from rich.console import Console

from itc_common_utilities.db import connect
from itc_common_utilities.dsn import require_verified_tls
from itc_common_utilities.settings import DatabaseSettings, SettingsError, load_settings, read_setting
from scripts.paths import DATA_DICTIONARY, REPORTS, SQL_SCRIPTS  # noqa: F401 - re-exported
from scripts.stack import local_stack

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

# wide enough for the summary tables when the output is a pipe or a CI log (rich's default is 80)
# bound to the real stdout/stderr: the Lambda handlers' stdout is redirected to a log file meanwhile
console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 120)
err_console = Console(file=sys.stderr, width=None if sys.stderr.isatty() else 200)


def apply_stack_defaults(state: local_stack.StackState | None) -> list[str]:
    """Fill unset variables from the local stack; return the names filled in (environment wins)."""
    if state is None:
        return []
    filled = []
    for name, value in local_stack.stack_env(state).items():
        if not os.environ.get(name):
            os.environ[name] = value
            filled.append(name)
    return filled


def check_database_targets() -> None:
    """Refuse (InsecureDsnError, naming the variable and the host) a warehouse connection of the environment
    that reaches a server not on this machine without ``sslmode=verify-full``: the DSN variables, and
    ``ITC_DB_HOST`` (``ITC_DB_SSLMODE``, default verify-full, which also overrides a DSN's own sslmode in
    :func:`itc_common_utilities.db.connect`). Every ``itc`` command runs it first (cli.run_command). The
    Lambdas' variables are read through their settings class (:class:`DatabaseSettings`, one field each)."""
    override = read_setting(DatabaseSettings, "sslmode")
    dsns = {"ITC_ADMIN_DATABASE_URL": os.environ.get("ITC_ADMIN_DATABASE_URL"),  # a tool's own variable
            "ITC_DATABASE_URL": read_setting(DatabaseSettings, "database_url")}
    for name, dsn in dsns.items():
        if dsn:
            require_verified_tls(dsn, source=name, sslmode=override if name == "ITC_DATABASE_URL" else None)
    host = read_setting(DatabaseSettings, "host")
    if host and not dsns["ITC_DATABASE_URL"]:
        require_verified_tls(psycopg2.extensions.make_dsn(host=host), source="ITC_DB_HOST",
                             sslmode=override or "verify-full")


def database_url() -> str:
    """The DSN for `migrate` and `docs`: the admin DSN, else the embedded PostgreSQL (started if needed)."""
    from scripts.stack import local_pg

    return local_pg.admin_dsn()


@contextmanager
def warehouse() -> Iterator[psycopg2.extensions.connection]:
    """A connection built from the environment (DSN, or host + secret / IAM auth)."""
    conn = connect(load_settings(DatabaseSettings), application_name="itc-cli")
    try:
        yield conn
    finally:
        conn.close()


def s3_client() -> Any:
    import boto3

    return boto3.client("s3")


def landing_bucket() -> str:
    bucket = os.environ.get("ITC_LANDING_BUCKET")
    if not bucket:
        raise SettingsError("missing required environment variable(s): ITC_LANDING_BUCKET")
    return bucket


def parse_month(text: str) -> str:
    if not MONTH.match(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month: use YYYY-MM, e.g. 2026-10")
    return text


