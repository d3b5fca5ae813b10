"""Input validation of the modules, checked by `terraform validate` itself (offline).

GIVEN a root that calls the warehouse module with an analyst allow-list WHEN Terraform validates
it THEN unsafe or malformed CIDRs are rejected with the module's message, so an allow-list that
opens PostgreSQL to the internet never reaches a plan. One root holds one module call per case,
so each direction costs a single `terraform validate`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from tests.terraform.conftest import MODULES, run_terraform

ACCEPTED = {
    "none": [],
    "one_office": ["203.0.113.0/24"],
    "vpn_and_host": ["10.20.0.0/16", "198.51.100.7/32"],
}

REJECTED = {
    "internet": (["0.0.0.0/0"], "must not contain 0.0.0.0/0"),
    "internet_among_others": (["203.0.113.0/24", "0.0.0.0/0"], "must not contain 0.0.0.0/0"),
    "half_internet": (["0.0.0.0/1"], "must not contain 0.0.0.0/0"),
    "no_prefix": (["203.0.113.0"], "canonical IPv4 CIDR"),
    "host_bits": (["203.0.113.5/24"], "canonical IPv4 CIDR"),
    "bad_octet": (["300.1.1.0/24"], "canonical IPv4 CIDR"),
    "name": (["office-vpn"], "canonical IPv4 CIDR"),
    "ipv6_any": (["::/0"], "canonical IPv4 CIDR"),
}

PROVIDER = 'provider "aws" {\n  region = "us-east-1"\n}\n'

MODULE_CALL = """
module "{name}" {{
  source              = "{module}"
  name_prefix         = "itc-test"
  vpc_id              = "vpc-0123456789abcdef0"
  subnet_ids          = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  analyst_cidr_blocks = {cidrs}
}}
"""


def validate_root(cli: dict[str, str], root: Path, cases: dict[str, list[str]]) -> str:
    # A relative source keeps the module in the root's package, so its own relative calls
    # (../kms_key) resolve; an absolute path would make it a separate package.
    module = os.path.relpath(MODULES / "itc_data_warehouse", root)
    calls = "".join(MODULE_CALL.format(name=n, module=module, cidrs=json.dumps(c)) for n, c in cases.items())
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


def test_allow_listed_analyst_cidrs_are_accepted(terraform_cli: dict[str, str], tmp_path: Path) -> None:
    output = validate_root(terraform_cli, tmp_path, ACCEPTED)
    assert output.startswith("0\n"), output


def test_unsafe_or_malformed_analyst_cidrs_are_rejected(terraform_cli: dict[str, str], tmp_path: Path) -> None:
    output = validate_root(terraform_cli, tmp_path, {n: c for n, (c, _) in REJECTED.items()})
    assert not output.startswith("0\n"), "terraform validate accepted unsafe CIDRs"
    errors = errors_by_module(output)
    for name, (cidrs, message) in REJECTED.items():
        assert name in errors, f"{cidrs} was accepted:\n{output}"
        assert message in errors[name], f"{cidrs}: {errors[name]}"
