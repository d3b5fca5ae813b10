"""The ingest and load state machines, rendered the way Terraform renders them.

GIVEN the `.asl.json` templates and the variable maps the orchestrator module passes to
`templatefile`, WHEN they are rendered with dummy ARNs, THEN they are valid JSON and every Task
invokes a function the module actually passes (or publishes to the alert topic), with the mode
the handler expects — so a renamed variable or a Task pointing at a missing function fails here,
not at `terraform apply`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ORCHESTRATOR = Path(__file__).resolve().parents[2] / "terraform_modules" / "orchestrator"
STATE_MACHINES = ORCHESTRATOR / "state_machines"
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
SNS_PUBLISH = "arn:aws:states:::sns:publish"

# docs/CONTRACTS.md: the templatefile variables of each state machine.
CONTRACT_VARS = {
    "ingest": {"demand_function_arn", "verifyplus_function_arn", "alert_topic_arn"},
    "load": {"demand_function_arn", "verifyplus_function_arn", "orchestrator_function_arn", "alert_topic_arn"},
}


# --------------------------------------------------------------------------------------------
# Reading the module's HCL (just enough of it: the templatefile calls and their maps)
# --------------------------------------------------------------------------------------------
def _module_text() -> str:
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
    text = _module_text()
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


def declared_variables() -> set[str]:
    return set(re.findall(r'variable\s+"([a-z_0-9]+)"', (ORCHESTRATOR / "variables.tf").read_text()))


def declared_lambda_modules() -> set[str]:
    """Module calls of the orchestrator that deploy a function (source ../lambda_function)."""
    return set(
        re.findall(r'module\s+"([a-z_0-9]+)"\s*\{\s*source\s*=\s*"\.\./lambda_function"', _module_text())
    )


# --------------------------------------------------------------------------------------------
# Rendering like templatefile
# --------------------------------------------------------------------------------------------
def dummy_arn(variable: str) -> str:
    if variable.endswith("_function_arn"):
        return f"arn:aws:lambda:us-east-1:123456789012:function:dummy-{variable.removesuffix('_function_arn')}"
    if variable.endswith("_topic_arn"):
        return f"arn:aws:sns:us-east-1:123456789012:dummy-{variable.removesuffix('_topic_arn')}"
    return f"dummy-{variable}"


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


def rendered(name: str) -> tuple[dict, dict[str, str]]:
    passed = templatefile_calls()[name]
    values = {var: dummy_arn(var) for var in passed}
    doc = json.loads(render((STATE_MACHINES / f"{name}.asl.json").read_text(), values))
    return doc, values


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
# Tests
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["ingest", "load"])
def test_module_passes_exactly_the_contract_variables(name: str) -> None:
    """GIVEN the module's templatefile call WHEN read THEN it passes the docs/CONTRACTS.md variables."""
    calls = templatefile_calls()
    assert name in calls, f"the orchestrator module does not render {name}.asl.json with templatefile"
    assert set(calls[name]) == CONTRACT_VARS[name]


@pytest.mark.parametrize("name", ["ingest", "load"])
def test_passed_function_arns_come_from_variables_or_module_lambdas(name: str) -> None:
    """GIVEN each *_function_arn the module passes THEN it is a declared variable or a Lambda of the module."""
    variables, modules = declared_variables(), declared_lambda_modules()
    assert modules, "the orchestrator module deploys no function through ../lambda_function"
    for var, expr in templatefile_calls()[name].items():
        if m := re.fullmatch(r"var\.([a-z_0-9]+)", expr):
            assert m.group(1) in variables, f"{var} = {expr}: no such variable in the module"
        elif m := re.fullmatch(r"module\.([a-z_0-9]+)\.function_arn", expr):
            assert m.group(1) in modules, f"{var} = {expr}: no such lambda_function module call"
        else:
            pytest.fail(f"{var} = {expr}: expected var.* or module.<lambda_function call>.function_arn")


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
def test_lambda_tasks_retry_transient_errors_with_jitter(name: str) -> None:
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

    def assert_alerts_then_fails(target: str) -> None:
        notify = states[target]
        assert notify["Resource"].startswith(SNS_PUBLISH), target
        assert notify["Parameters"]["TopicArn"] == values["alert_topic_arn"]
        assert states[notify["Next"]]["Type"] == "Fail"

    catch_targets = {c["Next"] for s in states.values() for c in s.get("Catch", [])}
    assert catch_targets, "no Catch anywhere"
    for target in catch_targets:
        if states[target]["Type"] == "Pass":
            assert states[target]["Parameters"]["failed"] is True and states[target].get("End") is True, target
            parallel = next(s for s in doc["States"].values() if s["Type"] == "Parallel"
                            and any(target in b["States"] for b in s["Branches"]))
            choice = doc["States"][parallel["Next"]]
            assert choice["Type"] == "Choice"
            for rule in choice["Choices"]:
                assert_alerts_then_fails(rule["Next"])
        else:
            assert_alerts_then_fails(target)


