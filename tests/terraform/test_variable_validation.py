"""Input validation of the modules, checked by `terraform validate` itself (offline).

GIVEN a root that calls the warehouse module with the analysts' route groups WHEN Terraform validates
it THEN anything that is not a security group id (a CIDR, the internet, a name) is rejected with the
module's message, so no network range can be opened to PostgreSQL for analysts: they come through
their route's security group (analyst_access module). One root holds one module call per case, so
each direction costs a single `terraform validate`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from tests.terraform.conftest import MODULES, run_terraform

ACCEPTED = {
    "none": {},
    "ssm_route": {"route": "sg-0123456789abcdef0"},
    "two_routes": {"ssm": "sg-0123456789abcdef0", "client_vpn": "sg-89abcdef"},
}

REJECTED = {
    "internet": ({"route": "0.0.0.0/0"}, "never from a CIDR"),
    "office": ({"route": "203.0.113.0/24"}, "never from a CIDR"),
    "among_others": ({"ssm": "sg-0123456789abcdef0", "office": "10.20.0.0/16"}, "never from a CIDR"),
    "name": ({"route": "office-vpn"}, "must be security group ids"),
    "upper_case": ({"route": "sg-0123456789ABCDEF0"}, "must be security group ids"),
}

PROVIDER = 'provider "aws" {\n  region = "us-east-1"\n}\n'

MODULE_CALL = """
module "{name}" {{
  source              = "{module}"
  name_prefix         = "itc-test"
  vpc_id              = "vpc-0123456789abcdef0"
  subnet_ids          = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  analyst_security_group_ids = {groups}
}}
"""


def hcl_map(values: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k} = {json.dumps(v)}" for k, v in values.items()) + "}"


def validate_root(cli: dict[str, str], root: Path, cases: dict[str, dict[str, str]]) -> str:
    # A relative source keeps the module in the root's package, so its own relative calls
    # (../kms_key) resolve; an absolute path would make it a separate package.
    module = os.path.relpath(MODULES / "itc_data_warehouse", root)
    calls = "".join(MODULE_CALL.format(name=n, module=module, groups=hcl_map(g)) for n, g in cases.items())
    (root / "main.tf").write_text(PROVIDER + calls)
    init = run_terraform(cli, root, "init", "-backend=false", f"-plugin-dir={cli['plugin_dir']}")
    assert init.returncode == 0, init.stdout + init.stderr
    result = run_terraform(cli, root, "validate")
    return str(result.returncode) + "\n" + result.stdout + result.stderr


def errors_by_module(output: str) -> dict[str, str]:
    """Split `terraform validate` diagnostics by the module call each one points at."""
    text = " ".join(output.split())
    marks = list(re.finditer(r'in module "([a-z0-9_]+)"', text))
    found: dict[str, str] = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        found[m.group(1)] = found.get(m.group(1), "") + text[m.end() : end]
    return found


def test_analyst_route_security_groups_are_accepted(terraform_cli: dict[str, str], tmp_path: Path) -> None:
    """GIVEN no route, one route group, two route groups WHEN validated THEN accepted."""
    output = validate_root(terraform_cli, tmp_path, ACCEPTED)
    assert output.startswith("0\n"), output


def test_analyst_cidrs_or_names_instead_of_groups_are_rejected(terraform_cli: dict[str, str], tmp_path: Path) -> None:
    """GIVEN a CIDR (the internet, an office range) or a name where a route's security group belongs
    WHEN validated THEN each module call is rejected with the module's message."""
    output = validate_root(terraform_cli, tmp_path, {n: g for n, (g, _) in REJECTED.items()})
    assert not output.startswith("0\n"), "terraform validate accepted CIDRs or names as analyst groups"
    errors = errors_by_module(output)
    for name, (groups, message) in REJECTED.items():
        assert name in errors, f"{groups} was accepted:\n{output}"
        assert message in errors[name], f"{groups}: {errors[name]}"
