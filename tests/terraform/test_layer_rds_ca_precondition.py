"""A layer without AWS's RDS CA bundle cannot reach a plan: the lambda_function module reads the build record
(manifest.json beside the layer zip, written by scripts/build/package_lambdas.py) and its preconditions stop
the plan unless the record describes this very zip and its ``rds_ca_bundle`` kind is in
``allowed_rds_ca_kinds`` (default ``["aws-rds-global"]``).

How (offline, as tests/terraform/test_manifest_mac_key.py): a root calls terraform_modules/lambda_function with a
small layer zip and a manifest.json whose layer entry is made by package_lambdas.describe(), `terraform plan`
runs against a moto server answering STS only, and the plan's exit status and error text are read.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts.build import package_lambdas
from scripts.stack.local_stack import threaded_moto
from tests.terraform.conftest import MODULES, moto_provider_block, run_terraform

ROOT = """
variable "allowed_rds_ca_kinds" {{
  type    = list(string)
  default = null
}}

module "function" {{
  source = {source}

  name                       = "itc-test-function"
  description                = "precondition test"
  handler                    = "orchestrator.main.handler"
  package_path               = "${{path.root}}/dist/orchestrator.zip"
  layer_package_path         = "${{path.root}}/dist/orchestrator-layer.zip"
  allowed_rds_ca_kinds       = var.allowed_rds_ca_kinds
  environment_variables      = {{ ITC_ENV = "beta" }}
  kms_key_arn                = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  vpc_id                     = "vpc-0123456789abcdef0"
  vpc_cidr_block             = "10.40.0.0/16"
  subnet_ids                 = ["subnet-0123456789abcdef0"]
  security_group_description = "precondition test"
}}
"""
DEPLOY_COMMAND = "ITC_DEPLOYMENT_BUILD=1 ITC_RDS_CA_BUNDLE=/path/to/global-bundle.pem make package"


@pytest.fixture(scope="module")
def root(terraform_cli: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An initialised root with dist/orchestrator.zip and dist/orchestrator-layer.zip (no manifest yet)."""
    with threaded_moto() as sts:
        folder = tmp_path_factory.mktemp("layer_precondition")
        dist = folder / "dist"
        dist.mkdir()
        for name, member in (("orchestrator.zip", "orchestrator/main.py"),
                             ("orchestrator-layer.zip", "python/itc_common_utilities/__init__.py")):  # fmt: skip
            with zipfile.ZipFile(dist / name, "w") as zf:
                zf.writestr(member, "")
        source = json.dumps(os.path.relpath(MODULES / "lambda_function", folder))
        (folder / "main.tf").write_text(moto_provider_block(sts) + ROOT.format(source=source))
        mirror = f"-plugin-dir={terraform_cli['plugin_dir']}"
        init = run_terraform(terraform_cli, folder, "init", "-backend=false", mirror)
        assert init.returncode == 0, init.stdout + init.stderr
        yield folder


def write_manifest(root: Path, kind: str | None, *, layer_sha256_of: Path | None = None) -> None:
    """dist/manifest.json as package_lambdas writes it; kind None: no manifest at all. ``layer_sha256_of``
    describes another file under the layer's name (a manifest that is not this zip's)."""
    manifest = root / "dist" / "manifest.json"
    manifest.unlink(missing_ok=True)
    if kind is None:
        return
    layer = root / "dist" / "orchestrator-layer.zip"
    described = package_lambdas.describe(layer_sha256_of or layer)
    entry: dict[str, Any] = {"lambda": "orchestrator", "kind": "layer", **described}
    entry["file"] = layer.name
    entry["rds_ca_bundle"] = {"kind": kind, "sha256": None if kind == "none" else "ab" * 32}
    manifest.write_text(json.dumps({"rds_ca_bundle": {"kind": kind}, "zips": [entry]}))


def plan(cli: dict[str, str], root: Path, *var_args: str) -> tuple[int, str]:
    result = run_terraform(cli, root, "plan", "-refresh=false", "-input=false", *var_args)
    return result.returncode, " ".join((result.stdout + result.stderr).split())  # unwrapped


@pytest.mark.parametrize("kind", ["none", "rehearsal-stand-in"])
def test_given_a_layer_without_aws_rds_bundle_when_planned_then_it_stops_saying_how(
    terraform_cli: dict[str, str], root: Path, kind: str
) -> None:
    """GIVEN a layer recorded with CA kind none / rehearsal-stand-in WHEN planned with the default variables
    THEN the plan fails naming the kind, the allowed kinds and the command that builds a deployable layer."""
    write_manifest(root, kind)

    code, output = plan(terraform_cli, root)

    assert code == 1
    assert f'The layer orchestrator-layer.zip carries RDS CA bundle kind "{kind}"' in output
    assert "this environment allows only aws-rds-global" in output
    assert DEPLOY_COMMAND in output
    assert "terraform/itc-beta/README.md, step 3" in output


def test_given_a_layer_with_aws_rds_bundle_when_planned_then_its_version_is_planned(
    terraform_cli: dict[str, str], root: Path
) -> None:
    """GIVEN a layer recorded with kind aws-rds-global WHEN planned THEN the plan succeeds with the layer in it."""
    write_manifest(root, "aws-rds-global")

    code, output = plan(terraform_cli, root)

    assert code == 0, output
    assert "module.function.aws_lambda_layer_version.this[0] will be created" in output


def test_given_a_stand_in_layer_and_an_environment_allowing_it_then_it_plans(
    terraform_cli: dict[str, str], root: Path
) -> None:
    """GIVEN a stand-in layer and allowed_rds_ca_kinds listing rehearsal-stand-in (local-moto.tfvars) WHEN
    planned THEN the plan succeeds."""
    write_manifest(root, "rehearsal-stand-in")

    code, output = plan(terraform_cli, root, "-var", 'allowed_rds_ca_kinds=["aws-rds-global","rehearsal-stand-in"]')

    assert code == 0, output


@pytest.mark.parametrize("case", ["no manifest", "another zip's record"])
def test_given_no_record_of_this_layer_zip_when_planned_then_the_plan_stops(
    terraform_cli: dict[str, str], root: Path, case: str
) -> None:
    """GIVEN no manifest.json, or one whose layer entry has another zip's sha256 WHEN planned THEN the plan
    fails: manifest.json has no record of the layer zip as it is now."""
    if case == "no manifest":
        write_manifest(root, None)
    else:
        write_manifest(root, "aws-rds-global", layer_sha256_of=root / "dist" / "orchestrator.zip")

    code, output = plan(terraform_cli, root)

    assert code == 1
    assert "manifest.json has no record of orchestrator-layer.zip as it is now (its sha256)" in output
