"""The analysts' route (terraform_modules/analyst_access, docs/access.md "Reaching the warehouse").

How (offline): a root with a VPC, two private subnets, an endpoints group and a warehouse group (stand-ins
for itc_vpc / itc_data_warehouse) calls analyst_access with its default route ("ssm") and is applied to an
in-process moto server (every AWS endpoint of the provider pointed at it; nothing leaves the machine), so
every id and ARN is concrete: `terraform show -json` of the state gives the resources as AWS holds them,
and moto's EC2 API answers what a reviewer would ask (does the instance's group admit anything?). The
warehouse module's analyst rule and the Client VPN option are checked in `terraform plan` (plan_json)
with known inputs. The IAM policy analysts get is evaluated by `allows()` below for the actions an
analyst would try.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from scripts.stack.local_stack import threaded_moto
from tests.terraform.conftest import MODULES, moto_provider_block, plan_json, run_terraform

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's
DB_ADDRESS = "itc-test.abcdefghijkl.us-east-1.rds.amazonaws.com"
SERVICES = ("ec2", "iam", "kms", "logs", "ssm", "sts")
ACM = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate"


def init(cli: dict[str, str], root: Path) -> None:
    done = run_terraform(cli, root, "init", "-backend=false", f"-plugin-dir={cli['plugin_dir']}")
    assert done.returncode == 0, done.stdout + done.stderr

APPLIED_ROOT = """
resource "aws_vpc" "this" {{
  cidr_block = "10.40.0.0/16"
}}

resource "aws_subnet" "private" {{
  count             = 2
  vpc_id            = aws_vpc.this.id
  cidr_block        = cidrsubnet("10.40.0.0/16", 8, 10 + count.index)
  availability_zone = ["us-east-1a", "us-east-1b"][count.index]
}}

resource "aws_security_group" "endpoints" {{
  name   = "itc-test-vpc-endpoints"
  vpc_id = aws_vpc.this.id
}}

resource "aws_security_group" "db" {{
  name   = "itc-test-warehouse"
  vpc_id = aws_vpc.this.id
}}

module "analyst" {{
  source                      = "{module}"
  name_prefix                 = "itc-test"
  vpc_id                      = aws_vpc.this.id
  vpc_cidr_block              = aws_vpc.this.cidr_block
  subnet_ids                  = aws_subnet.private[*].id
  db_security_group_id        = aws_security_group.db.id
  db_address                  = "{db_address}"
  endpoints_security_group_id = aws_security_group.endpoints.id
}}

output "analyst" {{
  value = module.analyst
}}

output "db_security_group_id" {{
  value = aws_security_group.db.id
}}

output "endpoints_security_group_id" {{
  value = aws_security_group.endpoints.id
}}
"""


def provider(moto: str, services: tuple[str, ...] = SERVICES) -> str:
    return moto_provider_block(moto, services, REGION)


def _walk(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _walk(child)


def resources(doc: dict[str, Any], rtype: str, root: str = "values") -> dict[str, dict[str, Any]]:
    """address -> values of the managed resources of ``rtype`` (state: root "values"; plan: "planned_values")."""
    return {r["address"]: r["values"] for r in _walk(doc[root]["root_module"])
            if r["type"] == rtype and r["mode"] == "managed"}


@pytest.fixture(scope="module")
def applied(terraform_cli: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The example root applied to moto: its state (`show -json`), outputs, and an EC2 client on the same moto."""
    with threaded_moto() as moto:
        root = tmp_path_factory.mktemp("analyst_access")
        (root / "main.tf").write_text(provider(moto) + APPLIED_ROOT.format(
            module=os.path.relpath(MODULES / "analyst_access", root), db_address=DB_ADDRESS))
        init(terraform_cli, root)
        apply = run_terraform(terraform_cli, root, "apply", "-auto-approve", "-refresh=false")
        assert apply.returncode == 0, apply.stdout + apply.stderr
        state = run_terraform(terraform_cli, root, "show", "-json")
        outputs = run_terraform(terraform_cli, root, "output", "-json")
        assert state.returncode == 0 and outputs.returncode == 0, state.stderr + outputs.stderr
        ec2 = boto3.client("ec2", endpoint_url=moto, region_name=REGION, aws_access_key_id="testing",
                           aws_secret_access_key="testing")
        values = {k: v["value"] for k, v in json.loads(outputs.stdout).items()}
        yield {"state": json.loads(state.stdout), "outputs": values, "ec2": ec2}


def the(items: dict[str, dict[str, Any]]) -> dict[str, Any]:
    assert len(items) == 1, list(items)
    return next(iter(items.values()))


