"""The ingest and load state machines: the orchestrator module's templates, read and executed.

Read: GIVEN the `.asl.json` templates and the variable maps the orchestrator module passes to
`templatefile`, WHEN they are rendered with dummy values, THEN they are valid JSON and every Task
invokes a function the module actually passes (or publishes to the alert topic), with that
function's own timeout and the mode the handler expects — so a renamed variable or a Task pointing
at a missing function fails here, not at `terraform apply`.

Executed: moto runs the ASL (Parallel, Choice, Retry with jitter, Catch, the SNS integration) but
never runs Lambda code: the ``aws`` fixture (conftest) replaces its Docker-less Lambda backend's
answer with a per-function script of results or errors (an error is returned the way Lambda reports
a function error), so the tests drive the control flow: happy path, a retry followed by success,
and a failure that alerts through SNS (read back from an SQS queue subscribed to the topic).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.terraform.conftest import (
    EVENTS,
    ORCHESTRATOR,
    STATE_MACHINES,
    module_text,
    render,
    rendered_definition,
    template_values,
    templatefile_calls,
)

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
SNS_PUBLISH = "arn:aws:states:::sns:publish"

# docs/CONTRACTS.md: the templatefile variables of each state machine.
# Each step invokes its own function (least privilege per step): ingest the extract functions only,
# load the load functions only.
CONTRACT_VARS = {
    "ingest": {
        "demand_extract_function_arn", "demand_extract_function_timeout_seconds", "demand_scan_max_concurrency",
        "verifyplus_extract_function_arn", "verifyplus_extract_function_timeout_seconds",
        "alert_topic_arn",
    },
    "load": {
        "demand_load_function_arn", "demand_load_function_timeout_seconds",
        "verifyplus_load_function_arn", "verifyplus_load_function_timeout_seconds",
        "orchestrator_function_arn", "orchestrator_function_timeout_seconds",
        "alert_topic_arn",
    },
}


# --------------------------------------------------------------------------------------------
# Reading the module and the rendered definitions
# --------------------------------------------------------------------------------------------
def declared_variables() -> set[str]:
    return set(re.findall(r'variable\s+"([a-z_0-9]+)"', (ORCHESTRATOR / "variables.tf").read_text()))


def declared_lambda_modules() -> set[str]:
    """Module calls of the orchestrator that deploy a function (source ../lambda_function)."""
    return set(re.findall(r'module\s+"([a-z_0-9]+)"\s*\{\s*source\s*=\s*"\.\./lambda_function"', module_text()))


def rendered(name: str) -> tuple[dict, dict[str, str]]:
    values = template_values(name)
    return json.loads(rendered_definition(name, values)), values


def iter_states(machine: dict) -> Iterator[tuple[str, dict]]:
    for state_name, state in machine["States"].items():
        yield state_name, state
        for branch in state.get("Branches", []):
            yield from iter_states(branch)
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                yield from iter_states(state[key])


def task_function(state: dict) -> str | None:
    if state["Resource"].startswith(LAMBDA_INVOKE):
        return state["Parameters"].get("FunctionName")
    if state["Resource"].startswith("arn:aws:lambda:"):
        return state["Resource"]
    return None


# --------------------------------------------------------------------------------------------
# The templates as the module renders them
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["ingest", "load"])
def test_module_passes_exactly_the_contract_variables(name: str) -> None:
    """GIVEN the module's templatefile call WHEN read THEN it passes the docs/CONTRACTS.md variables."""
    calls = templatefile_calls()
    assert name in calls, f"the orchestrator module does not render {name}.asl.json with templatefile"
    assert set(calls[name]) == CONTRACT_VARS[name]


@pytest.mark.parametrize("name", ["ingest", "load"])
def test_passed_functions_come_from_variables_or_module_lambdas(name: str) -> None:
    """GIVEN each *_function_arn / *_function_timeout_seconds the module passes
    WHEN its templatefile expression is read
    THEN it is a declared variable or the output of a Lambda of the module."""
    variables, modules = declared_variables(), declared_lambda_modules()
    assert modules, "the orchestrator module deploys no function through ../lambda_function"
    for var, expr in templatefile_calls()[name].items():
        if m := re.fullmatch(r"var\.([a-z_0-9]+)", expr):
            assert m.group(1) in variables, f"{var} = {expr}: no such variable in the module"
        elif m := re.fullmatch(r"module\.([a-z_0-9]+)\.(function_arn|function_timeout_seconds)", expr):
            assert m.group(1) in modules, f"{var} = {expr}: no such lambda_function module call"
        else:
            pytest.fail(f"{var} = {expr}: expected var.* or module.<lambda_function call>.function_*")


