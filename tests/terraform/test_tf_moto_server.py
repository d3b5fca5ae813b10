"""The moto server `make tf-apply-local` applies to (scripts/build/tf_moto_server.py), through boto3 as
Terraform's provider calls it: the two Step Functions stand-ins answer, Lambda works without Docker, and
the AWS-managed IAM policies the roles attach exist. A process of its own, like in tf-apply-local."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from scripts.build.tf_apply_local import DUMMY_CREDENTIALS, free_port

REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/sfn"
DEFINITION = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "scripts.build.tf_moto_server", "--port", str(port)],
                               cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "tf_moto_server did not start"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def client(endpoint: str, service: str):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])  # fmt: skip


def test_validate_stand_in_says_ok_or_names_the_fault(
    endpoint: str,
) -> None:
    """GIVEN a state machine definition (valid, broken, not JSON) WHEN the validate stand-in checks it
    THEN it says OK or names what is wrong."""
    sfn = client(endpoint, "stepfunctions")
    ok = sfn.validate_state_machine_definition(definition=json.dumps(DEFINITION), type="STANDARD")
    assert ok["result"] == "OK" and ok["diagnostics"] == []

    broken = sfn.validate_state_machine_definition(definition='{"StartAt": "Missing", "States": {}}')
    assert broken["result"] == "FAIL"
    assert broken["diagnostics"][0]["message"] == "StartAt 'Missing' is not a state"

    not_json = sfn.validate_state_machine_definition(definition="{not json")
    assert not_json["result"] == "FAIL" and not_json["diagnostics"][0]["code"] == "INVALID_JSON_DESCRIPTION"


def test_list_versions_stand_in_lists_the_published_version(endpoint: str) -> None:
    """GIVEN a published and an unpublished state machine WHEN the list-versions stand-in is asked
    THEN it lists the published one's version and none for the other."""
    sfn = client(endpoint, "stepfunctions")
    arn = sfn.create_state_machine(name="published", definition=json.dumps(DEFINITION), roleArn=ROLE,
                                   publish=True)["stateMachineArn"]  # fmt: skip
    plain = sfn.create_state_machine(name="plain", definition=json.dumps(DEFINITION), roleArn=ROLE)["stateMachineArn"]

    versions = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in versions] == [f"{arn}:1"]
    assert sfn.list_state_machine_versions(stateMachineArn=plain)["stateMachineVersions"] == []


def test_given_a_lambda_then_it_is_created_and_invoked_without_docker(endpoint: str) -> None:
    iam = client(endpoint, "iam")
    role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("main.py", "def handler(event, context):\n    return 1\n")
    lam = client(endpoint, "lambda")
    lam.create_function(FunctionName="fn", Runtime="python3.12", Role=role["Role"]["Arn"], Handler="main.handler",
                        Code={"ZipFile": code.getvalue()}, Architectures=["arm64"])  # fmt: skip

    result = lam.invoke(FunctionName="fn", Payload=b"{}")

    assert result["StatusCode"] == 200
    assert "FunctionError" not in result


def test_given_the_roles_attach_aws_managed_policies_then_they_exist(endpoint: str) -> None:
    iam = client(endpoint, "iam")
    for name in ("service-role/AWSLambdaVPCAccessExecutionRole", "AWSXRayDaemonWriteAccess"):
        policy = iam.get_policy(PolicyArn=f"arn:aws:iam::aws:policy/{name}")["Policy"]
        assert policy["Arn"].endswith(name)


def test_dns_firewall_stand_in_applies_and_deletes(
    endpoint: str,
) -> None:
    """GIVEN the DNS firewall stand-in WHEN a domain list, a rule and an association are created and then
    deleted THEN they apply and go away."""
    r53 = client(endpoint, "route53resolver")
    tags = [{"Key": "Project", "Value": "itc"}]
    domains = r53.create_firewall_domain_list(CreatorRequestId="dl", Name="allow", Tags=tags)["FirewallDomainList"]
    r53.update_firewall_domains(FirewallDomainListId=domains["Id"], Operation="REPLACE",
                                Domains=["api.quickbase.com.", "itc-local.quickbase.com."])  # fmt: skip
    group = r53.create_firewall_rule_group(CreatorRequestId="g", Name="egress")["FirewallRuleGroup"]
    r53.create_firewall_rule(CreatorRequestId="r", FirewallRuleGroupId=group["Id"], FirewallDomainListId=domains["Id"],
                             Priority=100, Action="ALLOW", Name="quickbase")  # fmt: skip
    association = r53.associate_firewall_rule_group(CreatorRequestId="a", FirewallRuleGroupId=group["Id"],
                                                    VpcId="vpc-1", Priority=101, Name="vpc")  # fmt: skip

    assert r53.list_firewall_domains(FirewallDomainListId=domains["Id"])["Domains"] == [
        "api.quickbase.com.", "itc-local.quickbase.com."]
    assert r53.list_tags_for_resource(ResourceArn=domains["Arn"])["Tags"] == tags
    rules = r53.list_firewall_rules(FirewallRuleGroupId=group["Id"])["FirewallRules"]
    assert [r["Name"] for r in rules] == ["quickbase"]
    association_id = association["FirewallRuleGroupAssociation"]["Id"]
    got = r53.get_firewall_rule_group_association(FirewallRuleGroupAssociationId=association_id)
    assert got["FirewallRuleGroupAssociation"]["Status"] == "COMPLETE"

    r53.disassociate_firewall_rule_group(FirewallRuleGroupAssociationId=association_id)
    with pytest.raises(r53.exceptions.ResourceNotFoundException):
        r53.get_firewall_rule_group_association(FirewallRuleGroupAssociationId=association_id)
    r53.delete_firewall_rule(FirewallRuleGroupId=group["Id"], FirewallDomainListId=domains["Id"])
    r53.delete_firewall_rule_group(FirewallRuleGroupId=group["Id"])
    r53.delete_firewall_domain_list(FirewallDomainListId=domains["Id"])
    with pytest.raises(r53.exceptions.ResourceNotFoundException):
        r53.get_firewall_domain_list(FirewallDomainListId=domains["Id"])
