"""Who may write and administer the landing bucket, its Object Lock, key and
data-event trail; the VPC endpoint policies and the DNS Firewall egress allow-list.

How (offline): one root calls landing_bucket (own trail, and once with an organisation trail) and
itc_vpc with example inputs, and `terraform plan` runs against a moto server that answers only STS
GetCallerIdentity (account 123456789012); planning creates nothing, so no other AWS API is called.
`terraform show -json` of that plan gives the rendered policies, exactly as they would be sent to
AWS (data sources read at plan time, planned resource values). python-hcl2 is not a dependency
here and `terraform console` cannot read data sources, so the plan is what renders the real JSON.
The bucket policy's deny statements are then evaluated for each principal by `denied()` below,
which implements the IAM condition operators the policy uses.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from scripts.stack.local_stack import threaded_moto
from tests.terraform.conftest import MODULES, moto_provider_block, plan_json

ACCOUNT = "123456789012"  # moto's account
EXCHANGE_ACCOUNT = "444455556666"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role"
WRITERS = [f"{ROLE}/itc-test-demand-extract", f"{ROLE}/itc-test-verifyplus-extract"]
READERS = [f"{ROLE}/itc-test-demand-load", f"{ROLE}/itc-test-verifyplus-load"]
BREAK_GLASS = f"{ROLE}/itc-test-break-glass"
ADMIN = f"{ROLE}/itc-test-deploy"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
OTHER = f"{ROLE}/itc-test-orchestrator"
REPLAY_WINDOW_DAYS = 400  # not the default, so the lock visibly follows the variable
RETENTION_DAYS = 800
QUICKBASE = ["api.quickbase.com", "acme.quickbase.com"]
ORG_TRAIL = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/org-trail"

ROOT_TF = """
module "landing" {{
  source               = "{landing}"
  name_prefix          = "itc-test"
  writer_role_arns     = {writers}
  reader_role_arns     = {readers}
  break_glass_role_arn = "{break_glass}"
  admin_role_arns      = ["{admin}"]
  replay_window_days   = {replay}
  retention_days       = {retention}
}}

module "landing_org_trail" {{
  source                 = "{landing}"
  name_prefix            = "itc-org"
  writer_role_arns       = {writers}
  admin_role_arns        = ["{admin}"]
  organization_trail_arn = "{org_trail}"
}}

module "vpc" {{
  source               = "{vpc}"
  name_prefix          = "itc-test"
  availability_zones   = ["us-east-1a", "us-east-1b"]
  public_subnet_cidrs  = ["10.40.0.0/24", "10.40.1.0/24"]
  private_subnet_cidrs = ["10.40.10.0/24", "10.40.11.0/24"]
  single_nat_gateway   = true
  exchange_account_id  = "{exchange}"
  quickbase_domains    = {quickbase}
}}
"""


@pytest.fixture(scope="module")
def plan(terraform_cli: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`terraform show -json` of the plan of the example root (see the module docstring)."""
    with threaded_moto() as sts:
        root = tmp_path_factory.mktemp("landing_network")
        # Relative sources keep the modules' own `../kms_key` calls inside the package.
        (root / "main.tf").write_text(moto_provider_block(sts, region=REGION) + ROOT_TF.format(
            landing=os.path.relpath(MODULES / "landing_bucket", root), vpc=os.path.relpath(MODULES / "itc_vpc", root),
            writers=json.dumps(WRITERS), readers=json.dumps(READERS), break_glass=BREAK_GLASS, admin=ADMIN,
            replay=REPLAY_WINDOW_DAYS, retention=RETENTION_DAYS, org_trail=ORG_TRAIL, exchange=EXCHANGE_ACCOUNT,
            quickbase=json.dumps(QUICKBASE)))
        yield plan_json(terraform_cli, root)


