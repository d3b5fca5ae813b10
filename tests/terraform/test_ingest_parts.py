"""The ingest state machine's segmented scan (docs/adr/0013-segmented-scan-extract.md), executed in moto's Step
Functions interpreter: the start step's ``segments`` run through the Distributed Map ``ScanDemandParts`` (one child
execution per part, each invoking the extract function's scan step) and the finish step gets every part's result.

moto 5 runs the DISTRIBUTED Map of the deployed definition itself (ItemsPath, ItemSelector, MaxConcurrency, Label,
ProcessorConfig): the test executes the rendered template, nothing replaced. What moto does not do: it ignores
``ToleratedFailureCount`` (a failed child leaves ``null`` in the results and the Map succeeds, where Step Functions
fails the Map), so the failure test pins what moto does and the finish step's refusal of a ``null`` result
(demand_pipeline's test_scan_parts.py) covers both. The Lambda answers are scripted as in test_state_machines.py.
"""

from __future__ import annotations

import json
from typing import Any

from tests.terraform.conftest import rendered_definition, template_values
from tests.terraform.test_state_machines import alerts, execute

SEGMENTS = [{"table": "documents", "part": p, "parts": 3, "threads": 4} for p in range(3)] + [
    {"table": "templates", "part": 0, "parts": 1, "threads": 4}]
START = {"mode": "extract", "step": "start", "source": "demand", "run_id": "r-p", "pending": True,
         "extracted_at": "2026-12-02T05:00:00+00:00", "tables": {}, "files": [], "segments": SEGMENTS, "exports": []}
FINISHED = {"mode": "extract", "step": "finish", "manifest_key": "demand/run=r-p/_manifest.json"}


def scanned(segment: dict[str, Any]) -> dict[str, Any]:
    """What the scan step returns for a part (key, counts, a sha256 that names the part)."""
    key = f"demand/run=r-p/{segment['table']}/part-{segment['part']:05d}-of-{segment['parts']:05d}.jsonl.gz"
    return {"table": segment["table"], "part": segment["part"], "parts": segment["parts"], "key": key,
            "records": 10 + segment["part"], "bytes": 100, "sha256": f"{segment['part']:064d}", "version_id": "v1",
            "duration_ms": 5}


def scan_answer(payload: dict[str, Any]) -> dict[str, Any]:
    return {"result": {"mode": "extract", "step": "scan", "run_id": payload["run_id"], **scanned(payload["segment"])}}


def demand_payloads(aws: dict[str, Any], step: str) -> list[dict[str, Any]]:
    return [p for name, p in aws["script"].calls if name == "demand_extract" and p.get("step") == step]


def test_the_deployed_map_is_distributed_with_the_module_concurrency() -> None:
    """GIVEN the ingest template WHEN rendered with the module's variables THEN ScanDemandParts is a DISTRIBUTED
    Map of STANDARD child executions over the start step's segments, at most demand_scan_max_concurrency at a
    time, tolerating no failure, and FinishDemand passes the Map's results as ``scanned``."""
    values = template_values("ingest")
    demand = json.loads(rendered_definition("ingest", values))["States"]["Extract"]["Branches"][0]["States"]
    scan = demand["ScanDemandParts"]
    assert scan["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    assert scan["ItemsPath"] == "$.summary.segments" and scan["ToleratedFailureCount"] == 0
    assert scan["MaxConcurrency"] == int(values["demand_scan_max_concurrency"])
    assert demand["DemandExportsPending"]["Choices"][0]["Next"] == "ScanDemandParts"
    assert scan["Next"] == "ExportDemandTables"
    assert demand["FinishDemand"]["Parameters"]["Payload"]["scanned.$"] == "$.scanned"


def test_each_part_is_scanned_by_a_child_execution_then_finished(aws: dict[str, Any]) -> None:
    """GIVEN start reports four parts (three of documents, one of templates) and no export WHEN ingest runs
    THEN each part is scanned exactly once through the Distributed Map (a Map Run in the history), no export step
    runs, finish gets every part's key, count and sha256 in the segments' order, and the execution SUCCEEDED."""
    aws["script"].answers["demand_extract"] = [{"result": START}, *[scan_answer] * 4, {"result": FINISHED}]

    result = execute(aws, "ingest", {"run_id": "r-p"})

    assert result["status"] == "SUCCEEDED"
    steps = [p.get("step") for name, p in aws["script"].calls if name == "demand_extract"]
    assert steps[0] == "start" and steps[-1] == "finish" and sorted(steps[1:-1]) == ["scan"] * 4
    scans = demand_payloads(aws, "scan")
    assert sorted((p["segment"]["table"], p["segment"]["part"]) for p in scans) == [
        ("documents", 0), ("documents", 1), ("documents", 2), ("templates", 0)]
    assert all(p["run_id"] == "r-p" and p["segment"] in SEGMENTS for p in scans)
    [finish] = demand_payloads(aws, "finish")
    assert finish["scanned"] == [{k: scanned(s)[k] for k in ("table", "part", "parts", "key", "records", "bytes",
                                                             "sha256")} for s in SEGMENTS]
    assert finish["converted"] == []
    history = aws["sfn"].get_execution_history(executionArn=result["executionArn"], maxResults=1000)["events"]
    assert "MapRunStarted" in {e["type"] for e in history}
    assert json.loads(result["output"])["extract"]["demand"]["summary"] == FINISHED
    assert alerts(aws) == []


def test_a_failed_part_never_lands_a_manifest(aws: dict[str, Any]) -> None:
    """GIVEN one part's scan fails with a terminal error WHEN ingest runs THEN in moto the failed child leaves
    null in the Map's results (Step Functions would fail the Map: ToleratedFailureCount 0), finish gets that null
    and refuses (PartsError), the alert names FinishDemand, and the execution FAILED; no manifest either way."""
    def answer(payload: dict[str, Any]) -> dict[str, Any]:
        if payload["segment"]["part"] == 1 and payload["segment"]["table"] == "documents":
            return {"error": "TerminalError", "message": "scanning exchange-beta-documents failed: AccessDenied"}
        return scan_answer(payload)

    refusal = "segment scan(s) #2 of 4 returned no result (a failed iteration): the manifest is not written"
    aws["script"].answers["demand_extract"] = [{"result": START}, *[answer] * 4,
                                               {"error": "PartsError", "message": refusal}]

    result = execute(aws, "ingest", {"run_id": "r-p"})

    assert result["status"] == "FAILED"
    [finish] = demand_payloads(aws, "finish")
    assert finish["scanned"][1] is None and all(r is not None for i, r in enumerate(finish["scanned"]) if i != 1)
    [alert] = alerts(aws)
    assert alert["extracts"][0] == {"source": "demand", "failed": True, "step": "FinishDemand",
                                    "error": "PartsError", "reason": refusal}