# --------------------------------------------------------------------------------------------
# The port-forwarding instance
# --------------------------------------------------------------------------------------------
def test_the_route_security_group_admits_nothing_and_reaches_only_db_and_endpoints(applied):
    """GIVEN the applied route WHEN its security group is read back from EC2
    THEN it has no inbound permission at all, and its only ways out are TCP 5432 to the warehouse's group
    and TCP 443 to the endpoints' group (no CIDR, no other port)."""
    out = applied["outputs"]
    group = applied["ec2"].describe_security_groups(GroupIds=[out["analyst"]["security_group_id"]])["SecurityGroups"][0]
    assert group["IpPermissions"] == []
    egress = sorted((p["IpProtocol"], p["FromPort"], p["ToPort"], [g["GroupId"] for g in p["UserIdGroupPairs"]],
                     p["IpRanges"], p.get("Ipv6Ranges", [])) for p in group["IpPermissionsEgress"])
    assert egress == sorted([("tcp", 5432, 5432, [out["db_security_group_id"]], [], []),
                             ("tcp", 443, 443, [out["endpoints_security_group_id"]], [], [])])
    instance = the(resources(applied["state"], "aws_instance"))
    assert instance["vpc_security_group_ids"] == [out["analyst"]["security_group_id"]]
    # (moto gives every instance a public address whatever the request says, so that flag is not read here)
    assert not instance["key_name"] and not instance["user_data"]


def test_the_instance_is_arm64_imdsv2_only_with_an_encrypted_root_volume(applied):
    """GIVEN the applied route WHEN the instance is read back
    THEN it runs the Amazon Linux arm64 AMI of the public SSM parameter on t4g.nano in a private subnet,
    answers metadata only with IMDSv2 tokens and a hop limit of 1, and its root volume is encrypted with
    the module's KMS key."""
    state = applied["state"]
    instance = the(resources(state, "aws_instance"))
    ami = next(r["values"]["value"] for r in _walk(state["values"]["root_module"])
               if r["type"] == "aws_ssm_parameter" and r["mode"] == "data")
    assert (instance["ami"], instance["instance_type"]) == (ami, "t4g.nano")
    assert instance["subnet_id"] in {s["id"] for s in resources(state, "aws_subnet").values()}
    assert instance["metadata_options"][0]["http_tokens"] == "required"
    assert instance["metadata_options"][0]["http_put_response_hop_limit"] == 1
    root = instance["root_block_device"][0]
    assert root["encrypted"] is True and root["kms_key_id"] == applied["outputs"]["analyst"]["kms_key_arn"]
    reservation = applied["ec2"].describe_instances(InstanceIds=[instance["id"]])["Reservations"][0]
    assert reservation["Instances"][0]["MetadataOptions"]["HttpTokens"] == "required"


def test_the_instance_role_holds_session_manager_permissions_only(applied):
    """GIVEN the instance's role WHEN its policies are read
    THEN it has one inline policy with the Session Manager agent's actions only (registration, message
    channels, the session log group, decrypting with the module's key) and no managed policy attached."""
    state = applied["state"]
    policy = json.loads(the(resources(state, "aws_iam_role_policy"))["policy"])
    actions = sorted(a for st in policy["Statement"] for a in st["Action"])
    assert all(a.split(":")[0] in {"ssm", "ssmmessages", "ec2messages", "logs", "kms"} for a in actions), actions
    assert "ssm:StartSession" not in actions and not any(a.endswith("*") for a in actions)
    log_group = the({k: v for k, v in resources(state, "aws_cloudwatch_log_group").items() if "sessions" in k})
    writes = next(st for st in policy["Statement"] if "logs:PutLogEvents" in st["Action"])
    assert writes["Resource"] == f"{log_group['arn']}:*"
    assert resources(state, "aws_iam_role_policy_attachment") == {}


def test_session_preferences_stream_to_the_kms_log_group_with_encryption_enforced(applied):
    """GIVEN the Session Manager preferences document WHEN its settings are read
    THEN sessions stream to the module's log group, which is KMS-encrypted and kept 2192 days, with
    cloudWatchEncryptionEnabled (the agent refuses an unencrypted group) and KMS session encryption."""
    state = applied["state"]
    docs = {d["name"]: d for d in resources(state, "aws_ssm_document").values()}
    prefs = json.loads(docs["SSM-SessionManagerRunShell"]["content"])
    assert docs["SSM-SessionManagerRunShell"]["document_type"] == "Session"
    log_group = the({k: v for k, v in resources(state, "aws_cloudwatch_log_group").items() if "sessions" in k})
    key = applied["outputs"]["analyst"]["kms_key_arn"]
    assert (prefs["inputs"]["cloudWatchLogGroupName"], prefs["inputs"]["cloudWatchEncryptionEnabled"],
            prefs["inputs"]["cloudWatchStreamingEnabled"], prefs["inputs"]["kmsKeyId"]) == (
            log_group["name"], True, True, key)
    assert (log_group["kms_key_id"], log_group["retention_in_days"]) == (key, 2192)