# --------------------------------------------------------------------------------------------
# Reading the plan
# --------------------------------------------------------------------------------------------
def _walk(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _walk(child)


def data_source(plan: dict[str, Any], address: str) -> dict[str, Any]:
    """Values of a data source read at plan time."""
    for r in _walk(plan["prior_state"]["values"]["root_module"]):
        if r["address"] == address:
            return r["values"]
    raise AssertionError(f"{address} was not read at plan time")


def planned(plan: dict[str, Any], prefix: str, rtype: str) -> dict[str, dict[str, Any]]:
    """address -> planned values of the resources of `rtype` under module address `prefix`."""
    return {r["address"]: r["values"] for r in _walk(plan["planned_values"]["root_module"])
            if r["type"] == rtype and r["mode"] == "managed" and r["address"].startswith(prefix + ".")}


def module_config(plan: dict[str, Any], *path: str) -> dict[str, dict[str, Any]]:
    """address -> configuration (expressions) of the resources of a module call path."""
    module = plan["configuration"]["root_module"]
    for name in path:
        module = module["module_calls"][name]["module"]
    return {r["address"]: r for r in module["resources"]}


# --------------------------------------------------------------------------------------------
# Evaluating explicit denies of a policy for one request
# --------------------------------------------------------------------------------------------
def _listify(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _condition_holds(operator: str, key: str, expected: list[str], context: dict[str, str]) -> bool:
    if_exists = operator.endswith("IfExists")
    op = operator.removesuffix("IfExists")
    if key not in context:
        return if_exists or op.startswith(("StringNot", "ArnNot"))
    actual = context[key]
    matchers = {
        "ArnLike": lambda: any(fnmatch.fnmatchcase(actual, p) for p in expected),
        "ArnNotLike": lambda: not any(fnmatch.fnmatchcase(actual, p) for p in expected),
        "ArnEquals": lambda: actual in expected,
        "ArnNotEquals": lambda: actual not in expected,
        "StringEquals": lambda: actual in expected,
        "StringNotEquals": lambda: actual not in expected,
        "Bool": lambda: actual.lower() in [e.lower() for e in expected],
        "NumericLessThan": lambda: float(actual) < min(float(e) for e in expected),
    }
    assert op in matchers, f"the evaluator does not know the condition operator {operator}"
    return matchers[op]()


def denied(policy_json: str, principal_arn: str, action: str, resource: str) -> list[str]:
    """Sids of the Deny statements that apply to `principal_arn` doing `action` on `resource` over TLS 1.3."""
    context = {"aws:PrincipalArn": principal_arn, "aws:SecureTransport": "true", "s3:TlsVersion": "1.3"}
    sids = []
    for st in json.loads(policy_json)["Statement"]:
        if st["Effect"] != "Deny":
            continue
        if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _listify(st["Action"])):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in _listify(st["Resource"])):
            continue
        if all(_condition_holds(op, key, _listify(values), context)
               for op, pairs in st.get("Condition", {}).items() for key, values in pairs.items()):
            sids.append(st.get("Sid", "?"))
    return sids


BUCKET_ARN = f"arn:aws:s3:::itc-test-landing-{ACCOUNT}-{REGION}"
OBJECT_ARN = f"{BUCKET_ARN}/demand/run=20261201T050000Z/demands.jsonl.gz"


def access_control(plan: dict[str, Any]) -> str:
    return data_source(plan, "module.landing.data.aws_iam_policy_document.access_control")["json"]


# --------------------------------------------------------------------------------------------
# Item 1: the landing bucket
# --------------------------------------------------------------------------------------------
def test_only_extract_and_break_glass_may_put(
    plan: dict[str, Any],
) -> None:
    """GIVEN the rendered bucket policy WHEN each role PutObjects a snapshot file THEN the extract roles
    and the break-glass role are not denied, and a load role, the orchestrator, the admin and root are."""
    policy = access_control(plan)
    for principal in [*WRITERS, BREAK_GLASS]:
        assert denied(policy, principal, "s3:PutObject", OBJECT_ARN) == [], principal
    for principal in [*READERS, OTHER, ADMIN, ROOT]:
        assert denied(policy, principal, "s3:PutObject", OBJECT_ARN) == ["DenyPutObjectExceptWriters"], principal


@pytest.mark.parametrize("action,resource,sid", [
    ("s3:DeleteObjectVersion", OBJECT_ARN, "DenyDeletesExceptAdmin"),
    ("s3:DeleteObject", OBJECT_ARN, "DenyDeletesExceptAdmin"),
    ("s3:BypassGovernanceRetention", OBJECT_ARN, "DenyDeletesExceptAdmin"),
    ("s3:PutObjectRetention", OBJECT_ARN, "DenyDeletesExceptAdmin"),
    ("s3:PutLifecycleConfiguration", BUCKET_ARN, "DenyConfigurationExceptAdmin"),
    ("s3:PutBucketVersioning", BUCKET_ARN, "DenyConfigurationExceptAdmin"),
    ("s3:PutBucketObjectLockConfiguration", BUCKET_ARN, "DenyConfigurationExceptAdmin"),
])
def test_non_admin_may_not_delete_or_reconfigure(
    plan: dict[str, Any], action: str, resource: str, sid: str,
) -> None:
    """GIVEN the rendered bucket policy WHEN anyone but the admin role deletes an object version or
    changes lifecycle, versioning or Object Lock THEN an explicit deny applies; the admin role is not denied."""
    policy = access_control(plan)
    assert denied(policy, ADMIN, action, resource) == []
    for principal in [*WRITERS, *READERS, BREAK_GLASS, OTHER]:
        assert denied(policy, principal, action, resource) == [sid], principal


