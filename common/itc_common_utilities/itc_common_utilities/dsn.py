"""Where a DSN points, and whether it may be used: the one rule for connections made from this machine.

- :func:`dsn_hosts` / :func:`is_local`: a DSN is *local* when every host it names is this machine: a
  Unix socket (no host, or a path), ``localhost``, or a loopback address (127.0.0.0/8, ``::1``). The
  host NAME decides, never ``hostaddr``: it is the name that ``sslmode=verify-full`` checks the
  server's certificate against, so a DSN naming a remote host is remote wherever it is routed.
- :func:`transport_refusal`: why a DSN may not be used (``None`` when it may): a remote DSN must
  verify the server (``sslmode=verify-full``), so neither the password nor the data can reach an
  impostor. The effective sslmode is the caller's override (``ITC_DB_SSLMODE`` wins over the DSN in
  :func:`itc_common_utilities.db.connect`), else the DSN's, else ``PGSSLMODE``, else libpq's default
  ``prefer``.
- :func:`require_verified_tls` raises :class:`InsecureDsnError` with that reason.

Messages name the DSN's host and where the DSN came from, never its user or password.
"""

from __future__ import annotations

import ipaddress

import psycopg2.extensions

from itc_common_utilities.settings import LibpqEnvironment, SettingsError, load_settings

LOCAL_NAMES = ("localhost",)
VERIFIED = "verify-full"


class InsecureDsnError(SettingsError):
    """A DSN reaches a server that is not on this machine without verifying it (sslmode=verify-full)."""


def _params(dsn: str) -> dict[str, str]:
    try:
        return psycopg2.extensions.parse_dsn(dsn)
    except psycopg2.ProgrammingError:
        raise SettingsError("the database DSN is not a valid libpq connection string or URL") from None


def dsn_hosts(dsn: str) -> list[str]:
    """The host names of ``dsn``: its ``host``, else its ``hostaddr`` (TCP to that address), else ``PGHOST`` /
    ``PGHOSTADDR``; ``[""]`` (a Unix socket) when none is set."""
    params = _params(dsn)
    libpq = load_settings(LibpqEnvironment)
    host = params.get("host") or params.get("hostaddr") or libpq.host or libpq.hostaddr or ""
    return [h.strip() for h in host.split(",")] if host else [""]


def _is_local_host(host: str) -> bool:
    if host == "" or host.startswith(("/", "@")):  # a Unix socket (a path, or Linux's abstract namespace)
        return True
    if host.lower() in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_local(dsn: str) -> bool:
    """Whether every host ``dsn`` names is this machine (module docstring)."""
    return all(_is_local_host(h) for h in dsn_hosts(dsn))


def remote_host(dsn: str) -> str | None:
    """The first host of ``dsn`` that is not this machine, or ``None`` when the DSN is local."""
    return next((h for h in dsn_hosts(dsn) if not _is_local_host(h)), None)


def effective_sslmode(dsn: str, override: str | None = None) -> str:
    """The sslmode libpq will use for ``dsn``: ``override``, else the DSN's, else ``PGSSLMODE``, else prefer."""
    return override or _params(dsn).get("sslmode") or load_settings(LibpqEnvironment).sslmode or "prefer"


def transport_refusal(dsn: str, *, source: str, sslmode: str | None = None) -> str | None:
    """Why ``dsn`` (read from ``source``, e.g. an environment variable) may not be used, or ``None``."""
    host = remote_host(dsn)
    if host is None:
        return None
    mode = effective_sslmode(dsn, sslmode)
    if mode == VERIFIED:
        return None
    return (f"{source} reaches {host} with sslmode={mode}, and a server not on this machine needs "
            f"sslmode={VERIFIED}: add sslmode={VERIFIED}&sslrootcert=<CA bundle, e.g. RDS global-bundle.pem> "
            f"to {source} (docs/access.md)")


def require_verified_tls(dsn: str, *, source: str, sslmode: str | None = None) -> None:
    """Raise :class:`InsecureDsnError` when ``dsn`` is remote and does not use ``sslmode=verify-full``."""
    reason = transport_refusal(dsn, source=source, sslmode=sslmode)
    if reason is not None:
        raise InsecureDsnError(reason)