# --------------------------------------------------------------------------------------------
# What analysts are given
# --------------------------------------------------------------------------------------------
def allows(policy: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> bool:
    """Whether an Allow statement of ``policy`` matches (the operators this policy uses; no Deny in it)."""
    for st in policy["Statement"]:
        assert st["Effect"] == "Allow"
        acts = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        res = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        if not any(fnmatch.fnmatchcase(action, a) for a in acts):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in res):
            continue
        ok = True
        for operator, pairs in st.get("Condition", {}).items():
            for key, values in pairs.items():
                expected = [e.replace("${aws:userid}", context.get("aws:userid", ""))
                            for e in (values if isinstance(values, list) else [values])]
                actual = context.get(key)
                if operator == "BoolIfExists":
                    ok &= actual is None or actual in expected
                elif operator == "StringLike":
                    ok &= actual is not None and any(fnmatch.fnmatchcase(actual, e) for e in expected)
                else:
                    raise AssertionError(f"allows() does not know {operator}")
        if ok:
            return True
    return False


def test_the_analyst_policy_starts_the_warehouse_tunnel_on_that_instance_only(applied):
    """GIVEN the policy the module outputs for analysts WHEN an analyst tries each session
    THEN StartSession is allowed on the instance with the warehouse document only — not another
    instance, not AWS-StartPortForwardingSessionToRemoteHost (any host), not a shell — and the document
    fixes the host to the RDS endpoint and the port to 5432; they may end their own sessions, not others'."""
    out = applied["outputs"]["analyst"]
    policy = json.loads(out["analyst_access_policy_json"])
    instance = the(resources(applied["state"], "aws_instance"))
    document = the({k: v for k, v in resources(applied["state"], "aws_ssm_document").items() if "port_forward" in k})
    check = {"ssm:SessionDocumentAccessCheck": "true"}
    aws_doc = f"arn:aws:ssm:{REGION}::document/AWS-StartPortForwardingSessionToRemoteHost"
    shell = f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/SSM-SessionManagerRunShell"
    assert allows(policy, "ssm:StartSession", instance["arn"], check)
    assert allows(policy, "ssm:StartSession", document["arn"], check)
    other = instance["arn"].rsplit("/", 1)[0] + "/i-0aaaaaaaaaaaaaaaa"
    assert not allows(policy, "ssm:StartSession", other, check)
    assert not allows(policy, "ssm:StartSession", aws_doc, check)
    assert not allows(policy, "ssm:StartSession", shell, check)
    assert not allows(policy, "ssm:SendCommand", instance["arn"], check)
    content = json.loads(document["content"])
    assert content["sessionType"] == "Port" and list(content["parameters"]) == ["localPortNumber"]
    assert (content["properties"]["host"], content["properties"]["portNumber"]) == (DB_ADDRESS, "5432")
    session = f"arn:aws:ssm:{REGION}:{ACCOUNT}:session/alice-0123456789abcdef0"
    mine = {"aws:userid": "AROAEXAMPLE:alice", "ssm:resourceTag/aws:ssmmessages:session-id": "AROAEXAMPLE:alice"}
    theirs = {**mine, "ssm:resourceTag/aws:ssmmessages:session-id": "AROAEXAMPLE:bob"}
    assert allows(policy, "ssm:TerminateSession", session, mine)
    assert not allows(policy, "ssm:TerminateSession", session, theirs)
    managed = the(resources(applied["state"], "aws_iam_policy"))
    assert json.loads(managed["policy"]) == policy and managed["arn"] == out["analyst_access_policy_arn"]


def test_the_start_session_command_names_the_instance_and_the_document(applied):
    """GIVEN the applied route WHEN the start_session_command output is read
    THEN it is the exact `aws ssm start-session` call for this instance and the warehouse document."""
    out = applied["outputs"]["analyst"]
    assert out["start_session_command"] == (
        f"aws ssm start-session --region {REGION} --target {out['instance_id']} "
        f"--document-name itc-test-warehouse-port-forward --parameters localPortNumber=15432")


# --------------------------------------------------------------------------------------------
# The warehouse's analyst rule, and the Client VPN option (plans)
# --------------------------------------------------------------------------------------------
PLANNED_ROOT = """
module "warehouse" {{
  source                     = "{warehouse}"
  name_prefix                = "itc-test"
  vpc_id                     = "vpc-0123456789abcdef0"
  subnet_ids                 = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  analyst_security_group_ids = {{ route = "sg-0aaaaaaaaaaaaaaa1" }}
}}

module "vpn" {{
  source                                = "{analyst}"
  name_prefix                           = "itc-vpn"
  route                                 = "client_vpn"
  vpc_id                                = "vpc-0123456789abcdef0"
  vpc_cidr_block                        = "10.40.0.0/16"
  subnet_ids                            = ["subnet-0123456789abcdef0"]
  db_security_group_id                  = "sg-0bbbbbbbbbbbbbbb2"
  db_address                            = "{db_address}"
  client_vpn_server_certificate_arn     = "{acm}/11111111-2222-3333-4444-555555555555"
  client_vpn_root_certificate_chain_arn = "{acm}/66666666-7777-8888-9999-000000000000"
}}
"""


