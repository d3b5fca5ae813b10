"""One settings convention (docs/adr/0014): the environment is read only by the settings module, and the
env table of docs/CONTRACTS.md is the one the settings dataclasses generate.

The code is read statically with :mod:`ast`: an ``os.environ`` / ``os.getenv`` read in a function body
that a test never runs counts as much as one at import time. Lambda and ``common`` code is checked;
``scripts/`` are local tools (their variables are command defaults, docs/CONTRACTS.md "Local tooling").
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
from pathlib import Path

import pytest

from itc_common_utilities.settings import env_field
from scripts.build import env_table

REPO = Path(__file__).resolve().parents[2]
SETTINGS_MODULE = REPO / "common" / "itc_common_utilities" / "itc_common_utilities" / "settings.py"
ENV_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}
LAMBDAS = ("demand_pipeline", "verifyplus_pipeline", "orchestrator")


def lambda_and_common_files(repo: Path) -> list[Path]:
    """Every ``.py`` of the shared package and of each Lambda package, tests excluded."""
    roots = [repo / "common" / "itc_common_utilities" / "itc_common_utilities"]
    roots += sorted(p.parent for p in repo.glob("terraform_modules/*/lambdas/*/__init__.py"))
    return sorted(p for root in roots for p in root.rglob("*.py") if "tests" not in p.relative_to(root).parts)


def environment_reads(path: Path) -> list[str]:
    """``file:line what`` for each place ``path`` touches the process environment through ``os``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    os_names = {"os"}
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            os_names |= {a.asname or a.name for a in node.names if a.name == "os"}
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [f"{path}:{node.lineno} from os import {a.name}" for a in node.names if a.name in ENV_NAMES]
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr in ENV_NAMES and isinstance(node.value, ast.Name)
                and node.value.id in os_names):
            found.append(f"{path}:{node.lineno} {node.value.id}.{node.attr}")
    return found


def test_only_the_settings_module_reads_the_environment() -> None:
    """GIVEN every module of common/ and of the three Lambdas (tests excluded)
    WHEN their code is walked for os.environ / os.getenv (any alias, any depth)
    THEN only itc_common_utilities/settings.py touches the environment: every variable is a settings field."""
    files = lambda_and_common_files(REPO)
    assert len(files) > 40 and SETTINGS_MODULE in files
    reads = [r for f in files if f != SETTINGS_MODULE for r in environment_reads(f)]
    assert reads == [], "read the variable through a settings dataclass (env_field), not os.environ:\n" + \
        "\n".join(reads)
    assert environment_reads(SETTINGS_MODULE), "the settings module is where the environment is read"


def test_the_walk_finds_a_read_however_it_is_spelt(tmp_path: Path) -> None:
    """GIVEN a module reading the environment five ways (attribute, alias, from-import, in a function body)
    WHEN the walk reads it
    THEN each read is reported with its line, so the convention test above can fail."""
    module = tmp_path / "stray.py"
    module.write_text("import os\nimport os as o\nfrom os import getenv, path\n"
                      "A = os.environ.get('ITC_X')\n"
                      "def f():\n    return o.getenv('ITC_Y'), os.environ['ITC_Z']\n")
    reads = environment_reads(module)
    assert [r.split(":", 1)[1] for r in reads] == ["3 from os import getenv", "4 os.environ", "6 o.getenv",
                                                   "6 os.environ"]


@pytest.mark.parametrize("name", LAMBDAS)
def test_each_lambda_loads_its_settings_one_way(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN a Lambda's settings module
    WHEN its load(overrides) is called with an environment of its own and a tunable override
    THEN it returns its Settings, the override winning over the environment; its modes' classes are listed."""
    module = importlib.import_module(f"{name}.settings")
    environ = {"ITC_LANDING_BUCKET": "b", "ITC_QB_REALM": "r", "ITC_QB_TABLE_ID": "t", "ITC_QB_REPORT_ID": "1",
               "ITC_QB_TOKEN": "tok", "ITC_DATABASE_URL": "postgresql://u@localhost/x", "ITC_SCAN_SEGMENTS": "2",
               "ITC_QB_PAGE_SIZE": "20", "ITC_QUALITY_SOURCES": "demand,verifyplus"}
    override = {"demand_pipeline": ("scan_segments", 5), "verifyplus_pipeline": ("qb_page_size", 7),
                "orchestrator": ("quality_sources", ("demand",))}[name]
    settings = module.load({override[0]: override[1]}, environ)
    assert isinstance(settings, module.Settings)
    own = settings.orchestrator if name == "orchestrator" else settings
    assert getattr(own, override[0]) == override[1]
    assert set(module.settings_classes()) == {"demand_pipeline": {"extract", "load"},
                                            "verifyplus_pipeline": {"extract", "load"},
                                            "orchestrator": {"refresh", "quality", "migrate"}}[name]


def test_env_table_in_contracts_is_fresh() -> None:
    """GIVEN the settings dataclasses and docs/CONTRACTS.md
    WHEN scripts/build/env_table.py --check runs
    THEN it passes: the table is the one the dataclasses generate (else: make env-table)."""
    assert env_table.main(["--check"]) == 0


def test_a_stale_env_table_fails_the_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN a copy of docs/CONTRACTS.md whose table lost a row and had a default edited by hand
    WHEN --check reads it, then --write rewrites it
    THEN --check fails naming the fix (make env-table), and after --write the copy is the generated table."""
    contracts = tmp_path / "CONTRACTS.md"
    text = (REPO / "docs" / "CONTRACTS.md").read_text()
    row = next(line for line in text.splitlines() if line.startswith("| `ITC_LOAD_WORKERS` |"))
    contracts.write_text(text.replace(row + "\n", "").replace("| `ITC_SCAN_SEGMENTS` | demand_pipeline (extract) "
                                                               "| `4` |", "| `ITC_SCAN_SEGMENTS` | demand_pipeline "
                                                               "(extract) | `8` |"))
    assert env_table.main(["--check", "--contracts", str(contracts)]) == 1
    assert "env table of CONTRACTS.md is stale" in capsys.readouterr().err
    assert env_table.main(["--write", "--contracts", str(contracts)]) == 0
    assert contracts.read_text() == text


def test_one_variable_declared_two_ways_is_refused() -> None:
    """GIVEN two settings classes declaring ITC_X with different defaults, and a field without a doc
    WHEN the table is generated from them
    THEN it is refused, naming both declarations and the field without a meaning."""

    @dataclasses.dataclass(frozen=True)
    class First:
        x: int = env_field("ITC_X", default=1, doc="the x")

    @dataclasses.dataclass(frozen=True)
    class Second:
        x: int = env_field("ITC_X", default=2, doc="the x")
        y: str = env_field("ITC_Y", default="")

    with pytest.raises(env_table.EnvTableError) as caught:
        env_table.render({"demand_pipeline": {"extract": (First,), "load": (Second,)}})
    assert "ITC_X is declared by First.x and Second.x with a different default" in str(caught.value)
    assert "Second.y (ITC_Y) has no doc=" in str(caught.value)
