"""Shared helpers for the Terraform tests (no AWS access, no registry: everything offline): the
Terraform CLI, and the state machine templates rendered like `templatefile` and run in moto."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = REPO / "terraform_modules"


def _plugin_dir() -> Path | None:
    """The local provider mirror root (<root>/<host>/hashicorp/aws/<v>/<os_arch>/binary)."""
    env = os.environ.get("TF_PLUGIN_DIR")
    if env:
        return Path(env)
    for base in (Path("/opt"), Path("/usr/share"), Path("/usr/local/share"), Path.home() / ".terraform.d"):
        if not base.is_dir():
            continue
        for binary in sorted(base.glob("**/hashicorp/aws/*/*/terraform-provider-aws_*")):
            return binary.parents[5]
    return None


@pytest.fixture(scope="session")
def terraform_cli() -> dict[str, str]:
    """Path of terraform and the provider mirror; skips (or fails under tf-check) when missing."""
    terraform = shutil.which("terraform")
    plugin_dir = _plugin_dir()
    missing = []
    if terraform is None:
        missing.append("terraform is not on PATH")
    if plugin_dir is None or not plugin_dir.is_dir():
        missing.append("no hashicorp/aws provider mirror (set TF_PLUGIN_DIR)")
    if missing:
        message = "; ".join(missing)
        if os.environ.get("ITC_REQUIRE_TERRAFORM") == "1":
            pytest.fail(message)
        pytest.skip(message + " (run `make tf-check` where Terraform is installed)")
    return {"terraform": terraform, "plugin_dir": str(plugin_dir)}


def run_terraform(cli: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1", TF_INPUT="0")
    return subprocess.run(
        [cli["terraform"], *args, "-no-color"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )



def moto_provider_block(endpoint: str, services: tuple[str, ...] = ("sts",), region: str = "us-east-1") -> str:
    """The aws provider block of a test root: moto's dummy credentials, each of ``services`` at ``endpoint``."""
    endpoints = "\n".join(f'    {service} = "{endpoint}"' for service in services)
    return f"""
provider "aws" {{
  region                      = "{region}"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints {{
{endpoints}
  }}
}}

"""

def plan_json(cli: dict[str, str], root: Path) -> dict[str, Any]:
    """`terraform init` (offline, the provider mirror), `plan` and `show -json` of the root in ``root``."""
    init = run_terraform(cli, root, "init", "-backend=false", f"-plugin-dir={cli['plugin_dir']}")
    assert init.returncode == 0, init.stdout + init.stderr
    planned = run_terraform(cli, root, "plan", "-refresh=false", "-out=plan.bin")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    shown = run_terraform(cli, root, "show", "-json", "plan.bin")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


# --------------------------------------------------------------------------------------------
# The state machines: the orchestrator module's templatefile calls, rendered like Terraform
# --------------------------------------------------------------------------------------------
ORCHESTRATOR = MODULES / "orchestrator"
STATE_MACHINES = ORCHESTRATOR / "state_machines"
EVENTS = Path(__file__).resolve().parent / "events"
REGION = "us-east-1"

# Distinct per function, so a Task wearing another function's timeout is caught.
DUMMY_TIMEOUTS = {"demand_extract": "840", "demand_load": "850", "verifyplus_extract": "870",
                  "verifyplus_load": "880", "orchestrator": "900"}
# The functions the state machines invoke: each pipeline's extract and load function (separate roles),
# and the orchestrator.
FUNCTIONS = ("demand_extract", "demand_load", "verifyplus_extract", "verifyplus_load", "orchestrator")


def module_text() -> str:
    return "\n".join(p.read_text() for p in sorted(ORCHESTRATOR.glob("*.tf")))


def _block_after(text: str, start: int) -> str:
    """The balanced `{ ... }` block that opens at or after `start`."""
    open_at = text.index("{", start)
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[open_at + 1 : i]
    raise AssertionError("unbalanced braces in the orchestrator module")


def _parse_map(body: str) -> dict[str, str]:
    pairs = {}
    for line in body.splitlines():
        m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+?)\s*$", line)
        if m:
            pairs[m.group(1)] = m.group(2)
    return pairs


def templatefile_calls() -> dict[str, dict[str, str]]:
    """state machine name -> {template variable: HCL expression} as the module passes them."""
    text = module_text()
    calls = {}
    pattern = r'templatefile\(\s*"\$\{path\.module\}/state_machines/([a-z_]+)\.asl\.json"\s*,\s*(local\.[a-z_]+|\{)'
    for m in re.finditer(pattern, text):
        name, arg = m.group(1), m.group(2)
        if arg == "{":
            body = _block_after(text, m.start(2))
        else:
            local_name = arg.split(".", 1)[1]
            decl = re.search(rf"\n\s*{local_name}\s*=\s*\{{", text)
            assert decl, f"local.{local_name} is not declared in the orchestrator module"
            body = _block_after(text, decl.start())
        calls[name] = _parse_map(body)
    return calls


