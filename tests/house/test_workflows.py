"""The GitHub workflows can go green: every `run:` step calls make targets and scripts that exist, and a job
that runs a make target needing system packages first installs what scripts/build/system_packages.sh lists.

Read from the files themselves (PyYAML, the Makefile, ``system_packages.sh list``): a workflow calling
`make tset`, a deleted script, or installing ``postgresql openssl`` by hand before `make test` (the list
also names pgAudit and Chromium) is reported with the job, the step and the cause.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
SYSTEM_PACKAGES = "scripts/build/system_packages.sh"
MODES = {"venv": ("venv",), "test": ("venv", "test"), "package": ("venv", "package")}  # what each mode installs

# --------------------------------------------------------------------------------------------- Makefile


@cache
def makefile() -> tuple[dict[str, list[str]], dict[str, str]]:
    """target -> [prerequisites] (variables expanded), target -> its recipe text."""
    text = (REPO / "Makefile").read_text()
    variables = dict(re.findall(r"^([A-Z_]+)\s*[:?]?=\s*(.*)$", text, re.M))

    def expand(value: str) -> str:
        for _ in range(5):
            value = re.sub(r"\$\(([A-Z_]+)\)", lambda m: variables.get(m.group(1), ""), value)
        return value

    deps: dict[str, list[str]] = {}
    recipes: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        rule = re.match(r"^([^\s:#=][^:=]*?)\s*:(?!=)\s*([^#]*?)\s*(?:##.*)?$", line)
        if rule and not line.startswith("\t") and not rule.group(1).startswith("."):
            current = expand(rule.group(1))
            deps[current] = [expand(d) for d in rule.group(2).split()]
            recipes[current] = ""
        elif line.startswith("\t") and current:
            recipes[current] += line + "\n"
        elif line.strip() and not line.startswith("\t"):
            current = None
    return deps, recipes


def modes_needed(target: str, seen: frozenset[str] = frozenset()) -> set[str]:
    """The system_packages.sh modes ``target`` (or a prerequisite) runs."""
    deps, recipes = makefile()
    if target in seen:
        return set()
    needed = set(re.findall(rf"{re.escape(SYSTEM_PACKAGES)}\s+(\w+)", recipes.get(target, "")))
    for dep in deps.get(target, []):
        needed |= modes_needed(dep, seen | {target})
    return needed


@cache
def packages_listed(mode: str) -> frozenset[str]:
    """Every package ``system_packages.sh list <mode>`` names (pgAudit's major as N)."""
    listed = subprocess.run(["bash", SYSTEM_PACKAGES, "list", mode], cwd=REPO, capture_output=True, text=True,
                            check=True).stdout.split()  # fmt: skip
    return frozenset(_generic(p) for p in listed)


def _generic(package: str) -> str:
    return re.sub(r"^postgresql-\d+-", "postgresql-N-", package)


# --------------------------------------------------------------------------------------------- workflows


def _commands(script: str) -> list[str]:
    """The shell commands of a run: script (continuations joined; split at ;, &&, ||, |, newlines)."""
    joined = script.replace("\\\n", " ")
    return [c.strip() for c in re.split(r"\n|;|&&|\|\||\|", joined) if c.strip()]


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command, comments=True)
    except ValueError:
        return command.split()


def _path_exists(token: str, workdir: Path) -> bool:
    return (workdir / token).exists() or (REPO / token).exists()