def test_ingest_extracts_both_sources_in_parallel() -> None:
    doc, values = rendered("ingest")
    parallel = [s for _, s in iter_states(doc) if s["Type"] == "Parallel"]
    assert len(parallel) == 1
    calls = {}
    for branch in parallel[0]["Branches"]:
        for _, state in iter_states(branch):
            if state["Type"] == "Task":
                calls[task_function(state)] = state["Parameters"]["Payload"]
    assert set(calls) == {values["demand_function_arn"], values["verifyplus_function_arn"]}
    assert all(p["mode"] == "extract" and p["run_id.$"] == "$.run_id" for p in calls.values())


def _starts_with(pattern: str, key: str) -> bool:
    return re.fullmatch(re.escape(pattern).replace(r"\*", ".*"), key) is not None


def _walk_load(doc: dict, key: str) -> list[tuple[str, str]]:
    """Follow the load machine for a manifest key: [(function, mode), ...] until Succeed/Fail."""
    states = doc["States"]
    name, path = doc["StartAt"], []
    for _ in range(50):
        state = states[name]
        if state["Type"] in ("Succeed", "Fail"):
            path.append((state["Type"], ""))
            return path
        if state["Type"] == "Choice":
            nxt = state.get("Default")
            for rule in state["Choices"]:
                assert rule["Variable"] == "$.detail.object.key"
                if "StringMatches" in rule and _starts_with(rule["StringMatches"], key):
                    nxt = rule["Next"]
                    break
            name = nxt
            continue
        if state["Type"] == "Task" and task_function(state):
            path.append((task_function(state), state["Parameters"]["Payload"]["mode"]))
        name = state["Next"]
    raise AssertionError("load state machine does not terminate")


@pytest.mark.parametrize("source", ["demand", "verifyplus"])
def test_load_routes_a_manifest_to_its_pipeline_then_refresh_then_quality(source: str) -> None:
    """GIVEN a <source>/run=<id>/_manifest.json event WHEN routed THEN load → refresh → quality → Succeed."""
    doc, values = rendered("load")
    path = _walk_load(doc, f"{source}/run=20261031T050000Z/_manifest.json")
    assert path == [
        (values[f"{source}_function_arn"], "load"),
        (values["orchestrator_function_arn"], "refresh"),
        (values["orchestrator_function_arn"], "quality"),
        ("Succeed", ""),
    ]


def test_load_rejects_a_manifest_of_an_unknown_source_with_an_alert() -> None:
    doc, _ = rendered("load")
    path = _walk_load(doc, "elsewhere/run=1/_manifest.json")
    assert path[-1] == ("Fail", "")
    assert all(mode not in ("load", "refresh", "quality") for _, mode in path)


def test_render_fails_on_a_variable_templatefile_is_not_given() -> None:
    """GIVEN a template naming an unknown ${var} WHEN rendered THEN it errors, as templatefile does."""
    with pytest.raises(KeyError):
        render('{"FunctionName": "${missing_function_arn}"}', {"demand_function_arn": "x"})
    assert render('{"a": "$${literal}"}', {}) == '{"a": "${literal}"}'


def test_templates_exist_for_every_state_machine_the_module_renders() -> None:
    for name in templatefile_calls():
        assert (STATE_MACHINES / f"{name}.asl.json").is_file()