@pytest.mark.parametrize("name", ["ingest", "load"])
def test_every_task_targets_a_passed_function_or_the_alert_topic(name: str) -> None:
    """GIVEN the rendered definition WHEN every Task is inspected THEN each calls a passed ARN."""
    doc, values = rendered(name)
    functions = {v for k, v in values.items() if k.endswith("_function_arn")}
    used = set()
    tasks = [(n, s) for n, s in iter_states(doc) if s["Type"] == "Task"]
    assert tasks, "no Task states"
    for state_name, state in tasks:
        if state["Resource"].startswith(SNS_PUBLISH):
            assert state["Parameters"]["TopicArn"] == values["alert_topic_arn"], state_name
            continue
        function = task_function(state)
        assert function is not None, f"{state_name}: unexpected integration {state['Resource']}"
        assert function in functions, f"{state_name} invokes {function}, which the module does not pass"
        used.add(function)
    assert used == functions, f"functions passed but never invoked: {functions - used}"


@pytest.mark.parametrize("name", ["ingest", "load"])
def test_every_lambda_task_times_out_with_its_function(name: str) -> None:
    """GIVEN each function's timeout read from its module WHEN a Task invokes it
    THEN the Task's TimeoutSeconds is that timeout (not a number copied into the template)."""
    doc, values = rendered(name)
    timeout_of = {
        values[f"{prefix}_function_arn"]: int(values[f"{prefix}_function_timeout_seconds"])
        for prefix in (k.removesuffix("_function_arn") for k in values if k.endswith("_function_arn"))
    }
    for state_name, state in iter_states(doc):
        if state["Type"] == "Task" and (function := task_function(state)) is not None:
            assert state.get("TimeoutSeconds") == timeout_of[function], state_name


@pytest.mark.parametrize("name", ["ingest", "load"])
def test_lambda_tasks_retry_transient_errors_with_jitter(name: str) -> None:
    """GIVEN each rendered state machine WHEN its Lambda tasks are read
    THEN each retries TransientError and the Lambda service errors, with full jitter."""
    doc, _ = rendered(name)
    for state_name, state in iter_states(doc):
        if state["Type"] != "Task" or task_function(state) is None:
            continue
        retriable = {e for r in state.get("Retry", []) for e in r["ErrorEquals"]}
        assert {"TransientError", "Lambda.ServiceException", "Lambda.TooManyRequestsException"} <= retriable, state_name
        assert all(r.get("JitterStrategy") == "FULL" for r in state["Retry"]), state_name


@pytest.mark.parametrize("name", ["ingest", "load"])
def test_failures_alert_then_fail(name: str) -> None:
    """GIVEN any failure WHEN caught THEN the execution publishes to SNS and ends in a Fail state.

    A Catch inside a Parallel branch may instead record the failure in a Pass state that ends the
    branch (so the other source still lands); the Parallel must then lead to a Choice that sends any
    recorded failure to SNS and on to a Fail state.
    """
    doc, values = rendered(name)
    states = dict(iter_states(doc))

    def assert_alerts_then_fails(target: str, seen: frozenset[str] = frozenset()) -> None:
        """Every path from ``target`` (through the Pass/Choice/Map states that describe the failure)
        publishes to the alert topic and then fails."""
        assert target not in seen, f"a loop through {target}"
        state = states[target]
        if state["Type"] == "Task":
            assert state["Resource"].startswith(SNS_PUBLISH), target
            assert state["Parameters"]["TopicArn"] == values["alert_topic_arn"]
            assert states[state["Next"]]["Type"] == "Fail"
            return
        assert state["Type"] in ("Pass", "Choice", "Map"), f"{target}: a failure reaches a {state['Type']}"
        nexts = [r["Next"] for r in state.get("Choices", [])] + [state[k] for k in ("Next", "Default") if k in state]
        assert nexts, f"{target} ends before alerting"
        for name in nexts:
            assert_alerts_then_fails(name, seen | {target})

    catch_targets = {c["Next"] for s in states.values() for c in s.get("Catch", [])}
    assert catch_targets, "no Catch anywhere"
    for target in catch_targets:
        if states[target].get("End") is True:
            assert states[target]["Parameters"]["failed"] is True, target
            parallel = next(s for s in doc["States"].values() if s["Type"] == "Parallel"
                            and any(target in b["States"] for b in s["Branches"]))
            choice = doc["States"][parallel["Next"]]
            assert choice["Type"] == "Choice"
            for rule in choice["Choices"]:
                assert_alerts_then_fails(rule["Next"])
        else:
            assert_alerts_then_fails(target)


