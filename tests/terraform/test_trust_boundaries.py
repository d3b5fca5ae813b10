"""The deployed trust boundaries, read from a real plan: per-source manifest keys, the force-approval key and the
break-glass role, who may invoke a load function, the audit logs nobody can erase and only the auditor reads,
default-deny of bucket configuration, the warehouse and Quickbase-token key policies, and Step Functions logging.

How (offline, as tests/terraform/test_landing_and_network_controls.py): one root holds the environment's own
trust-boundary files (terraform/itc-beta/manifest_mac.tf, break_glass.tf, audit.tf, copied as they are, with
their module sources made relative) under a `locals` block that stands in for what main.tf wires in (example
role and function ARNs), plus the landing_bucket, itc_data_warehouse, orchestrator and verifyplus_pipeline
modules called as their examples/minimal roots call them (dummy zips in the temporary folder). `terraform plan`
runs against an in-process moto server (STS, and Step Functions' definition check), and `terraform show -json`
gives the policies as AWS would receive them; their explicit denies are evaluated by `denied()` of the landing
test.
"""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

import pytest

from tests.terraform import trust_boundaries_plan
from tests.terraform.test_landing_and_network_controls import ROOT, data_source, denied, module_config
from tests.terraform.trust_boundaries_plan import (
    ACCESS_LOG_BUCKET,
    ADMIN,
    AUDITOR,
    BREAK_GLASS,
    EXTRACT,
    ITC_ROLES,
    LANDING,
    LOAD,
    LOAD_FUNCTION,
    LOAD_MACHINE,
    MIGRATE,
    ONCALL,
    OTHER,
    PGAUDIT,
    ROLE,
    SOURCES,
    TRAIL_BUCKET,
    allowed,
    audit_bucket_policy,
    key_policy,
    listify,
    resources,
    via,
)

# the module-scoped plans (fixtures of trust_boundaries_plan)
plan = trust_boundaries_plan.plan
plan_without_break_glass = trust_boundaries_plan.plan_without_break_glass

# --------------------------------------------------------------------------------------------
# Per-source manifest keys
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("source", SOURCES)
def test_each_source_signs_and_verifies_with_its_own_key_only(plan: dict[str, Any], source: str) -> None:
    """GIVEN manifest_mac.tf WHEN planned THEN each source has its own HMAC_256 key whose policy lets only that
    source's extract role GenerateMac and only its load role VerifyMac (the other source's roles: nothing)."""
    (key,) = resources(plan, "aws_kms_key", f'module.manifest_mac_key["{source}"].').values()
    assert (key["customer_master_key_spec"], key["key_usage"]) == ("HMAC_256", "GENERATE_VERIFY_MAC")
    statements = key_policy(plan, f'module.manifest_mac_key["{source}"]')
    assert set(allowed(statements, "kms:GenerateMac")) == {EXTRACT[source]}
    assert set(allowed(statements, "kms:VerifyMac")) == {LOAD[source]}
    assert ROOT not in allowed(statements, "kms:GenerateMac") | allowed(statements, "kms:VerifyMac")


# --------------------------------------------------------------------------------------------
# Force approval and who may invoke a load function
# --------------------------------------------------------------------------------------------
def test_only_break_glass_signs_force_approvals_and_loads_verify(plan: dict[str, Any]) -> None:
    """GIVEN the force-approval key WHEN planned THEN it is a separate HMAC_256 key whose policy lets only the
    break-glass role GenerateMac and only the two load roles VerifyMac (no extract, no root)."""
    statements = key_policy(plan, "module.force_approval_key")
    assert set(allowed(statements, "kms:GenerateMac")) == {BREAK_GLASS}
    assert set(allowed(statements, "kms:VerifyMac")) == set(LOAD.values())


