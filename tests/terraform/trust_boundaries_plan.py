"""The plan the trust-boundary tests read (tests/terraform/test_trust_boundaries.py): the environment's own
trust-boundary files and the modules they wire, planned offline against an in-process moto, and the helpers that
read policies out of it. The test module's docstring says how the root is built.
"""

from __future__ import annotations

import fnmatch
import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts.build import package_lambdas
from scripts.stack.local_stack import threaded_moto
from tests.terraform.conftest import MODULES, moto_provider_block, plan_json
from tests.terraform.test_landing_and_network_controls import ACCOUNT, REGION, data_source

ENVIRONMENT = Path(__file__).resolve().parents[2] / "terraform" / "itc-beta"
ROLE = f"arn:aws:iam::{ACCOUNT}:role"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function"
SOURCES = ("demand", "verifyplus")
EXTRACT = {s: f"{ROLE}/itc-test-{s}-extract" for s in SOURCES}
LOAD = {s: f"{ROLE}/itc-test-{s}-load" for s in SOURCES}
LOAD_FUNCTION = {s: f"{FUNCTION}:itc-test-{s}-load" for s in SOURCES}
LOAD_MACHINE = f"{ROLE}/itc-test-load-state-machine"
BREAK_GLASS = f"{ROLE}/itc-test-break-glass"
ONCALL = f"arn:aws:iam::{ACCOUNT}:user/oncall"
AUDITOR = f"{ROLE}/itc-test-auditor"
ADMIN = f"{ROLE}/itc-test-deploy"
MIGRATE = f"{ROLE}/itc-test-migrate"
OTHER = f"{ROLE}/itc-test-orchestrator"
PGAUDIT = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/rds/instance/itc-test-warehouse/postgresql"
LANDING = f"arn:aws:s3:::itc-test-landing-{ACCOUNT}-{REGION}"
TRAIL_BUCKET = f"{LANDING}-trail"
ACCESS_LOG_BUCKET = f"{LANDING}-access-logs"
ITC_ROLES = {
    "demand_extract": "itc-test-demand-extract", "demand_load": "itc-test-demand-load",
    "verifyplus_extract": "itc-test-verifyplus-extract", "verifyplus_load": "itc-test-verifyplus-load",
    "orchestrator": "itc-test-orchestrator", "migrate": "itc-test-migrate",
    "ingest_state_machine": "itc-test-ingest-state-machine", "load_state_machine": "itc-test-load-state-machine",
}

HEADER = """
data "aws_caller_identity" "current" {{}}

variable "break_glass_principal_arns" {{
  type    = list(string)
  default = {break_glass_principals}
}}

variable "auditor_principal_arns" {{
  type    = list(string)
  default = []
}}

# What terraform/itc-beta/main.tf wires in, with example values.
locals {{
  name_prefix                 = "itc-test"
  tags                        = {{}}
  pipeline_roles              = {pipeline_roles}
  load_functions              = {load_functions}
  load_state_machine_role_arn = "{load_machine}"
  landing = {{
    bucket_name = "itc-test-landing"
    bucket_arn  = "{landing}"
    kms_key_arn = "arn:aws:kms:{region}:{account}:key/landing"
  }}
  itc_role_names              = {itc_roles}
  roles_without_load_invoke = merge(
    {{ for k, v in local.itc_role_names : k => v if k != "load_state_machine" }},
    {{ auditor = aws_iam_role.auditor.name }},
  )
  audit_log_group_arns        = ["{pgaudit}"]
  audit_bucket_arns           = ["{trail_bucket}", "{access_log_bucket}"]
  trail_kms_key_arn           = "arn:aws:kms:{region}:{account}:key/trail"
}}

"""

MODULE_CALLS = """
module "landing" {{
  source                = "{landing_module}"
  name_prefix           = "itc-test"
  writer_role_arns      = {writers}
  reader_role_arns      = {readers}
  admin_role_arns       = ["{admin}"]
  auditor_role_arn      = "{auditor}"
  audited_function_arns = {audited}
}}

module "warehouse" {{
  source                  = "{warehouse_module}"
  name_prefix             = "itc-test"
  vpc_id                  = "vpc-0123456789abcdef0"
  subnet_ids              = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  key_admin_role_arns     = ["{admin}"]
  secret_reader_role_arns = ["{migrate}"]
}}
"""


def _module_block(example: Path, name: str) -> str:
    """The `module "<name>" { ... }` block of an examples/minimal root."""
    text = example.read_text()
    start = text.index(f'module "{name}" {{')
    depth = 0
    for i in range(text.index("{", start), len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start:i + 1]
    raise AssertionError(f"unbalanced module block in {example}")


def _dummy_zip(path: Path) -> str:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("placeholder.txt", "not deployed")
    return str(path)


def _build_record(root: Path, modules: tuple[str, ...]) -> None:
    """manifest.json beside the layer zips, as `make package` writes it for a deployment build (the layers'
    precondition needs their record: scripts/build/package_lambdas.py, docs/adr/0009-one-layer-path.md)."""
    zips = []
    for module in modules:
        layer = root / f"{module}-layer.zip"
        zips.append({"lambda": module, "kind": "layer", **package_lambdas.describe(layer), "file": layer.name,
                     "rds_ca_bundle": {"kind": "aws-rds-global", "sha256": "ab" * 32}})
    (root / "manifest.json").write_text(json.dumps({"rds_ca_bundle": {"kind": "aws-rds-global"}, "zips": zips}))


def _environment_files(root: Path) -> str:
    """The environment's trust-boundary files, their kms_key module source made relative to ``root``."""
    source = json.dumps(os.path.relpath(MODULES / "kms_key", root))
    return "".join("\n" + (ENVIRONMENT / name).read_text().replace('"../../terraform_modules/kms_key"', source)
                   for name in ("manifest_mac.tf", "break_glass.tf", "audit.tf"))


