"""The local stack's service logins (the loaders, itc_refresher, itc_migrator) and how a password is set.

In AWS the pipelines log in with IAM database authentication; locally each service login gets a
generated password, kept under ``.local/secrets/<role>.password`` (0600), set on the server once
(:func:`set_service_passwords`: at ``itc stack up`` and after migrations) and used through
:func:`local_login_dsn`, which changes nothing on the server. :func:`set_password` is the one way a
password is set (analyst logins too): a SCRAM-SHA-256 verifier computed here, with the server's
statement and error logging off for that transaction where the login may switch it off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
import psycopg2.errors
from psycopg2 import sql

from itc_common_utilities.dsn import remote_host
from scripts.paths import LOCAL

SECRETS_DIR = LOCAL / "secrets"
# itc_loader_demand / itc_loader_verifyplus: each source's loads (50_create_per_source_loader_logins.sql)
SERVICE_LOGINS = ("itc_loader_demand", "itc_loader_verifyplus", "itc_refresher", "itc_migrator")


class ServiceLoginError(ValueError):
    """A role that is not one of the local service logins, or a cluster that is not local."""


def scram_verifier(password: str, *, iterations: int = 4096, salt: bytes | None = None) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for ``password`` (as psql's \\password sends it)."""
    salt = salt or secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = base64.b64encode
    return (f"SCRAM-SHA-256${iterations}:{b64(salt).decode()}"
            f"${b64(stored_key).decode()}:{b64(server_key).decode()}")


def generate_password() -> str:
    return secrets.token_urlsafe(24)  # ASCII only: SASLprep leaves it unchanged


def set_password(cur: Any, role: str, password: str) -> None:
    """ALTER ROLE … PASSWORD with the SCRAM verifier, kept out of the server log: a failing statement is
    logged with its text (``log_min_error_statement``), so statement and error logging are switched off
    for this transaction first where the login may do so (a superuser; elsewhere the server's settings
    apply and pgAudit's role class decides)."""
    cur.execute("SAVEPOINT itc_quiet_log")
    try:
        cur.execute("SET LOCAL log_statement = 'none'")
        cur.execute("SET LOCAL log_min_error_statement = 'panic'")
    except psycopg2.errors.InsufficientPrivilege:
        cur.execute("ROLLBACK TO SAVEPOINT itc_quiet_log")
    statement = sql.SQL("ALTER ROLE {} PASSWORD {}")
    cur.execute(statement.format(sql.Identifier(role), sql.Literal(scram_verifier(password))))


def local_password(role: str, secrets_dir: Path = SECRETS_DIR) -> str:
    """The local password of a service login: generated once, kept in .local/secrets/<role>.password."""
    secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = secrets_dir / f"{role}.password"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    password = generate_password()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(password + "\n")
    return password


def set_service_passwords(admin_dsn: str) -> list[str]:
    """Give every service login that exists on the server of ``admin_dsn`` its local password (from
    .local/secrets); returns the roles set. Run once where the roles may be new (``itc stack up``,
    after migrations), never per call: concurrent ALTER ROLEs of one role collide ("tuple
    concurrently updated"), so callers are also serialised by an advisory lock. Refused (ServiceLoginError)
    on a cluster that is not on this machine: there the service logins use IAM database authentication
    and a password would only widen how they can log in."""
    host = remote_host(admin_dsn)
    if host is not None:
        raise ServiceLoginError(f"service login passwords are set only on a cluster on this machine, not on {host} "
                                "(a remote cluster's service logins use IAM database authentication)")
    conn = psycopg2.connect(admin_dsn)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('itc.service_passwords'))")
            cur.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s) ORDER BY rolname",
                        (list(SERVICE_LOGINS),))
            roles = [row[0] for row in cur.fetchall()]
            for role in roles:
                set_password(cur, role, local_password(role))
    finally:
        conn.close()
    return roles


def local_login_dsn(admin_dsn: str, role: str, *, dbname: str | None = None) -> str:
    """A DSN logging in as service login ``role`` (one of :data:`SERVICE_LOGINS`) on the
    server of ``admin_dsn``, with its local password; changes nothing on the server (the password is
    set by :func:`set_service_passwords`). The DSN holds a password: never log it."""
    if role not in SERVICE_LOGINS:
        raise ServiceLoginError(f"{role} is not a service login ({', '.join(SERVICE_LOGINS)})")
    password = local_password(role)
    parts = urlsplit(admin_dsn)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{quote(role, safe='')}:{quote(password, safe='')}@{host}" + (f":{parts.port}" if parts.port else "")
    path = "/" + dbname if dbname else parts.path
    return urlunsplit(parts._replace(netloc=netloc, path=path))