@pytest.fixture(scope="module")
def planned(terraform_cli: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with threaded_moto() as moto:
        root = tmp_path_factory.mktemp("analyst_plan")
        (root / "main.tf").write_text(provider(moto, ("sts",)) + PLANNED_ROOT.format(
            warehouse=os.path.relpath(MODULES / "itc_data_warehouse", root),
            analyst=os.path.relpath(MODULES / "analyst_access", root), db_address=DB_ADDRESS, acm=ACM))
        yield plan_json(terraform_cli, root)


def test_the_warehouse_admits_analysts_from_the_route_group_only(planned):
    """GIVEN the warehouse module given the route's security group WHEN planned
    THEN PostgreSQL is admitted from the pipelines' client group and that route group, and from no CIDR."""
    rules = [v for k, v in resources(planned, "aws_vpc_security_group_ingress_rule", "planned_values").items()
             if k.startswith("module.warehouse.")]
    analyst = [r for r in rules if r.get("referenced_security_group_id") == "sg-0aaaaaaaaaaaaaaa1"]
    assert [(r["from_port"], r["to_port"], r["ip_protocol"]) for r in analyst] == [(5432, 5432, "tcp")]
    assert len(rules) == 2
    assert all(r.get("cidr_ipv4") is None and r.get("cidr_ipv6") is None and r.get("prefix_list_id") is None
               for r in rules)


def test_the_client_vpn_option_logs_connections_and_uses_the_route_group(planned):
    """GIVEN route client_vpn with mutual TLS WHEN planned
    THEN a Client VPN endpoint authenticates client certificates, logs every connection to a KMS-encrypted
    log group kept 2192 days, is split-tunnel, associates one private subnet, and no instance, role or
    Session Manager document is created."""
    vpn = the({k: v for k, v in resources(planned, "aws_ec2_client_vpn_endpoint", "planned_values").items()
               if k.startswith("module.vpn.")})
    assert vpn["authentication_options"][0]["type"] == "certificate-authentication"
    assert vpn["connection_log_options"][0]["enabled"] is True
    assert vpn["connection_log_options"][0]["cloudwatch_log_group"] == "/itc/itc-vpn/analyst-client-vpn"
    assert vpn["split_tunnel"] is True
    groups = {k: v for k, v in resources(planned, "aws_cloudwatch_log_group", "planned_values").items()
              if k.startswith("module.vpn.")}
    assert [(g["name"], g["retention_in_days"]) for g in groups.values()] == [("/itc/itc-vpn/analyst-client-vpn", 2192)]
    assert "kms_key_id" not in the(groups) or the(groups)["kms_key_id"] is None  # known after apply: the module key
    config = planned["configuration"]["root_module"]["module_calls"]["vpn"]["module"]["resources"]
    log_group = next(r for r in config if r["address"] == "aws_cloudwatch_log_group.client_vpn")
    assert log_group["expressions"]["kms_key_id"]["references"][0] == "module.kms.key_arn"
    for rtype in ("aws_instance", "aws_iam_role", "aws_ssm_document", "aws_iam_policy"):
        assert not [k for k in resources(planned, rtype, "planned_values") if k.startswith("module.vpn.")], rtype


def test_a_client_vpn_with_both_mutual_tls_and_saml_is_refused_at_plan(terraform_cli, tmp_path: Path):
    """GIVEN route client_vpn with both a client CA chain and a SAML provider WHEN planned
    THEN the plan fails saying exactly one of them is needed."""
    with threaded_moto() as moto:
        text = PLANNED_ROOT.format(
            warehouse=os.path.relpath(MODULES / "itc_data_warehouse", tmp_path),
            analyst=os.path.relpath(MODULES / "analyst_access", tmp_path), db_address=DB_ADDRESS, acm=ACM)
        text = text.replace("  client_vpn_root_certificate_chain_arn",
                            f'  client_vpn_saml_provider_arn = "arn:aws:iam::{ACCOUNT}:saml-provider/idp"\n'
                            "  client_vpn_root_certificate_chain_arn")
        (tmp_path / "main.tf").write_text(provider(moto, ("sts",)) + text)
        init(terraform_cli, tmp_path)
        result = run_terraform(terraform_cli, tmp_path, "plan", "-refresh=false")
    assert result.returncode != 0
    message = " ".join(result.stderr.split())
    assert "needs exactly one of client_vpn_root_certificate_chain_arn (mutual TLS) or" in message