def _header(sts: str, break_glass_principals: list[str]) -> str:
    return moto_provider_block(sts, ("sts", "sfn"), REGION) + HEADER.format(
        region=REGION, account=ACCOUNT, break_glass_principals=json.dumps(break_glass_principals),
        pipeline_roles=_hcl({s: {"extract_role_arn": EXTRACT[s], "load_role_arn": LOAD[s]} for s in SOURCES}),
        load_functions=_hcl({s: {"name": f"itc-test-{s}-load", "arn": LOAD_FUNCTION[s]} for s in SOURCES}),
        load_machine=LOAD_MACHINE, landing=LANDING, itc_roles=_hcl(ITC_ROLES), pgaudit=PGAUDIT,
        trail_bucket=TRAIL_BUCKET, access_log_bucket=ACCESS_LOG_BUCKET)


@pytest.fixture(scope="module")
def plan_without_break_glass(terraform_cli: dict[str, str],
                             tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The plan of the environment's trust-boundary files alone with break_glass_principal_arns = []."""
    with threaded_moto() as sts:
        root = tmp_path_factory.mktemp("no_break_glass")
        (root / "main.tf").write_text(_header(sts, []) + _environment_files(root))
        yield plan_json(terraform_cli, root)


@pytest.fixture(scope="module")
def plan(terraform_cli: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`terraform show -json` of the plan of the root described in the module docstring."""
    # Planning a state machine validates its definition (ValidateStateMachineDefinition), which moto lacks:
    # the stand-in of scripts/build/tf_moto_server.py answers it, in this process for this fixture only.
    from moto.stepfunctions.responses import StepFunctionResponse

    from scripts.build.tf_moto_server import _validate_state_machine_definition

    with pytest.MonkeyPatch.context() as patch, threaded_moto() as sts:
        patch.setattr(StepFunctionResponse, "validate_state_machine_definition",
                      _validate_state_machine_definition, raising=False)
        root = tmp_path_factory.mktemp("trust_boundaries")
        rel = {m: os.path.relpath(MODULES / m, root) for m in ("kms_key", "landing_bucket", "itc_data_warehouse",
                                                                 "orchestrator", "verifyplus_pipeline")}
        text = _header(sts, [ONCALL]) + MODULE_CALLS.format(
            landing_module=rel["landing_bucket"], writers=json.dumps(list(EXTRACT.values())),
            readers=json.dumps(list(LOAD.values())), admin=ADMIN, auditor=AUDITOR,
            audited=json.dumps(list(LOAD_FUNCTION.values())), warehouse_module=rel["itc_data_warehouse"],
            migrate=MIGRATE,
        ) + _environment_files(root)
        for module in ("orchestrator", "verifyplus_pipeline"):
            block = _module_block(MODULES / module / "examples" / "minimal" / "main.tf", module)
            block = block.replace('source = "../.."', f"source = {json.dumps(rel[module])}")
            block = block.replace("itc-example", "itc-test").replace("111122223333", ACCOUNT)
            block = block.replace("var.package_path", json.dumps(_dummy_zip(root / f"{module}.zip")))
            block = block.replace("var.layer_package_path", json.dumps(_dummy_zip(root / f"{module}-layer.zip")))
            text += "\n" + block + "\n"
        _build_record(root, ("orchestrator", "verifyplus_pipeline"))
        (root / "main.tf").write_text(text)
        yield plan_json(terraform_cli, root)


def _hcl(value: dict[str, Any]) -> str:
    """A map of strings or of maps of strings, as an HCL object expression."""
    items = ", ".join(f'{k} = {_hcl(v) if isinstance(v, dict) else json.dumps(v)}' for k, v in value.items())
    return "{ " + items + " }"


def resources(plan: dict[str, Any], rtype: str, prefix: str = "") -> dict[str, dict[str, Any]]:
    def walk(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield from module.get("resources", [])
        for child in module.get("child_modules", []):
            yield from walk(child)
    return {r["address"]: r["values"] for r in walk(plan["planned_values"]["root_module"])
            if r["type"] == rtype and r["mode"] == "managed" and r["address"].startswith(prefix)}


def key_policy(plan: dict[str, Any], module_address: str) -> list[dict[str, Any]]:
    (key,) = resources(plan, "aws_kms_key", module_address + ".").values()
    assert key.get("policy"), f"the policy of {module_address} is not known when planned"
    return json.loads(key["policy"])["Statement"]


def listify(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allowed(statements: list[dict[str, Any]], action: str) -> dict[str, dict[str, Any]]:
    """principal ARN -> condition of each Allow of ``action`` (wildcard actions expanded) to an IAM principal."""
    who: dict[str, dict[str, Any]] = {}
    for st in statements:
        if st["Effect"] == "Allow" and any(fnmatch.fnmatchcase(action, a) for a in listify(st["Action"])):
            for arn in listify(st["Principal"].get("AWS", [])):
                who[arn] = st.get("Condition", {})
    return who


def via(service: str) -> dict[str, Any]:
    return {"StringEquals": {"kms:ViaService": f"{service}.{REGION}.amazonaws.com"}}


def audit_bucket_policy(plan: dict[str, Any], name: str) -> str:
    """The denies a bucket's policy is built from (the bucket's own ARN is unknown when planned, so the attached
    policy is read from the documents that `test_audit_denies_are_in_the_attached_policies` shows it merges)."""
    if name == "this":
        return data_source(plan, "module.landing.data.aws_iam_policy_document.access_control")["json"]
    return data_source(plan, f'module.landing.data.aws_iam_policy_document.audit_bucket["{name}"]')["json"]
