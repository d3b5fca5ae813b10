"""Alerts without payloads (docs/design.md §6), executed in moto's Step Functions (fixture ``aws``): the
SNS message is a fixed structure (run id, execution, step, error class, one-line reason; ingest per
source), built from selected fields only: never the error output's Cause text, stack trace or source
lines, even when the Lambda's error output carries a claimant's name in them. The Lambda side (the
reason is redacted before it leaves the handler) is common/itc_common_utilities/tests/test_alert_redaction.py.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.terraform.conftest import REGION
from tests.terraform.test_state_machines import execute, execution_name, manifest_event

SOURCE_LINE = 'File "/var/task/demand_pipeline/builders/case_builder.py", line 51: claimant = "Jane Roe"'
ALERT_KEYS = {"state_machine", "run_id", "execution", "started_at", "step", "error", "reason"}


def function_name(source: str, step: str) -> str:
    """The (scripted) function a state machine invokes for ``source``'s ``step``: one function per step
    when the module deploys them apart (``demand_load``), else the pipeline's (``demand_pipeline``)."""
    names = {f["FunctionName"] for f in boto3.client("lambda", region_name=REGION).list_functions()["Functions"]}
    return f"{source}_{step}" if f"{source}_{step}" in names else f"{source}_pipeline"


def raw_alerts(aws: dict[str, Any]) -> list[str]:
    messages = aws["sqs"].receive_message(QueueUrl=aws["queue_url"], MaxNumberOfMessages=10).get("Messages", [])
    return [m["Body"] for m in messages]


def test_load_alert_has_no_source_line_or_trace(aws):
    """GIVEN the demand load fails with an error output whose stack trace quotes a source line holding a
    claimant's name WHEN load runs THEN the SNS message is exactly run id, execution, step, error class and
    the one-line reason: no stack trace, no source line, no name."""
    aws["script"].answers[function_name("demand", "load")] = [{"raw": {
        "errorType": "SnapshotFileError", "errorMessage": "demand/run=1/documents.jsonl.gz: line 7 is not JSON",
        "stackTrace": [SOURCE_LINE, '  raise SnapshotFileError(f"{name}: line {number} is not JSON")']}}]

    result = execute(aws, "load", manifest_event("demand/run=1/_manifest.json"))

    assert result["status"] == "FAILED"
    [body] = raw_alerts(aws)
    alert = json.loads(body)
    assert set(alert) == ALERT_KEYS
    assert (alert["run_id"], alert["step"], alert["error"]) == (execution_name(result), "LoadDemand",
                                                                "SnapshotFileError")
    assert alert["reason"] == "demand/run=1/documents.jsonl.gz: line 7 is not JSON"
    assert "Jane Roe" not in body and "stackTrace" not in body and "case_builder" not in body


@pytest.mark.parametrize("raw", [
    {"errorType": "Sandbox.Timedout", "stackTrace": [SOURCE_LINE]},        # no errorMessage
    {"errorType": "Weird", "errorMessage": {"claimant": "Jane Roe"}},     # not a one-line text
])
def test_unreadable_refresh_error_gives_a_fixed_reason(aws, raw):
    """GIVEN the refresh fails with an error output that has no text message WHEN load runs THEN the
    alert's reason is a fixed sentence naming the step and the error class, and nothing of the output."""
    aws["script"].answers["orchestrator"] = [{"raw": raw}]

    execute(aws, "load", manifest_event("verifyplus/run=2/_manifest.json"))

    [body] = raw_alerts(aws)
    alert = json.loads(body)
    assert set(alert) == ALERT_KEYS
    assert alert["step"] == "RefreshViews" and alert["error"] == raw["errorType"]
    assert alert["reason"] == f"RefreshViews failed with {raw['errorType']}; the details are in the execution history"
    assert "Jane Roe" not in body


def test_ingest_alert_has_no_source_line_or_trace(aws):
    """GIVEN the Verify+ extract fails with a stack trace quoting a source line WHEN ingest runs THEN the
    alert names the run, and per source the step, error class and reason only."""
    aws["script"].answers[function_name("verifyplus", "extract")] = [{"raw": {
        "errorType": "TerminalError", "errorMessage": "Quickbase refused reading the report fields with HTTP 401",
        "stackTrace": [SOURCE_LINE]}}]

    execute(aws, "ingest", {"run_id": "r-9"})

    [body] = raw_alerts(aws)
    alert = json.loads(body)
    assert set(alert) == {"state_machine", "run_id", "execution", "started_at", "extracts"}
    assert alert["run_id"] == "r-9"
    assert alert["extracts"][1] == {"source": "verifyplus", "failed": True, "step": "ExtractVerifyplus",
                                    "error": "TerminalError",
                                    "reason": "Quickbase refused reading the report fields with HTTP 401"}
    assert "Jane Roe" not in body and "stackTrace" not in body
