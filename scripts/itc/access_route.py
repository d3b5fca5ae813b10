"""The analysts' route to the private warehouse, as ``itc access grant`` prints it (docs/access.md
"Reaching the warehouse").

RDS is private: analysts reach it through the route ``terraform/itc-beta`` deploys
(``terraform_modules/analyst_access``). Settings, argument → environment → default (docs/CONTRACTS.md):

- ``ITC_ANALYST_ROUTE``: ``ssm`` (Session Manager port forwarding), ``client_vpn``, or ``direct``
  (the default: a server this machine reaches, e.g. the local TLS cluster); output ``analyst_route``.
- ``ITC_ANALYST_SSM_TARGET``: the port-forwarding instance id (``ssm``); ``analyst_bastion_instance_id``.
- ``ITC_ANALYST_SSM_DOCUMENT``: the Session Manager document fixed to the warehouse (``ssm``);
  ``analyst_port_forward_document_name``.
- ``ITC_ANALYST_LOCAL_PORT``: the local end of the tunnel (``ssm``; default 15432).
- ``ITC_ANALYST_DB_HOST``: the RDS name the certificate is checked against (default: the admin
  connection's host); ``warehouse_address``.

(the outputs are those of ``terraform/itc-beta``)

Through the tunnel the client connects to 127.0.0.1 and still verifies the server as the RDS name
(``sslmode=verify-full``): libpq with ``host=<RDS name> hostaddr=127.0.0.1``; JDBC/ODBC tools, which
have no hostaddr, with a hosts-file line ``127.0.0.1 <RDS name>``. The settings are checked before
anything changes (:class:`RouteError`, exit 2).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

ROUTES = ("ssm", "client_vpn", "direct")
DEFAULT_LOCAL_PORT = 15432
LOOPBACK = "127.0.0.1"
INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8,17}$")
DOCUMENT_NAME = re.compile(r"^[a-zA-Z0-9_.-]{3,128}$")
LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){LABEL}(\.{LABEL})*$")
RDS_REGION = re.compile(r"\.([a-z]{2}(?:-[a-z]+)+-\d)\.rds\.amazonaws\.com$")


class RouteError(ValueError):
    """A route setting is missing or malformed (a usage error): the message names the variable."""


@dataclass(frozen=True)
class Route:
    """How analysts reach the warehouse: the route and, for ``ssm``, the tunnel's two ends."""

    kind: str = "direct"
    ssm_target: str | None = None
    ssm_document: str | None = None
    local_port: int = DEFAULT_LOCAL_PORT
    db_host: str | None = None

    @property
    def tunnel(self) -> bool:
        return self.kind == "ssm"


def load_route(kind: str | None = None, local_port: int | None = None,
               env: Mapping[str, str] | None = None) -> Route:
    """The route from the arguments, else the environment, else ``direct``; RouteError names a bad setting."""
    env = os.environ if env is None else env
    kind = kind or env.get("ITC_ANALYST_ROUTE") or "direct"
    if kind not in ROUTES:
        raise RouteError(f"ITC_ANALYST_ROUTE must be one of {', '.join(ROUTES)}, got {kind!r}")
    port_text = str(local_port) if local_port is not None else env.get("ITC_ANALYST_LOCAL_PORT")
    port_text = port_text or str(DEFAULT_LOCAL_PORT)
    if not port_text.isdigit() or not 1024 <= int(port_text) <= 65535:
        raise RouteError(f"ITC_ANALYST_LOCAL_PORT must be a port between 1024 and 65535, got {port_text!r}")
    db_host = env.get("ITC_ANALYST_DB_HOST") or None
    if db_host is not None and not HOST_NAME.match(db_host):
        raise RouteError(f"ITC_ANALYST_DB_HOST must be a host name (the RDS endpoint), got {db_host!r}")
    target = env.get("ITC_ANALYST_SSM_TARGET") or None
    document = env.get("ITC_ANALYST_SSM_DOCUMENT") or None
    if kind == "ssm":
        missing = [name for name, value in (("ITC_ANALYST_SSM_TARGET", target),
                                            ("ITC_ANALYST_SSM_DOCUMENT", document)) if not value]
        if missing:
            raise RouteError(f"route ssm needs {' and '.join(missing)} (terraform/itc-beta outputs "
                             "analyst_bastion_instance_id and analyst_port_forward_document_name)")
        if not INSTANCE_ID.match(target or ""):
            raise RouteError(f"ITC_ANALYST_SSM_TARGET must be an EC2 instance id (i-...), got {target!r}")
        if not DOCUMENT_NAME.match(document or ""):
            raise RouteError(f"ITC_ANALYST_SSM_DOCUMENT must be a Session Manager document name, got {document!r}")
    return Route(kind, target, document, int(port_text), db_host)


def start_session_command(route: Route, db_host: str) -> str:
    """The exact ``aws ssm start-session`` that opens the tunnel (the region is the RDS endpoint's)."""
    region = RDS_REGION.search(db_host)
    return " ".join(["aws ssm start-session", *([f"--region {region.group(1)}"] if region else []),
                     f"--target {route.ssm_target}", f"--document-name {route.ssm_document}",
                     f"--parameters localPortNumber={route.local_port}"])


def steps(route: Route, db_host: str) -> list[str]:
    """What the analyst does before connecting (printed above the connection strings)."""
    if route.kind == "ssm":
        return [
            "Reach the warehouse (route ssm: Session Manager port forwarding; needs the AWS CLI v2, the Session "
            "Manager plugin and the analysts' IAM policy, terraform output analyst_access_policy_arn):",
            f"  1. open the tunnel and keep it open while connected: {start_session_command(route, db_host)}",
            f"  2. connect to 127.0.0.1:{route.local_port}, verifying the server as {db_host} (TLS is end to end "
            "through the tunnel; sslmode=verify-full checks the RDS name):",
        ]
    if route.kind == "client_vpn":
        return [
            "Reach the warehouse (route client_vpn: connect the AWS VPN Client with the ITC analysts' profile "
            "and your client certificate or company login first), then:",
        ]
    return []


def jdbc_lines(route: Route, db_host: str) -> list[str]:
    """For tools without hostaddr (JDBC, ODBC): the hosts-file line that keeps verify-full through the tunnel."""
    if not route.tunnel:
        return []
    return [f"  JDBC/ODBC tools (no hostaddr): add the hosts-file line `{LOOPBACK} {db_host}` (/etc/hosts; "
            f"Windows: C:\\Windows\\System32\\drivers\\etc\\hosts), then connect to {db_host}:{route.local_port} with "
            "sslmode=verify-full and the CA bundle (docs/access.md has each BI tool)"]