def test_ingest_extracts_both_sources_in_one_parallel_state() -> None:
    """GIVEN the ingest definition WHEN rendered
    THEN one Parallel state holds the two pipelines' extracts, one per branch."""
    doc, values = rendered("ingest")
    parallel = [s for _, s in iter_states(doc) if s["Type"] == "Parallel"]
    assert len(parallel) == 1
    branch_functions = [
        {task_function(s) for _, s in iter_states(branch) if s["Type"] == "Task" and task_function(s)}
        for branch in parallel[0]["Branches"]
    ]
    assert sorted(branch_functions, key=sorted) == sorted(
        [{values["demand_extract_function_arn"]}, {values["verifyplus_extract_function_arn"]}], key=sorted)


@pytest.mark.parametrize(("name", "step", "other"), [("ingest", "extract", "load"), ("load", "load", "extract")])
def test_each_state_machine_invokes_only_its_steps_functions_in_their_mode(name: str, step: str, other: str) -> None:
    """GIVEN the rendered definitions WHEN every pipeline Task is inspected THEN ingest calls only the extract
    functions with mode extract and load only the load functions with mode load: no Task hands a step to
    the other step's function (whose role could not do it, and whose handler refuses it)."""
    doc, values = rendered(name)
    assert not any(k.endswith(f"_{other}_function_arn") for k in values), f"{name} is given {other} functions"
    for state_name, state in iter_states(doc):
        if state["Type"] != "Task" or (function := task_function(state)) is None:
            continue
        if function == values.get("orchestrator_function_arn"):
            continue
        assert function in {values[f"{src}_{step}_function_arn"] for src in ("demand", "verifyplus")}, state_name
        assert state["Parameters"]["Payload"]["mode"] == step, state_name


def test_render_fails_on_a_variable_templatefile_is_not_given() -> None:
    """GIVEN a template naming an unknown ${var} WHEN rendered THEN it errors, as templatefile does."""
    with pytest.raises(KeyError):
        render('{"FunctionName": "${missing_function_arn}"}', {"demand_load_function_arn": "x"})
    assert render('{"a": "$${literal}"}', {}) == '{"a": "${literal}"}'


def test_templates_exist_for_every_state_machine_the_module_renders() -> None:
    """GIVEN the templatefile calls of the module WHEN their names are listed
    THEN each has an .asl.json template."""
    for name in templatefile_calls():
        assert (STATE_MACHINES / f"{name}.asl.json").is_file()


# --------------------------------------------------------------------------------------------
# The templates executed in moto's Step Functions interpreter (fixture `aws` in conftest)
# --------------------------------------------------------------------------------------------
def execute(aws: dict[str, Any], machine: str, payload: dict[str, Any]) -> dict[str, Any]:
    sfn = aws["sfn"]
    arn = sfn.start_execution(stateMachineArn=aws["machines"][machine], name=f"{machine}-{uuid.uuid4().hex[:12]}",
                              input=json.dumps(payload))["executionArn"]
    for _ in range(600):  # a safety net against a hung interpreter, not a timing assertion
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.1)
    raise AssertionError(f"{machine} execution still running")