def test_break_glass_role_needs_mfa_and_named_principals(plan: dict[str, Any]) -> None:
    """GIVEN break_glass_principal_arns = [an on-call user] WHEN planned THEN `<prefix>-break-glass` may be
    assumed by that user only, and only with MFA."""
    role = resources(plan, "aws_iam_role")["aws_iam_role.break_glass[0]"]
    assert role["name"] == "itc-test-break-glass"
    (statement,) = json.loads(role["assume_role_policy"])["Statement"]
    assert statement["Principal"] == {"AWS": ONCALL}
    assert statement["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def test_without_break_glass_principals_no_load_can_be_forced(plan_without_break_glass: dict[str, Any]) -> None:
    """GIVEN break_glass_principal_arns = [] (the default) WHEN planned THEN there is no break-glass role, the
    force-approval key lets nobody GenerateMac (so no approval can exist and no load can be forced), the loads
    still VerifyMac, and the load functions name the load state machine as their only invoker."""
    plan = plan_without_break_glass
    assert "aws_iam_role.break_glass[0]" not in resources(plan, "aws_iam_role")
    statements = key_policy(plan, "module.force_approval_key")
    assert allowed(statements, "kms:GenerateMac") == {}
    assert set(allowed(statements, "kms:VerifyMac")) == set(LOAD.values())
    granted = {(p["function_name"], p["principal"]) for p in resources(plan, "aws_lambda_permission").values()}
    assert granted == {(f"itc-test-{s}-load", LOAD_MACHINE) for s in SOURCES}


def test_auditor_role_needs_mfa_and_defaults_to_this_account(plan: dict[str, Any]) -> None:
    """GIVEN auditor_principal_arns = [] WHEN planned THEN `<prefix>-auditor` trusts this account's principals
    (those an IAM policy lets assume it), only with MFA."""
    role = resources(plan, "aws_iam_role")["aws_iam_role.auditor"]
    (statement,) = json.loads(role["assume_role_policy"])["Statement"]
    assert statement["Principal"] == {"AWS": ROOT}
    assert statement["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def test_load_functions_allow_only_the_load_machine_and_break_glass(plan: dict[str, Any]) -> None:
    """GIVEN the load functions' resource policies WHEN planned THEN each load function names exactly two
    invokers, the load state machine's role and the break-glass role, and no other function gets one."""
    granted = {(p["function_name"], p["principal"], p["action"])
               for p in resources(plan, "aws_lambda_permission").values()}
    assert granted == {(f"itc-test-{s}-load", who, "lambda:InvokeFunction")
                       for s in SOURCES for who in (LOAD_MACHINE, BREAK_GLASS)}


def test_every_other_itc_role_is_denied_invoking_a_load_function(plan: dict[str, Any]) -> None:
    """GIVEN the load-invoke guard WHEN planned THEN it explicitly denies invoking both load functions, and
    every role ITC creates carries it but the load state machine's (and break glass, which has no guard)."""
    guard = json.loads(data_source(plan, "data.aws_iam_policy_document.load_invoke_guard")["json"])
    (deny,) = guard["Statement"]
    assert deny["Effect"] == "Deny" and "lambda:InvokeFunction" in deny["Action"]
    assert set(listify(deny["Resource"])) == {a for f in LOAD_FUNCTION.values() for a in (f, f"{f}:*")}
    attached = {a["role"] for a in resources(plan, "aws_iam_role_policy_attachment",
                                              "aws_iam_role_policy_attachment.load_invoke_guard").values()}
    assert attached == {n for k, n in ITC_ROLES.items() if k != "load_state_machine"} | {"itc-test-auditor"}


def test_the_trail_records_every_invoke_of_the_audited_functions(plan: dict[str, Any]) -> None:
    """GIVEN audited_function_arns WHEN planned THEN the trail records Lambda Invoke data events of exactly
    those functions, beside the landing bucket's S3 data events."""
    (trail,) = resources(plan, "aws_cloudtrail", "module.landing.").values()
    data = {d["type"]: d["values"] for s in trail["event_selector"] for d in s["data_resource"]}
    assert sorted(data["AWS::Lambda::Function"]) == sorted(LOAD_FUNCTION.values())
    assert data["AWS::S3::Object"] == [f"{LANDING}/"]


# --------------------------------------------------------------------------------------------
# Audit logs that cannot be erased, read by the auditor only
# --------------------------------------------------------------------------------------------
def test_trail_bucket_is_locked_in_compliance_mode_for_six_years(plan: dict[str, Any]) -> None:
    """GIVEN the landing module's trail WHEN planned THEN its bucket is created with Object Lock, every log
    file is locked in COMPLIANCE mode for 2192 days, and replaced versions are kept as long."""
    buckets = resources(plan, "aws_s3_bucket", "module.landing.")
    assert buckets["module.landing.aws_s3_bucket.trail[0]"]["object_lock_enabled"] is True
    lock = resources(plan, "aws_s3_bucket_object_lock_configuration", "module.landing.")
    rule = lock["module.landing.aws_s3_bucket_object_lock_configuration.trail[0]"]["rule"][0]
    assert rule["default_retention"] == [{"mode": "COMPLIANCE", "days": 2192, "years": None}]
    lifecycles = resources(plan, "aws_s3_bucket_lifecycle_configuration", "module.landing.")
    for name in ("trail[0]", "access_logs"):
        (rule,) = lifecycles[f"module.landing.aws_s3_bucket_lifecycle_configuration.{name}"]["rule"]
        assert rule["noncurrent_version_expiration"][0]["noncurrent_days"] >= 2192, name
        assert rule["expiration"][0]["days"] >= 2192, name


def test_audit_denies_are_in_the_attached_policies(plan: dict[str, Any]) -> None:
    """GIVEN the landing module WHEN planned THEN the trail and access-log bucket policies merge the audit
    denies, and the landing bucket's access control merges the configuration deny."""
    config = module_config(plan, "landing")
    for name in ("trail", "access_logs"):
        sources = config[f"data.aws_iam_policy_document.{name}"]["expressions"]["override_policy_documents"]
        assert f'data.aws_iam_policy_document.audit_bucket["{name}"].json' in sources["references"]
    sources = config["data.aws_iam_policy_document.access_control"]["expressions"]["source_policy_documents"]
    assert 'data.aws_iam_policy_document.configuration_deny["this"].json' in sources["references"]


@pytest.mark.parametrize("name,bucket", [("trail", TRAIL_BUCKET), ("access_logs", ACCESS_LOG_BUCKET)])
@pytest.mark.parametrize("action", ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectRetention",
                                    "s3:BypassGovernanceRetention"])
def test_nobody_may_delete_an_audit_log(plan: dict[str, Any], name: str, bucket: str, action: str) -> None:
    """GIVEN the trail and access-log bucket policies WHEN anyone, the admin role and root included, deletes a
    log file or version or touches its retention THEN an explicit deny applies."""
    policy = audit_bucket_policy(plan, name)
    for principal in (ADMIN, ROOT, AUDITOR, OTHER):
        assert "DenyLogErasure" in denied(policy, principal, action, f"{bucket}/AWSLogs/x.json.gz"), principal


@pytest.mark.parametrize("name,bucket", [("trail", TRAIL_BUCKET), ("access_logs", ACCESS_LOG_BUCKET)])
def test_only_the_auditor_reads_the_audit_logs(plan: dict[str, Any], name: str, bucket: str) -> None:
    """GIVEN the trail and access-log bucket policies WHEN a role reads a log file THEN the auditor is not
    denied, and the admin role, root and a pipeline role are."""
    policy = audit_bucket_policy(plan, name)
    for action in ("s3:GetObject", "s3:GetObjectVersion"):
        assert denied(policy, AUDITOR, action, f"{bucket}/AWSLogs/x.json.gz") == []
        for principal in (ADMIN, ROOT, OTHER):
            assert denied(policy, principal, action, f"{bucket}/x") == ["DenyLogReadsExceptAuditor"], principal


def test_only_the_auditor_decrypts_the_trail(plan: dict[str, Any]) -> None:
    """GIVEN the trail key WHEN planned THEN its policy lets the auditor alone decrypt, through S3; the account
    keeps administration without kms:Decrypt."""
    statements = key_policy(plan, "module.landing.module.trail_kms[0]")
    assert allowed(statements, "kms:Decrypt") == {AUDITOR: via("s3")}


def test_pgaudit_keeps_six_years_and_only_the_auditor_reads_it(plan: dict[str, Any]) -> None:
    """GIVEN the warehouse WHEN planned THEN the postgresql (pgAudit) log group keeps 2192 days; the auditor
    role may read it, and every other role ITC creates carries an explicit deny of reading it."""
    groups = resources(plan, "aws_cloudwatch_log_group", "module.warehouse.")
    assert groups['module.warehouse.aws_cloudwatch_log_group.exports["postgresql"]']["retention_in_days"] == 2192
    auditor = json.loads(data_source(plan, "data.aws_iam_policy_document.auditor")["json"])["Statement"]
    reads = {st["Sid"]: st for st in auditor}["ReadAuditLogGroups"]
    assert "logs:FilterLogEvents" in reads["Action"] and PGAUDIT in reads["Resource"]
    guard = json.loads(data_source(plan, "data.aws_iam_policy_document.audit_log_guard")["json"])["Statement"]
    assert guard[0]["Effect"] == "Deny" and "logs:GetLogEvents" in guard[0]["Action"]
    attached = {a["role"] for a in resources(plan, "aws_iam_role_policy_attachment",
                                              "aws_iam_role_policy_attachment.audit_log_guard").values()}
    assert attached == set(ITC_ROLES.values()) | {"itc-test-break-glass"}


# --------------------------------------------------------------------------------------------
# Default-deny of bucket configuration changes
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,bucket", [("this", LANDING), ("trail", TRAIL_BUCKET),
                                         ("access_logs", ACCESS_LOG_BUCKET)])
