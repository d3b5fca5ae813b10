"""Issue 11 item 2, Terraform: the manifest-signing key is an HMAC_256 key that only the extract roles may use to
sign (kms:GenerateMac) and only the load roles to verify (kms:VerifyMac); the account keeps administration.

How (offline, as tests/terraform/test_landing_and_network_controls.py): a root calls the kms_key module exactly
as terraform/itc-beta/manifest_mac.tf does (its module block is copied from that file, with example role ARNs
for the locals), `terraform plan` runs against a moto server answering STS only, and the planned key and its
policy are read from `terraform show -json`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts.stack.local_stack import threaded_moto
from tests.terraform.conftest import MODULES, plan_json
from tests.terraform.test_landing_and_network_controls import ACCOUNT, READERS, REGION, WRITERS, planned

ENVIRONMENT = Path(__file__).resolve().parents[2] / "terraform" / "itc-beta"
PROVIDER = """
provider "aws" {{
  region                      = "{region}"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints {{
    sts = "{sts}"
  }}
}}

locals {{
  name_prefix              = "itc-test"
  tags                     = {{}}
  landing_writer_role_arns = {writers}
  landing_reader_role_arns = {readers}
}}
"""


@pytest.fixture(scope="module")
def key(terraform_cli: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The planned values of the manifest-signing key."""
    with threaded_moto() as sts:
        root = tmp_path_factory.mktemp("manifest_mac")
        block = (ENVIRONMENT / "manifest_mac.tf").read_text()
        source = json.dumps(os.path.relpath(MODULES / "kms_key", root))
        block = block.replace('"../../terraform_modules/kms_key"', source)
        (root / "main.tf").write_text(PROVIDER.format(region=REGION, sts=sts, writers=json.dumps(WRITERS),
                                                      readers=json.dumps(READERS)) + block)
        keys = planned(plan_json(terraform_cli, root), "module.manifest_mac_key", "aws_kms_key")
        yield next(iter(keys.values()))


def statements(key: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {st["Sid"]: st for st in json.loads(key["policy"])["Statement"]}


def allowed(key: dict[str, Any], action: str) -> set[str]:
    """The principals the key policy lets do ``action`` (wildcards in actions expanded)."""
    who: set[str] = set()
    for st in statements(key).values():
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        if st["Effect"] == "Allow" and any(re.fullmatch(a.replace("*", ".*"), action) for a in actions):
            principals = st["Principal"]["AWS"]
            who |= set(principals if isinstance(principals, list) else [principals])
    return who


def test_given_the_environment_when_planned_then_the_manifest_key_is_an_hmac_key_without_rotation(key):
    """GIVEN manifest_mac.tf WHEN planned THEN the key is HMAC_256 for GENERATE_VERIFY_MAC (KMS cannot rotate
    HMAC keys, so rotation is off rather than failing the apply)."""
    assert (key["customer_master_key_spec"], key["key_usage"]) == ("HMAC_256", "GENERATE_VERIFY_MAC")
    assert key["enable_key_rotation"] is False


def test_given_the_key_policy_when_read_then_only_extracts_sign_and_only_loads_verify(key):
    """GIVEN the planned key policy THEN GenerateMac is allowed to the two extract roles only, VerifyMac to the
    two load roles only, and the account root keeps administration without either."""
    assert allowed(key, "kms:GenerateMac") == set(WRITERS)
    assert allowed(key, "kms:VerifyMac") == set(READERS)
    root = statements(key)["AccountAdministration"]
    assert root["Principal"]["AWS"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert "kms:*" not in root["Action"] and "kms:PutKeyPolicy" in root["Action"]
