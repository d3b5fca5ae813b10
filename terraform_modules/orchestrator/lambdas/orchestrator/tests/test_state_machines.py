"""The ingest and load state machines executed in moto's Step Functions interpreter.

moto runs the ASL (Parallel, Choice, Retry with jitter, Catch, the SNS integration) but never runs
Lambda code: its Docker-less Lambda backend answers every invoke. ``scripted_lambdas`` replaces that
backend's answer with a per-function script of results or errors (an error is returned the way Lambda
reports a function error: header ``X-Amz-Function-Error`` and ``{"errorType", "errorMessage"}``), so
the tests drive the control flow: happy path, a retry followed by success, and a failure that alerts
through SNS (read back from an SQS queue subscribed to the topic).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.awslambda_simple.models import LambdaSimpleBackend

STATE_MACHINES = Path(__file__).resolve().parents[3] / "state_machines"
EVENTS = Path(__file__).resolve().parent / "events"
REGION = "us-east-1"


def render(template: str, values: dict[str, str]) -> str:
    """Substitute ``${name}`` like Terraform's templatefile (``$${`` escapes); an unknown name is an error."""
    def sub(match: re.Match[str]) -> str:
        return "${" if match.group(0) == "$${" else values[match.group(1)]

    return re.sub(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}", sub, template)


class LambdaScript:
    """What each fake function answers, in order; records every invocation (function name, payload)."""

    def __init__(self) -> None:
        self.answers: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def invoke(self, function_name: str, body: Any, response_headers: dict[str, str]) -> bytes:
        name = function_name.rsplit(":", maxsplit=1)[-1]
        payload = json.loads(body or "{}")
        self.calls.append((name, payload))
        queue = self.answers.get(name, [])
        answer = queue.pop(0) if queue else {"result": {"ok": True, "function": name, "mode": payload.get("mode")}}
        if "error" in answer:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({"errorType": answer["error"], "errorMessage": answer.get("message", "")}).encode()
        return json.dumps(answer["result"]).encode()

    def modes(self) -> list[tuple[str, str]]:
        return [(name, payload.get("mode")) for name, payload in self.calls]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto with executing Step Functions, three fake functions, an alert topic and a queue subscribed to it."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    script = LambdaScript()

    def scripted_invoke(self, function_name, qualifier, body, headers, response_headers):
        return script.invoke(function_name, body, response_headers)

    monkeypatch.setattr(LambdaSimpleBackend, "invoke", scripted_invoke)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}):
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="itc-test", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow",
                           "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
                           "Action": "sts:AssumeRole"}],
        }))["Role"]["Arn"]
        awslambda = boto3.client("lambda", region_name=REGION)
        arns = {}
        for name in ("demand_pipeline", "verifyplus_pipeline", "orchestrator"):
            arns[name] = awslambda.create_function(
                FunctionName=name, Runtime="python3.12", Role=role, Handler=f"{name}.main.handler",
                Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
            )["FunctionArn"]
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        topic = sns.create_topic(Name="itc-alerts")["TopicArn"]
        queue_url = sqs.create_queue(QueueName="itc-alerts-inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
        values = {
            "demand_function_arn": arns["demand_pipeline"],
            "verifyplus_function_arn": arns["verifyplus_pipeline"],
            "orchestrator_function_arn": arns["orchestrator"],
            "alert_topic_arn": topic,
        }
        sfn = boto3.client("stepfunctions", region_name=REGION)
        machines = {}
        for name in ("ingest", "load"):
            definition = render((STATE_MACHINES / f"{name}.asl.json").read_text(), values)
            machines[name] = sfn.create_state_machine(name=f"itc-{name}", definition=definition,
                                                      roleArn=role)["stateMachineArn"]
        yield {"sfn": sfn, "sqs": sqs, "queue_url": queue_url, "machines": machines, "script": script}


def execute(aws: dict[str, Any], machine: str, payload: dict[str, Any]) -> dict[str, Any]:
    sfn = aws["sfn"]
    arn = sfn.start_execution(stateMachineArn=aws["machines"][machine], input=json.dumps(payload))["executionArn"]
    for _ in range(600):  # a safety net against a hung interpreter, not a timing assertion
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.1)
    raise AssertionError(f"{machine} execution still running")