@pytest.mark.parametrize("action", [
    "s3:PutReplicationConfiguration", "s3:PutBucketCORS", "s3:PutInventoryConfiguration", "s3:PutBucketTagging",
    "s3:PutLifecycleConfiguration", "s3:PutBucketObjectLockConfiguration", "s3:PutBucketVersioning",
    "s3:PutAnalyticsConfiguration", "s3:PutIntelligentTieringConfiguration", "s3:PutBucketWebsite",
    "s3:PutBucketAcl", "s3:PutBucketPolicy", "s3:DeleteBucket", "s3:DeleteBucketPolicy",
])
def test_bucket_configuration_is_denied_to_all_but_the_admin(plan: dict[str, Any], name: str, bucket: str,
                                                             action: str) -> None:
    """GIVEN the landing, trail and access-log bucket policies WHEN a principal changes any configuration of
    the bucket THEN the admin role is not denied and every other principal (root, a pipeline role, the
    auditor) is."""
    policy = audit_bucket_policy(plan, name)
    assert denied(policy, ADMIN, action, bucket) == []
    for principal in (ROOT, OTHER, AUDITOR, EXTRACT["verifyplus"]):
        assert denied(policy, principal, action, bucket) == ["DenyConfigurationExceptAdmin"], principal


# --------------------------------------------------------------------------------------------
# Key policies that name who may decrypt
# --------------------------------------------------------------------------------------------
def test_the_warehouse_key_names_who_may_decrypt(plan: dict[str, Any]) -> None:
    """GIVEN the warehouse key WHEN planned THEN kms:Decrypt is allowed to the admin role through RDS and
    Secrets Manager and to the migrate role through Secrets Manager only; the account root gets no use."""
    statements = key_policy(plan, "module.warehouse.module.kms")
    decrypt = {st["Sid"]: (st["Principal"].get("AWS") or st["Principal"].get("Service"), st.get("Condition"))
               for st in statements if st["Effect"] == "Allow"
               and any(fnmatch.fnmatchcase("kms:Decrypt", a) for a in listify(st["Action"]))}
    assert decrypt["RdsThroughAdmins"] == ([ADMIN], {**via("rds"), "Bool": {"kms:GrantIsForAWSResource": "true"}})
    assert decrypt["MasterSecretThroughAdmins"] == ([ADMIN], via("secretsmanager"))
    assert decrypt["MasterSecretReaders"] == ([MIGRATE], via("secretsmanager"))
    assert ROOT not in allowed(statements, "kms:Decrypt")