def template_values(
    name: str, function_arns: dict[str, str] | None = None, topic_arn: str | None = None
) -> dict[str, str]:
    """Values for every variable the module passes to `<name>.asl.json`: the given ARNs, else dummies."""
    values = {}
    for var in templatefile_calls()[name]:
        if var.endswith("_function_arn"):
            function = var.removesuffix("_function_arn")
            default = f"arn:aws:lambda:{REGION}:123456789012:function:dummy-{function}"
            values[var] = (function_arns or {}).get(function, default)
        elif var.endswith("_function_timeout_seconds"):
            values[var] = DUMMY_TIMEOUTS[var.removesuffix("_function_timeout_seconds")]
        elif var.endswith("_max_concurrency"):
            values[var] = "3"
        elif var.endswith("_topic_arn"):
            values[var] = topic_arn or f"arn:aws:sns:{REGION}:123456789012:dummy-{var.removesuffix('_topic_arn')}"
        else:
            values[var] = f"dummy-{var}"
    return values


def render(template: str, variables: dict[str, str]) -> str:
    """Substitute `${name}` like templatefile: unknown names are an error, `$${` escapes."""
    if "%{" in template.replace("%%{", ""):
        raise AssertionError("template directives (%{...}) are not expected in an ASL template")

    def sub(m: re.Match[str]) -> str:
        if m.group(0).startswith("$$"):
            return m.group(0)[1:]
        name = m.group(1)
        if name not in variables:
            raise KeyError(f"template refers to ${{{name}}}, which templatefile is not given")
        return variables[name]

    return re.sub(r"\$?\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}", sub, template)


def rendered_definition(name: str, values: dict[str, str]) -> str:
    return render((STATE_MACHINES / f"{name}.asl.json").read_text(), values)


# --------------------------------------------------------------------------------------------
# The state machines executed in moto's Step Functions interpreter
# --------------------------------------------------------------------------------------------
class LambdaScript:
    """What each fake function answers, in order (an answer may be a function of the payload); records every
    invocation (function name, payload)."""

    def __init__(self) -> None:
        self.answers: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def invoke(self, function_name: str, body: Any, response_headers: dict[str, str]) -> bytes:
        name = function_name.rsplit(":", maxsplit=1)[-1]
        payload = json.loads(body or "{}")
        self.calls.append((name, payload))
        queue = self.answers.get(name, [])
        answer = queue.pop(0) if queue else {"result": {"ok": True, "function": name, "mode": payload.get("mode")}}
        if callable(answer):  # an answer computed from the payload (calls in a Map come in any order)
            answer = answer(payload)
        if "raw" in answer:  # a whole error output, as the Lambda runtime writes it (stackTrace and all)
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(answer["raw"]).encode()
        if "error" in answer:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({"errorType": answer["error"], "errorMessage": answer.get("message", "")}).encode()
        return json.dumps(answer["result"]).encode()

    def modes(self) -> list[tuple[str, str]]:
        return [(name, payload.get("mode")) for name, payload in self.calls]


@pytest.fixture
def moto_config() -> dict[str, Any]:
    """The shared ``moto`` fixture (the repository's conftest.py) with Step Functions that execute their
    definitions and Lambda without Docker (its invocations are scripted by :class:`LambdaScript`)."""
    return {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


@pytest.fixture
def aws(moto: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """On the shared moto (executing Step Functions): the five functions (scripted), an alert topic and a queue
    subscribed to it, and both state machines rendered from the module's templatefile variables."""
    from moto.awslambda_simple.models import LambdaSimpleBackend

    script = LambdaScript()

    def scripted_invoke(self, function_name, qualifier, body, headers, response_headers):
        return script.invoke(function_name, body, response_headers)

    monkeypatch.setattr(LambdaSimpleBackend, "invoke", scripted_invoke)
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="itc-test", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow",
                       "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
                       "Action": "sts:AssumeRole"}],
    }))["Role"]["Arn"]
    awslambda = boto3.client("lambda", region_name=REGION)
    arns = {}
    for name in FUNCTIONS:
        package = "orchestrator" if name == "orchestrator" else f"{name.split('_')[0]}_pipeline"
        arns[name] = awslambda.create_function(
            FunctionName=name, Runtime="python3.12", Role=role, Handler=f"{package}.main.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        )["FunctionArn"]
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="itc-alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="itc-alerts-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    sfn = boto3.client("stepfunctions", region_name=REGION)
    machines = {}
    for name in ("ingest", "load"):
        definition = rendered_definition(name, template_values(name, arns, topic))
        machines[name] = sfn.create_state_machine(name=f"itc-{name}", definition=definition,
                                                  roleArn=role)["stateMachineArn"]
    return {"sfn": sfn, "sqs": sqs, "queue_url": queue_url, "machines": machines, "script": script}