def alerts(aws: dict[str, Any]) -> list[dict[str, Any]]:
    messages = aws["sqs"].receive_message(QueueUrl=aws["queue_url"], MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def manifest_event(key: str) -> dict[str, Any]:
    event = json.loads((EVENTS / "manifest_object_created.json").read_text())
    event["detail"]["object"]["key"] = key
    return event


def test_given_both_extracts_succeed_when_ingest_runs_then_it_succeeds_without_alert(aws):
    """GIVEN both pipelines answer OK WHEN ingest runs with a run id
    THEN both were invoked once in mode extract with that run id, the execution SUCCEEDED, and no alert was sent."""
    result = execute(aws, "ingest", {"run_id": "20261101T050000Z"})
    assert result["status"] == "SUCCEEDED"
    assert sorted(aws["script"].calls, key=lambda c: c[0]) == [
        ("demand_pipeline", {"mode": "extract", "run_id": "20261101T050000Z"}),
        ("verifyplus_pipeline", {"mode": "extract", "run_id": "20261101T050000Z"}),
    ]
    assert alerts(aws) == []


def test_given_a_transient_error_once_when_ingest_runs_then_it_retries_and_succeeds(aws):
    """GIVEN the Verify+ extract fails once with TransientError (Quickbase throttled) WHEN ingest runs
    THEN the extract is retried, the execution SUCCEEDED, and no alert was sent."""
    aws["script"].answers["verifyplus_pipeline"] = [
        {"error": "TransientError", "message": "Quickbase answered 429 too many times"},
        {"result": {"status": "extracted", "records": 12}},
    ]
    result = execute(aws, "ingest", {"run_id": "r-2"})
    assert result["status"] == "SUCCEEDED"
    assert [c[0] for c in aws["script"].calls].count("verifyplus_pipeline") == 2
    assert json.loads(result["output"])["extract"]["verifyplus"] == {
        "source": "verifyplus", "failed": False, "summary": {"status": "extracted", "records": 12}}
    assert alerts(aws) == []


def test_given_a_terminal_extract_error_when_ingest_runs_then_other_source_lands_sns_alert_and_failed(aws):
    """GIVEN the demand extract fails with TerminalError WHEN ingest runs
    THEN it is not retried, the Verify+ extract still runs to the end, the alert topic receives the failed
    source with its error and the execution id, and the execution FAILED."""
    aws["script"].answers["demand_pipeline"] = [{"error": "TerminalError", "message": "ITC_EXCHANGE_ENV is missing"}]
    result = execute(aws, "ingest", {"run_id": "r-3"})
    assert result["status"] == "FAILED"
    calls = [c[0] for c in aws["script"].calls]
    assert calls.count("demand_pipeline") == 1
    assert calls.count("verifyplus_pipeline") == 1
    [alert] = alerts(aws)
    assert alert["state_machine"] == "ingest"
    assert alert["execution"] == result["executionArn"]
    by_source = alert["extracts"]
    assert by_source["demand"]["failed"] is True
    assert by_source["demand"]["error"] == "TerminalError"
    assert "ITC_EXCHANGE_ENV is missing" in by_source["demand"]["cause"]
    assert by_source["verifyplus"]["failed"] is False


@pytest.mark.parametrize(("key", "pipeline"), [
    ("demand/run=20261101T050000Z/_manifest.json", "demand_pipeline"),
    ("verifyplus/run=20261101T050000Z/_manifest.json", "verifyplus_pipeline"),
])
def test_given_a_manifest_event_when_load_runs_then_pipeline_load_refresh_quality_in_order(aws, key, pipeline):
    """GIVEN an EventBridge Object Created event of a source's _manifest.json WHEN load runs
    THEN that source's pipeline loads it (with the event's bucket and key), then refresh, then quality; SUCCEEDED."""
    result = execute(aws, "load", manifest_event(key))
    assert result["status"] == "SUCCEEDED"
    assert aws["script"].modes() == [(pipeline, "load"), ("orchestrator", "refresh"), ("orchestrator", "quality")]
    load_payload = aws["script"].calls[0][1]
    assert load_payload["detail"]["bucket"]["name"] == "itc-beta-landing"
    assert load_payload["detail"]["object"]["key"] == key
    assert load_payload["detail-type"] == "Object Created"
    assert alerts(aws) == []


def test_given_a_deadlock_during_refresh_once_when_load_runs_then_refresh_is_retried_and_quality_runs(aws):
    """GIVEN the refresh fails once with TransientError WHEN load runs THEN it is retried and the run SUCCEEDED."""
    aws["script"].answers["orchestrator"] = [
        {"error": "TransientError", "message": "refreshing curated.demands_uploaded failed: deadlock detected"},
    ]
    result = execute(aws, "load", manifest_event("demand/run=1/_manifest.json"))
    assert result["status"] == "SUCCEEDED"
    assert aws["script"].modes() == [("demand_pipeline", "load"), ("orchestrator", "refresh"),
                                     ("orchestrator", "refresh"), ("orchestrator", "quality")]


def test_given_a_failed_quality_check_when_load_runs_then_sns_alert_and_failed(aws):
    """GIVEN the quality checks raise QualityCheckError WHEN load runs
    THEN no retry, the alert names the error and its message, and the execution FAILED."""
    aws["script"].answers["orchestrator"] = [
        {"result": {"mode": "refresh", "views": []}},
        {"error": "QualityCheckError", "message": "1 quality check(s) failed: freshness [verifyplus]: no load"},
    ]
    result = execute(aws, "load", manifest_event("demand/run=1/_manifest.json"))
    assert result["status"] == "FAILED"
    assert aws["script"].modes()[-1] == ("orchestrator", "quality")
    assert len(aws["script"].calls) == 3
    [alert] = alerts(aws)
    assert alert["state_machine"] == "load"
    assert alert["error"] == "QualityCheckError"
    assert "freshness [verifyplus]" in alert["cause"]


def test_given_a_key_of_no_known_source_when_load_runs_then_nothing_is_invoked_and_an_alert_is_sent(aws):
    """GIVEN a manifest under an unknown prefix WHEN load runs THEN no function runs, an UnknownSource alert, FAILED."""
    result = execute(aws, "load", manifest_event("elsewhere/run=1/_manifest.json"))
    assert result["status"] == "FAILED"
    assert aws["script"].calls == []
    [alert] = alerts(aws)
    assert alert["error"] == "UnknownSource"