def test_the_quickbase_token_key_names_the_extract_role(plan: dict[str, Any]) -> None:
    """GIVEN the verifyplus module creating the token secret WHEN planned THEN its key lets the Verify+
    extract role decrypt and the admin role put the token, both through Secrets Manager only; the load role
    and the account root get no use."""
    statements = key_policy(plan, "module.verifyplus_pipeline.module.quickbase_token_key[0]")
    extract = f"{ROLE}/itc-test-verifyplus-extract"
    assert allowed(statements, "kms:Decrypt") == {extract: via("secretsmanager"), ADMIN: via("secretsmanager")}
    assert set(allowed(statements, "kms:GenerateDataKey")) == {ADMIN}


# --------------------------------------------------------------------------------------------
# Step Functions logging, the migrate function's mode, the load functions' keys
# --------------------------------------------------------------------------------------------
def test_state_machines_log_errors_without_execution_data(plan: dict[str, Any]) -> None:
    """GIVEN the orchestrator WHEN planned THEN both state machines log at ERROR without execution data
    (inputs and outputs stay out of the log group)."""
    machines = resources(plan, "aws_sfn_state_machine", "module.orchestrator.")
    assert len(machines) == 2
    for address, machine in machines.items():
        (logging,) = machine["logging_configuration"]
        assert (logging["level"], logging["include_execution_data"]) == ("ERROR", False), address


