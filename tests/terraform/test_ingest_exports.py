"""The ingest state machine's export path (the demand pipeline's README, "Extract by DynamoDB export"),
executed in moto's Step Functions interpreter.

GIVEN the demand extract's start step reports DynamoDB exports pending (tables in export mode), the demand branch
waits and polls each export, converts it once COMPLETED and then calls the finish step (the manifest); a FAILED
export (the poll step's ExportFailedError) or one that never completes fails the branch and alerts. The Lambda
answers are scripted as in test_state_machines.py; the Wait is shortened to 1 s and the poll limit to 3 in a copy
of the rendered definition (moto really waits), nothing else changes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.terraform.conftest import rendered_definition, template_values
from tests.terraform.test_state_machines import alerts, execute

EXPORT = {"table": "documents", "dynamodb_table": "exchange-beta-documents", "export_arn": "arn:export/1",
          "export_type": "FULL_EXPORT", "started_at": "2026-12-02T05:00:00+00:00"}
START = {"mode": "extract", "step": "start", "source": "demand", "run_id": "r-x", "pending": True,
         "extracted_at": "2026-12-02T05:00:00+00:00", "tables": {}, "files": [], "segments": [], "exports": [EXPORT]}
CONVERTED = {"mode": "extract", "step": "convert", "table": "documents",
             "file": {"table": "documents", "key": "demand/run=r-x/documents.jsonl.gz", "records": 3, "bytes": 9,
                      "sha256": "0" * 64}, "state": {"table": "documents"}}


@pytest.fixture
def fast_ingest(aws: dict[str, Any]) -> dict[str, Any]:
    """The rendered ingest definition with a 1 s Wait and a limit of 3 polls, as its own state machine."""
    described = aws["sfn"].describe_state_machine(stateMachineArn=aws["machines"]["ingest"])
    definition = json.loads(described["definition"])
    demand = definition["States"]["Extract"]["Branches"][0]["States"]
    loop = demand["ExportDemandTables"]["ItemProcessor"]["States"]
    loop["WaitForExport"]["Seconds"] = 1
    loop["ExportCompleted"]["Choices"][1]["NumericGreaterThanEquals"] = 3
    aws["machines"]["ingest-fast"] = aws["sfn"].create_state_machine(
        name="itc-ingest-fast", definition=json.dumps(definition), roleArn=described["roleArn"])["stateMachineArn"]
    return aws


def demand_calls(aws: dict[str, Any]) -> list[tuple[str | None, str | None]]:
    return [(p.get("step"), p.get("run_id")) for name, p in aws["script"].calls if name == "demand_extract"]


def test_the_rendered_template_waits_60_s_between_polls_and_gives_up_after_240() -> None:
    """GIVEN the ingest state machine template WHEN rendered
    THEN the export loop waits 60 s between polls and its give-up choice is at 240."""
    definition = json.loads(rendered_definition("ingest", template_values("ingest")))
    loop = definition["States"]["Extract"]["Branches"][0]["States"]["ExportDemandTables"]["ItemProcessor"]["States"]
    assert loop["WaitForExport"]["Seconds"] == 60
    assert loop["ExportCompleted"]["Choices"][1]["NumericGreaterThanEquals"] == 240


def test_pending_export_is_polled_converted_and_finished(fast_ingest):
    """GIVEN start reports one export pending WHEN the export is IN_PROGRESS at the first poll and COMPLETED at
    the second THEN the branch converts it, calls finish with the start summary and the converted file, and the
    execution SUCCEEDED without alert."""
    aws = fast_ingest
    aws["script"].answers["demand_extract"] = [
        {"result": START},
        {"result": {"mode": "extract", "step": "poll", "table": "documents", "status": "IN_PROGRESS"}},
        {"result": {"mode": "extract", "step": "poll", "table": "documents", "status": "COMPLETED"}},
        {"result": CONVERTED},
        {"result": {"mode": "extract", "step": "finish", "manifest_key": "demand/run=r-x/_manifest.json"}},
    ]

    result = execute(aws, "ingest-fast", {"run_id": "r-x"})

    assert result["status"] == "SUCCEEDED"
    assert demand_calls(aws) == [("start", "r-x"), ("poll", "r-x"), ("poll", "r-x"), ("convert", "r-x"),
                                 ("finish", "r-x")]
    calls = [p for name, p in aws["script"].calls if name == "demand_extract"]
    assert calls[1]["export"] == EXPORT and calls[3]["export"] == EXPORT
    finish = calls[4]
    assert finish["start"] == START
    assert finish["converted"] == [{k: CONVERTED[k] for k in ("table", "file", "state")}]
    output = json.loads(result["output"])["extract"]["demand"]
    assert output == {"source": "demand", "failed": False,
                      "summary": {"mode": "extract", "step": "finish", "manifest_key": "demand/run=r-x/_manifest.json"}}
    assert alerts(aws) == []


def test_no_pending_export_start_is_the_whole_extract(fast_ingest):
    """GIVEN start reports no export pending WHEN ingest runs THEN the start step is the whole demand extract
    (no poll, convert or finish) and the execution SUCCEEDED."""
    aws = fast_ingest
    aws["script"].answers["demand_extract"] = [{"result": {**START, "pending": False, "exports": [],
                                                           "manifest_key": "demand/run=r-x/_manifest.json"}}]
    result = execute(aws, "ingest-fast", {"run_id": "r-x"})
    assert result["status"] == "SUCCEEDED"
    assert demand_calls(aws) == [("start", "r-x")]


def test_failed_export_alerts_with_reason_and_converts_nothing(
        fast_ingest):
    """GIVEN the poll step raises ExportFailedError (DynamoDB reports the export FAILED) WHEN ingest runs
    THEN no convert or finish runs (no manifest), Verify+ still lands, the alert carries the step, the error class
    and the Lambda's one-line reason, and the execution FAILED."""
    aws = fast_ingest
    reason = ("the DynamoDB export of documents (exchange-beta-documents, FULL_EXPORT) FAILED: S3NoSuchBucket: "
              "The specified bucket does not exist")
    aws["script"].answers["demand_extract"] = [{"result": START}, {"error": "ExportFailedError", "message": reason}]

    result = execute(aws, "ingest-fast", {"run_id": "r-x"})

    assert result["status"] == "FAILED"
    assert demand_calls(aws) == [("start", "r-x"), ("poll", "r-x")]
    [alert] = alerts(aws)
    assert alert["extracts"] == [
        {"source": "demand", "failed": True, "step": "ExportDemandTables", "error": "ExportFailedError",
         "reason": reason},
        {"source": "verifyplus", "failed": False},
    ]


def test_export_never_completing_gives_up_after_poll_limit(fast_ingest):
    """GIVEN an export that stays IN_PROGRESS WHEN ingest runs THEN it gives up after the poll limit, alerts
    ExportTimedOut for the ExportDemandTables step, and the execution FAILED."""
    aws = fast_ingest
    in_progress = {"result": {"mode": "extract", "step": "poll", "table": "documents", "status": "IN_PROGRESS"}}
    aws["script"].answers["demand_extract"] = [{"result": START}] + [in_progress] * 10

    result = execute(aws, "ingest-fast", {"run_id": "r-x"})

    assert result["status"] == "FAILED"
    assert [s for s, _ in demand_calls(aws)] == ["start", "poll", "poll", "poll", "poll"]
    [alert] = alerts(aws)
    assert alert["extracts"][0] == {
        "source": "demand", "failed": True, "step": "ExportDemandTables", "error": "ExportTimedOut",
        "reason": "ExportDemandTables failed with ExportTimedOut; the details are in the execution history"}
