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
- ``--rehearsal CONFIG`` (`make rehearse`, scripts/build/rehearse.py): Step Functions executes state
  machines, and moto's Lambda Invoke (which would return a stub) runs the applied function's artefact
  instead: its code zip and layers as moto stores them, its handler, timeout and environment, with the
  credentials of its own role (an STS AssumeRole in this moto), through scripts/build/lambda_rehearsal.py.
  CONFIG is that module's ``Setup`` as JSON; each invocation is appended to ``<workdir>/invocations.jsonl``.
- STAND-IN for Route 53 Resolver DNS Firewall (domain lists, rule groups, rules, VPC associations,
  firewall config), which moto 5.2 lacks: scripts/build/moto_dns_firewall.py, in memory, nothing enforced.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

from moto.core.config import default_user_config
from moto.core.responses import ActionResult
from moto.stepfunctions.responses import StepFunctionResponse

from scripts.build import moto_dns_firewall

DUMMY_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}  # moto's dummy keys, not secret
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


def applied_function(backend: Any, function_name: str, qualifier: str | None) -> Any:
    """The applied function as moto stores it: configuration, code and layer zips (a FunctionSpec)."""
    from scripts.build.lambda_rehearsal import FunctionSpec

    fn = backend.get_function(function_name, qualifier)
    layers = tuple((layer["Arn"], backend.layers_versions_by_arn(layer["Arn"]).code_bytes) for layer in fn.layers)
    return FunctionSpec(name=fn.function_name, arn=fn.function_arn, handler=fn.handler, timeout=int(fn.timeout),
                        memory=int(fn.memory_size), environment=dict(fn.environment_vars or {}),
                        code_zip=fn.code_bytes, layers=layers, role=fn.role,
                        architectures=tuple(fn.architectures or ()))


def _bucket_policy_not_evaluated(self: Any, action: str, resource: str) -> Any:
    """moto evaluates a bucket policy's Deny statements wrongly: a Deny whose condition is NOT met (e.g.
    ``aws:SecureTransport`` false on a request that is not asked about, ``aws:PrincipalArn`` not among the
    writers) denies anyway, so every object call to the landing bucket would be refused. The rehearsal's moto
    does not evaluate bucket policies (a printed difference); the plan tests check them."""
    from moto.iam.access_control import PermissionResult

    return PermissionResult.NEUTRAL


def install_rehearsal(config: Path) -> None:
    """Answer Lambda Invoke by running the applied artefact (see the module docstring)."""
    import boto3
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.s3.models import FakeBucket

    from scripts.build import lambda_rehearsal

    setup = lambda_rehearsal.Setup.from_json(config.read_text())
    endpoint = setup.added["AWS_ENDPOINT_URL"]
    record = setup.workdir / "invocations.jsonl"

    def role_credentials(role: str, name: str) -> dict[str, str]:
        sts = boto3.client("sts", endpoint_url=endpoint, region_name=setup.region, **DUMMY_KEYS)
        creds = sts.assume_role(RoleArn=role, RoleSessionName=name[:64])["Credentials"]
        return {"AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
                "AWS_SESSION_TOKEN": creds["SessionToken"]}

    def master_password_from_secret(secret_arn: str, master: str) -> None:
        """RDS writes its managed secret as {"username": <master>, "password": ...} and gives the master login
        that password: the rehearsal does the same on the stand-in database (moto's secret names "admin")."""
        import psycopg2
        from psycopg2 import sql

        secrets = boto3.client("secretsmanager", endpoint_url=endpoint, region_name=setup.region, **DUMMY_KEYS)
        secret = json.loads(secrets.get_secret_value(SecretId=secret_arn)["SecretString"])
        if secret.get("username") != master:
            secret["username"] = master
            secrets.put_secret_value(SecretId=secret_arn, SecretString=json.dumps(secret))
        conn = psycopg2.connect(setup.admin_dsn)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql.SQL("ALTER ROLE {} PASSWORD %s").format(sql.Identifier(master)),
                            (secret["password"],))
        finally:
            conn.close()

    def invoke(self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any,  # noqa: PLR0917
               response_headers: Any) -> bytes:  # moto's signature
        spec = applied_function(self, function_name, qualifier)
        event = json.loads(body or "{}")
        try:
            if spec.environment.get("ITC_DB_SECRET_ARN") and setup.admin_dsn:
                master_password_from_secret(spec.environment["ITC_DB_SECRET_ARN"], spec.environment["ITC_DB_USER"])
            run_setup = dataclasses.replace(setup, credentials=role_credentials(spec.role, spec.name))
            outcome = lambda_rehearsal.run(spec, event, run_setup)
        except Exception as exc:  # noqa: BLE001 - the rehearsal's own failure, answered as a function error
            message = f"{type(exc).__name__}: {exc}"
            outcome = lambda_rehearsal.Outcome(spec.name, spec.code_sha256, [], f"Rehearsal.Error: {message}", 0.0,
                                               {"errorType": "Rehearsal.Error", "errorMessage": message}, error=True)
        with record.open("a") as out:
            out.write(json.dumps({**json.loads(outcome.to_json()), "mode": event.get("mode"),
                                  "step": event.get("step")}) + "\n")
        if outcome.error:
            response_headers["x-amz-function-error"] = "Unhandled"
        return json.dumps(outcome.payload).encode()

    LambdaSimpleBackend.invoke = invoke
    FakeBucket.get_permission = _bucket_policy_not_evaluated
    default_user_config["stepfunctions"] = {"execute_state_machine": True}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rehearsal", type=Path, help="run the applied artefacts on Invoke (make rehearse)")
    args = parser.parse_args(argv)
    install()
    if args.rehearsal:
        install_rehearsal(args.rehearsal)
    from moto.server import main as moto_main

    moto_main(["-H", args.host, "-p", str(args.port)])


if __name__ == "__main__":
    main()