def test_only_the_load_machine_role_may_invoke_the_load_functions(plan: dict[str, Any]) -> None:
    """GIVEN the orchestrator WHEN planned THEN each state machine has its own role, and the ingest machine's
    may invoke the extract functions only (no load function)."""
    roles = resources(plan, "aws_iam_role", "module.orchestrator.aws_iam_role.state_machines")
    assert sorted(r["name"] for r in roles.values()) == ["itc-test-ingest-state-machine",
                                                         "itc-test-load-state-machine"]
    address = 'module.orchestrator.data.aws_iam_policy_document.state_machines["ingest"]'
    ingest = json.loads(data_source(plan, address)["json"])
    invoked = {r for st in ingest["Statement"] if "lambda:InvokeFunction" in listify(st["Action"])
               for r in listify(st["Resource"])}
    assert invoked and all(re.search(r":function:itc-test-(demand|verifyplus)-extract(:\*)?$", r) for r in invoked)


def test_the_migrate_function_is_pinned_to_migrate(plan: dict[str, Any]) -> None:
    """GIVEN the orchestrator WHEN planned THEN the migrate function runs with ITC_FUNCTION_MODE=migrate, like
    the pipeline functions are pinned to extract or load."""
    functions = resources(plan, "aws_lambda_function", "module.orchestrator.")
    (migrate,) = [f for f in functions.values() if f["function_name"] == "itc-test-migrate"]
    assert migrate["environment"][0]["variables"]["ITC_FUNCTION_MODE"] == "migrate"


def test_the_load_gets_the_force_approval_key_and_its_sources_manifest_key(plan: dict[str, Any]) -> None:
    """GIVEN the verifyplus module with its manifest and force-approval keys WHEN planned THEN the load function
    has ITC_FORCE_APPROVAL_KEY_ID and its own source's ITC_MANIFEST_MAC_KEY_ID."""
    functions = {f["function_name"]: f["environment"][0].get("variables", {})
                 for f in resources(plan, "aws_lambda_function", "module.verifyplus_pipeline.").values()}
    load = functions["itc-test-verifyplus-load"]
    assert load["ITC_FORCE_APPROVAL_KEY_ID"].endswith(":key/33333333-3333-3333-3333-333333333333")
    assert load["ITC_MANIFEST_MAC_KEY_ID"].endswith(":key/22222222-2222-2222-2222-222222222222")
