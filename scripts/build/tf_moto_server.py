"""The moto server that `make tf-apply-local` applies terraform/itc-beta to (python -m scripts.build.tf_moto_server).

It is the project's moto (the one scripts/stack/local_stack.py runs for the local stack), started as its
own process on its own port so an apply never touches the demo's state, with three settings for a
Terraform apply:

- IAM loads the AWS-managed policies (``MOTO_IAM_LOAD_MANAGED_POLICIES=true``, set here before moto is
  imported, and ``iam.load_aws_managed_policies`` in moto's config): the functions' roles attach
  ``AWSLambdaVPCAccessExecutionRole`` and ``AWSXRayDaemonWriteAccess`` by ARN.
- Lambda without Docker: moto's config ``lambda.use_docker = false`` (the documented switch; in server
  mode it is what ``POST /moto-api/config`` sets). Functions and layers are created and stored; an
  invocation returns moto's fixed stub result instead of running the code.
- STAND-INS for the two Step Functions calls moto 5.2 does not implement, which the AWS provider makes
  for ``aws_sfn_state_machine``:
    * ``ValidateStateMachineDefinition`` answers ``OK`` when the definition is a JSON object with
      ``StartAt`` and ``States`` and ``FAIL`` with a diagnostic otherwise. It is NOT AWS's validator:
      the real check of the templates is tests/terraform (rendered and executed in moto's interpreter).
    * ``ListStateMachineVersions`` lists the versions moto keeps for the machine (none unless published).
  They are added to moto's Step Functions responder in this process only; nothing else changes.
- STAND-IN for Route 53 Resolver DNS Firewall (domain lists, rule groups, rules, VPC associations,
  firewall config), which moto 5.2 lacks: scripts/build/moto_dns_firewall.py, in memory, nothing enforced.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

from moto.core.config import default_user_config
from moto.core.responses import ActionResult
from moto.stepfunctions.responses import StepFunctionResponse

from scripts.build import moto_dns_firewall

STAND_INS = ("ValidateStateMachineDefinition", "ListStateMachineVersions")


def definition_diagnostics(definition: str | None) -> list[dict[str, str]]:
    """Why a state machine definition is not even shaped like one (empty when it is)."""
    try:
        document: Any = json.loads(definition or "")
    except ValueError as exc:
        return [{"severity": "ERROR", "code": "INVALID_JSON_DESCRIPTION", "message": f"not JSON: {exc}"}]
    if not isinstance(document, dict):
        return [{"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": "not a JSON object"}]
    missing = [field for field in ("StartAt", "States") if field not in document]
    if missing:
        return [{"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED",
                 "message": f"missing {', '.join(missing)}"}]
    if document["StartAt"] not in (document["States"] or {}):
        return [{"severity": "ERROR", "code": "MISSING_TRANSITION_TARGET",
                 "message": f"StartAt {document['StartAt']!r} is not a state"}]
    return []


def _validate_state_machine_definition(self: StepFunctionResponse) -> ActionResult:
    diagnostics = definition_diagnostics(self._get_param("definition"))
    return ActionResult({"result": "FAIL" if diagnostics else "OK", "diagnostics": diagnostics})


def _list_state_machine_versions(self: StepFunctionResponse) -> ActionResult:
    machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
    versions = [{"stateMachineVersionArn": v.arn, "creationDate": v.creation_date}
                for _, v in sorted(getattr(machine, "versions", {}).items(), reverse=True)]
    return ActionResult({"stateMachineVersions": versions})


def install() -> None:
    """Configure this process's moto for a Terraform apply and add the two stand-ins."""
    default_user_config["lambda"] = {"use_docker": False}
    default_user_config["iam"] = {"load_aws_managed_policies": True}
    StepFunctionResponse.validate_state_machine_definition = _validate_state_machine_definition
    StepFunctionResponse.list_state_machine_versions = _list_state_machine_versions
    moto_dns_firewall.install()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    install()
    from moto.server import main as moto_main

    moto_main(["-H", args.host, "-p", str(args.port)])


if __name__ == "__main__":
    main()