def problems(workflow: dict[str, Any], name: str) -> list[str]:
    """What would stop ``workflow`` from going green, one line per problem (empty: none found)."""
    deps, _ = makefile()
    found: list[str] = []
    for job_id, job in (workflow.get("jobs") or {}).items():
        default_dir = ((job.get("defaults") or {}).get("run") or {}).get("working-directory", ".")
        covered: set[str] = set()
        apt_installed: set[str] = set()
        for number, step in enumerate(job.get("steps") or [], start=1):
            script = step.get("run")
            if not script:
                continue
            where = f"{name} job {job_id} step {number} ({step.get('name', script.splitlines()[0])!s})"
            workdir = REPO / step.get("working-directory", default_dir)
            for command in _commands(script):
                words = _words(command)
                if not words:
                    continue
                as_root = "sudo" in words
                if "apt-get" in words and "install" in words:
                    apt_installed |= {_generic(w) for w in words[words.index("install") + 1:] if not w.startswith("-")}
                for i, word in enumerate(words):
                    if re.fullmatch(r"(\./)?(scripts|tests|terraform|terraform_modules|common)/[\w./-]+\.(sh|py)",
                                    word) and not _path_exists(word, workdir):  # fmt: skip
                        found.append(f"{where}: {word} does not exist")
                    if word == "-m" and i + 1 < len(words) and words[i + 1].startswith("scripts."):
                        module = words[i + 1].replace(".", "/")
                        if not ((REPO / f"{module}.py").is_file() or (REPO / module / "__main__.py").is_file()):
                            found.append(f"{where}: python -m {words[i + 1]}: no such module")
                    if word.endswith(SYSTEM_PACKAGES) and i + 1 < len(words) and words[i + 1] in MODES:
                        if as_root:
                            covered |= set(MODES[words[i + 1]])
                        else:
                            found.append(f"{where}: {SYSTEM_PACKAGES} runs without sudo (the runner is not root)")
                if words[0] != "make" and not (len(words) > 1 and words[0] == "sudo" and words[1] == "make"):
                    continue
                targets = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
                for target in targets:
                    if target not in deps:
                        found.append(f"{where}: make {target}: no such target in the Makefile")
                        continue
                    for mode in sorted(modes_needed(target) - covered):
                        missing = packages_listed(mode) - apt_installed
                        if missing:
                            found.append(f"{where}: make {target} needs `{SYSTEM_PACKAGES} {mode}`, and the job "
                                         f"neither runs it under sudo first nor installs {', '.join(sorted(missing))}")
    return found


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_given_each_workflow_when_read_then_its_run_steps_can_go_green(path: Path) -> None:
    """GIVEN a workflow of .github/workflows WHEN its run: steps are read THEN every make target and script
    exists and the system packages the targets need are installed first."""
    workflow = yaml.safe_load(path.read_text())

    assert problems(workflow, path.name) == []


def test_given_the_workflows_then_there_are_some_and_they_run_make_test_and_tf_check() -> None:
    """GIVEN .github/workflows WHEN listed THEN ci.yml runs make test and terraform.yml runs tf_check.sh."""
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "terraform.yml", "lambda-layer.yml"}
    assert "make test" in (REPO / ".github/workflows/ci.yml").read_text()
    assert "scripts/build/tf_check.sh" in (REPO / ".github/workflows/terraform.yml").read_text()


BROKEN = """
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - run: |
          sudo apt-get update -qq
          sudo apt-get install -y -qq --no-install-recommends postgresql openssl
      - run: make lint PYTHON=python3.11 && make tset
      - run: bash scripts/build/no_such_script.sh
      - run: make test PYTHON=python3.11
  package:
    runs-on: ubuntu-24.04
    steps:
      - run: bash scripts/build/system_packages.sh venv
      - run: python -m scripts.build.no_such_module
"""


def test_given_a_workflow_with_each_defect_then_each_is_reported_naming_it() -> None:
    """GIVEN a workflow installing packages by hand, calling a missing target, script and module WHEN checked
    THEN each defect is reported with its job and step, and pgAudit and Chromium are named as missing."""
    found = problems(yaml.safe_load(BROKEN), "broken.yml")

    assert "broken.yml job test step 2 (make lint PYTHON=python3.11 && make tset): make tset: no such target " \
           "in the Makefile" in found  # fmt: skip
    assert "broken.yml job test step 3 (bash scripts/build/no_such_script.sh): scripts/build/no_such_script.sh " \
           "does not exist" in found  # fmt: skip
    (test_step,) = [p for p in found if p.startswith("broken.yml job test step 4")
                    and "make test needs `scripts/build/system_packages.sh test`" in p]
    assert test_step.endswith("nor installs chromium, gcc, gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, "
                              "postgresql-N-pgaudit, python3-dev, python3-venv")  # not openssl, postgresql
    assert any("job package step 1" in p and "runs without sudo" in p for p in found)
    assert any("python -m scripts.build.no_such_module: no such module" in p for p in found)


def test_given_the_makefile_then_test_needs_test_packages_and_package_venv_ones() -> None:
    """GIVEN the Makefile WHEN its targets are followed THEN make test needs mode test and make package
    venv and package (the aarch64 cross compiler)."""
    assert modes_needed("test") == {"venv", "test"}
    assert modes_needed("package") == {"venv", "package"}
    assert modes_needed("tf-fmt") == set()