def alerts(aws: dict[str, Any]) -> list[dict[str, Any]]:
    messages = aws["sqs"].receive_message(QueueUrl=aws["queue_url"], MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def execution_name(described: dict[str, Any]) -> str:
    return described["executionArn"].rsplit(":", 1)[1]


def manifest_event(key: str) -> dict[str, Any]:
    event = json.loads((EVENTS / "manifest_object_created.json").read_text())
    event["detail"]["object"]["key"] = key
    return event


def test_given_both_extracts_succeed_when_ingest_runs_then_it_succeeds_without_alert(aws):
    """GIVEN both pipelines answer OK WHEN ingest runs with a run id
    THEN both extract functions (and no load function) were invoked once in mode extract with that run id,
    the execution SUCCEEDED, and no alert was sent."""
    result = execute(aws, "ingest", {"run_id": "20261101T050000Z"})
    assert result["status"] == "SUCCEEDED"
    assert sorted(aws["script"].calls, key=lambda c: c[0]) == [
        ("demand_extract", {"mode": "extract", "step": "start", "run_id": "20261101T050000Z"}),
        ("verifyplus_extract", {"mode": "extract", "run_id": "20261101T050000Z"}),
    ]
    assert alerts(aws) == []


def test_given_a_transient_error_once_when_ingest_runs_then_it_retries_and_succeeds(aws):
    """GIVEN the Verify+ extract fails once with TransientError (Quickbase throttled) WHEN ingest runs
    THEN the extract is retried, the execution SUCCEEDED, and no alert was sent."""
    aws["script"].answers["verifyplus_extract"] = [
        {"error": "TransientError", "message": "Quickbase answered 429 too many times"},
        {"result": {"status": "extracted", "records": 12}},
    ]
    result = execute(aws, "ingest", {"run_id": "r-2"})
    assert result["status"] == "SUCCEEDED"
    assert [c[0] for c in aws["script"].calls].count("verifyplus_extract") == 2
    assert json.loads(result["output"])["extract"]["verifyplus"] == {
        "source": "verifyplus", "failed": False, "summary": {"status": "extracted", "records": 12}}
    assert alerts(aws) == []


def test_terminal_extract_error_alerts_and_other_source_lands(aws):
    """GIVEN the demand extract fails with TerminalError WHEN ingest runs
    THEN it is not retried, the Verify+ extract still runs to the end, the alert topic receives the run id,
    the execution id and per source: the failed step, its error class and the one-line reason; FAILED."""
    aws["script"].answers["demand_extract"] = [{"error": "TerminalError", "message": "ITC_EXCHANGE_ENV is missing"}]
    result = execute(aws, "ingest", {"run_id": "r-3"})
    assert result["status"] == "FAILED"
    calls = [c[0] for c in aws["script"].calls]
    assert calls.count("demand_extract") == 1
    assert calls.count("verifyplus_extract") == 1
    [alert] = alerts(aws)
    assert alert["state_machine"] == "ingest"
    assert alert["run_id"] == "r-3"
    assert alert["execution"] == result["executionArn"]
    assert alert["extracts"] == [
        {"source": "demand", "failed": True, "step": "ExtractDemand", "error": "TerminalError",
         "reason": "ITC_EXCHANGE_ENV is missing"},
        {"source": "verifyplus", "failed": False},
    ]


@pytest.mark.parametrize(("key", "pipeline"), [
    ("demand/run=20261101T050000Z/_manifest.json", "demand_load"),
    ("verifyplus/run=20261101T050000Z/_manifest.json", "verifyplus_load"),
])
def test_manifest_event_runs_load_refresh_quality_in_order(aws, key, pipeline):
    """GIVEN an EventBridge Object Created event of a source's _manifest.json WHEN load runs
    THEN that source's load function (no extract function) loads it (with the event's bucket and key), then
    refresh, then quality; SUCCEEDED."""
    result = execute(aws, "load", manifest_event(key))
    assert result["status"] == "SUCCEEDED"
    assert aws["script"].modes() == [(pipeline, "load"), ("orchestrator", "refresh"), ("orchestrator", "quality")]
    load_payload = aws["script"].calls[0][1]
    assert load_payload["detail"]["bucket"]["name"] == "itc-beta-landing"
    assert load_payload["detail"]["object"]["key"] == key
    assert load_payload["detail-type"] == "Object Created"
    assert alerts(aws) == []


def test_transient_refresh_failure_is_retried(aws):
    """GIVEN the refresh fails once with TransientError WHEN load runs THEN it is retried and the run SUCCEEDED."""
    aws["script"].answers["orchestrator"] = [
        {"error": "TransientError", "message": "refreshing curated.demands_uploaded failed: deadlock detected"},
    ]
    result = execute(aws, "load", manifest_event("demand/run=1/_manifest.json"))
    assert result["status"] == "SUCCEEDED"
    assert aws["script"].modes() == [("demand_load", "load"), ("orchestrator", "refresh"),
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
    assert alert == {"state_machine": "load", "run_id": execution_name(result), "execution": result["executionArn"],
                     "started_at": alert["started_at"], "step": "QualityChecks", "error": "QualityCheckError",
                     "reason": "1 quality check(s) failed: freshness [verifyplus]: no load"}


def test_unknown_source_key_invokes_nothing_and_alerts(aws):
    """GIVEN a manifest under an unknown prefix WHEN load runs THEN no function runs, an UnknownSource alert, FAILED."""
    result = execute(aws, "load", manifest_event("elsewhere/run=1/_manifest.json"))
    assert result["status"] == "FAILED"
    assert aws["script"].calls == []
    [alert] = alerts(aws)
    assert (alert["step"], alert["error"]) == ("RouteBySource", "UnknownSource")
    assert alert["reason"] == "The event is not an Object Created event of a key under demand/ or verifyplus/."