def test_only_admin_may_replace_the_policy(
    plan: dict[str, Any],
) -> None:
    """GIVEN the rendered bucket policy WHEN a principal puts or deletes the bucket policy THEN only the admin
    role is not denied; every pipeline role and root are (root keeps S3's own way back in: the owning
    account's root may always replace a bucket policy, whatever it says)."""
    policy = access_control(plan)
    for action in ("s3:PutBucketPolicy", "s3:DeleteBucketPolicy"):
        assert denied(policy, ADMIN, action, BUCKET_ARN) == []
        for principal in [*WRITERS, *READERS, BREAK_GLASS, OTHER, ROOT]:
            assert denied(policy, principal, action, BUCKET_ARN) == ["DenyConfigurationExceptAdmin"]


def test_bucket_policy_is_tls_kms_and_access_control(
    plan: dict[str, Any],
) -> None:
    """GIVEN the module WHEN planned THEN the policy attached to the bucket merges the access-control
    document (a policy without it would leave writes open to any role with s3:PutObject)."""
    config = module_config(plan, "landing")
    policy_expr = config["aws_s3_bucket_policy.this"]["expressions"]["policy"]["references"]
    assert "data.aws_iam_policy_document.this.json" in policy_expr
    sources = config["data.aws_iam_policy_document.this"]["expressions"]["source_policy_documents"]["references"]
    assert "data.aws_iam_policy_document.access_control.json" in sources
    assert 'data.aws_iam_policy_document.deny["this"].json' in sources


def test_object_lock_follows_the_replay_window(
    plan: dict[str, Any],
) -> None:
    """GIVEN replay_window_days = 400 WHEN planned THEN the bucket is created with Object Lock, its
    default retention is GOVERNANCE for 400 days, and snapshots expire no earlier than that."""
    bucket = planned(plan, "module.landing", "aws_s3_bucket")["module.landing.aws_s3_bucket.this"]
    assert bucket["object_lock_enabled"] is True
    locks = planned(plan, "module.landing", "aws_s3_bucket_object_lock_configuration")
    lock = locks["module.landing.aws_s3_bucket_object_lock_configuration.this"]
    assert lock["rule"][0]["default_retention"] == [{"mode": "GOVERNANCE", "days": REPLAY_WINDOW_DAYS, "years": None}]
    lifecycles = planned(plan, "module.landing", "aws_s3_bucket_lifecycle_configuration")
    lifecycle = lifecycles["module.landing.aws_s3_bucket_lifecycle_configuration.this"]
    assert lifecycle["rule"][0]["expiration"][0]["days"] == RETENTION_DAYS >= REPLAY_WINDOW_DAYS


