"""The house rule for test names: at most 80 characters, with the GIVEN / WHEN / THEN in the docstring.

Every ``test_*.py`` module of the repository is read statically with :mod:`ast` (nothing is imported).
A ``test_*`` function (module level or in a class) fails the rule when its name is longer than
:data:`MAX_NAME` characters, or when its docstring does not say GIVEN, WHEN and THEN. The one
exception to the docstring part is a name that already spells the scenario out, ``test_given_…_then_…``
(the older style, still short enough): the name then carries what the docstring would.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MAX_NAME = 80
SKIPPED_DIRS = {".git", ".venv", ".local", "dist", "build", "node_modules", ".terraform", "__pycache__"}


def find_test_modules(repo: Path) -> list[Path]:
    """Every ``test_*.py`` file of the repository outside virtual environments and build output."""
    return sorted(p for p in repo.rglob("test_*.py")
                  if not SKIPPED_DIRS.intersection(p.relative_to(repo).parts))


def find_test_functions(path: Path) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The ``test_*`` functions of a module, at module level or in its classes."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_"):
            yield node


def name_problems(repo: Path) -> list[str]:
    """``path:line name: problem`` for each test function breaking the rule."""
    problems = []
    for path in find_test_modules(repo):
        for func in find_test_functions(path):
            where = f"{path.relative_to(repo)}:{func.lineno} {func.name}"
            if len(func.name) > MAX_NAME:
                problems.append(f"{where}: name is {len(func.name)} characters (at most {MAX_NAME})")
            doc = ast.get_docstring(func) or ""
            spelled_out = func.name.startswith("test_given_") and "_then_" in func.name
            missing = [word for word in ("GIVEN", "WHEN", "THEN") if word not in doc]
            if missing and not spelled_out:
                problems.append(f"{where}: docstring lacks {', '.join(missing)}")
    return problems


def test_names_are_short_and_docstrings_say_given_when_then() -> None:
    """GIVEN every test module of the repository
    WHEN its test functions are read with ast
    THEN none has a name over 80 characters, and each has GIVEN, WHEN and THEN in its docstring
    unless its name is a test_given_…_then_… sentence."""
    modules = find_test_modules(REPO)
    assert len(modules) > 50, f"only {len(modules)} test modules found under {REPO}"
    assert name_problems(REPO) == []


def test_a_long_name_or_bare_docstring_is_reported(tmp_path: Path) -> None:
    """GIVEN a module with a long test name, one without a docstring and two that follow the rule
    WHEN the rule is checked
    THEN exactly the two breaking it are reported, with the reason."""
    long_name = "test_" + "x" * 80
    (tmp_path / "test_sample.py").write_text(
        f"def {long_name}():\n    '''GIVEN a WHEN b THEN c'''\n\n"
        "def test_bare():\n    pass\n\n"
        "def test_ok():\n    '''GIVEN a\n    WHEN b\n    THEN c'''\n\n"
        "def test_given_a_when_b_then_c():\n    pass\n", encoding="utf-8")
    assert name_problems(tmp_path) == [
        f"test_sample.py:1 {long_name}: name is 85 characters (at most 80)",
        "test_sample.py:4 test_bare: docstring lacks GIVEN, WHEN, THEN",
    ]