def test_landing_key_for_pipeline_roles_via_s3(
    plan: dict[str, Any],
) -> None:
    """GIVEN the landing bucket's own key WHEN planned THEN its policy names only the extract, load and
    break-glass roles, each through S3 of this region, and the account keeps administration without
    encrypt/decrypt or CreateGrant (an IAM policy alone cannot open the key to another role)."""
    (key,) = planned(plan, "module.landing.module.kms", "aws_kms_key").values()
    statements = json.loads(key["policy"])["Statement"]
    named = {arn for st in statements for arn in _listify(st["Principal"].get("AWS", [])) if arn != ROOT}
    assert named == {*WRITERS, *READERS, BREAK_GLASS}
    for st in statements:
        if st["Principal"].get("AWS") == ROOT:
            use = {"kms:*", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:CreateGrant"}
            assert not use & set(st["Action"])
            assert "kms:PutKeyPolicy" in st["Action"]
        else:
            assert st["Condition"] == {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}
    writers = next(st for st in statements if st["Sid"] == "LandingWritersThroughS3")
    assert set(writers["Principal"]["AWS"]) == {*WRITERS, BREAK_GLASS}


def test_module_trail_records_bucket_data_events(
    plan: dict[str, Any],
) -> None:
    """GIVEN no organization_trail_arn WHEN planned THEN a trail records every read and write of the
    landing objects, encrypted and validated; GIVEN an organisation trail THEN the module adds none."""
    (trail,) = planned(plan, "module.landing", "aws_cloudtrail").values()
    assert trail["enable_log_file_validation"] is True
    assert trail["is_multi_region_trail"] is False
    selector = trail["event_selector"][0]
    assert selector["read_write_type"] == "All"
    assert selector["data_resource"] == [{"type": "AWS::S3::Object", "values": [f"{BUCKET_ARN}/"]}]
    assert planned(plan, "module.landing_org_trail", "aws_cloudtrail") == {}
    trail_config = module_config(plan, "landing")["aws_cloudtrail.this"]["expressions"]
    assert "module.trail_kms[0].key_arn" in trail_config["kms_key_id"]["references"]


# --------------------------------------------------------------------------------------------
# Item 6: the network
# --------------------------------------------------------------------------------------------
def test_endpoint_policies_allow_only_own_account(
    plan: dict[str, Any],
) -> None:
    """GIVEN the VPC with an Exchange account WHEN planned THEN each endpoint's policy allows requests to
    resources of this account only (aws:ResourceAccount); DynamoDB and STS also the Exchange account."""
    endpoints = planned(plan, "module.vpc", "aws_vpc_endpoint")
    assert len(endpoints) == 7
    for address, values in endpoints.items():
        service = values["service_name"].rsplit(".", 1)[-1]
        (statement,) = json.loads(values["policy"])["Statement"]
        accounts = set(_listify(statement["Condition"]["StringEquals"]["aws:ResourceAccount"]))
        expected = {ACCOUNT, EXCHANGE_ACCOUNT} if service in ("dynamodb", "sts") else {ACCOUNT}
        assert accounts == expected, address
        assert statement["Effect"] == "Allow" and set(statement["Condition"]) == {"StringEquals"}


def test_dns_firewall_allows_quickbase_and_region(
    plan: dict[str, Any],
) -> None:
    """GIVEN quickbase_domains WHEN planned THEN the VPC's DNS Firewall allows exactly those names outside
    AWS, AWS names only of this region, blocks every other name (NXDOMAIN), fails closed and is associated
    with the VPC."""
    lists = {a.split('"')[1]: v["domains"] for a, v in
             planned(plan, "module.vpc", "aws_route53_resolver_firewall_domain_list").items()}
    rules = {a.split('"')[1]: v for a, v in planned(plan, "module.vpc", "aws_route53_resolver_firewall_rule").items()}
    assert sorted(lists["quickbase"]) == sorted(QUICKBASE)
    assert all(d.endswith(".amazonaws.com") and (f".{REGION}." in d or d.lstrip("*.").startswith("s3."))
               for d in lists["aws_services"]), lists["aws_services"]
    assert lists["everything"] == ["*"]
    allowed = {k for k, r in rules.items() if r["action"] == "ALLOW"}
    assert allowed == {"quickbase", "aws_services"}
    assert rules["everything"]["action"] == "BLOCK" and rules["everything"]["block_response"] == "NXDOMAIN"
    assert rules["everything"]["priority"] > max(rules[k]["priority"] for k in allowed)
    rule_config = module_config(plan, "vpc")["aws_route53_resolver_firewall_rule.this"]["expressions"]
    assert "aws_route53_resolver_firewall_domain_list.this" in rule_config["firewall_domain_list_id"]["references"]
    association = module_config(plan, "vpc")["aws_route53_resolver_firewall_rule_group_association.this"]
    assert "aws_vpc.this.id" in association["expressions"]["vpc_id"]["references"]
    (config,) = planned(plan, "module.vpc", "aws_route53_resolver_firewall_config").values()
    assert config["firewall_fail_open"] == "DISABLED"


def test_given_the_vpc_module_when_read_then_every_default_route_says_why(plan: dict[str, Any]) -> None:
    """GIVEN the VPC module WHEN its 0.0.0.0/0 routes are read THEN each is preceded by a comment saying
    what uses it (the NAT route: HTTPS to Quickbase, narrowed by the DNS Firewall)."""
    text = (MODULES / "itc_vpc" / "main.tf").read_text()
    blocks = text.split("\nresource ")
    for i, block in enumerate(blocks):
        if '"0.0.0.0/0"' in block:
            previous = blocks[i - 1].rstrip().splitlines()
            assert previous[-1].startswith("#"), block.splitlines()[0]
    assert "DNS Firewall" in text
