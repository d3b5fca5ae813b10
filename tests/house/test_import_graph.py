"""No import circle in the project's Python: the shared package, each Lambda package and scripts/.

The imports are read statically with :mod:`ast`, so a circle hidden in a function body (an import
deferred to run time to dodge the circle) or under ``if TYPE_CHECKING`` counts as much as one at
module level: a circle means two modules that cannot be read, tested or moved one without the other.
Relative imports are resolved against the importing module's package; ``from package import name``
is an edge to ``package.name`` when that is a module of the project, else to ``package``. Imports of
anything outside the project (the standard library, PyPI) are not edges.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def source_roots(repo: Path) -> list[tuple[Path, Path]]:
    """(directory on sys.path, top package directory) for every package of the project."""
    shared = repo / "common" / "itc_common_utilities"
    roots = [(shared, shared / "itc_common_utilities"), (repo, repo / "scripts")]
    roots += [(init.parent.parent, init.parent)
              for init in sorted(repo.glob("terraform_modules/*/lambdas/*/__init__.py"))]
    return roots


def module_files(repo: Path) -> dict[str, Path]:
    """Dotted module name → file, for every ``.py`` file under the project's packages."""
    modules: dict[str, Path] = {}
    for base, package in source_roots(repo):
        for path in sorted(package.rglob("*.py")):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` names (relative levels resolved)."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(module: str, path: Path, known: Iterable[str]) -> set[str]:
    """The project modules ``module`` imports anywhere in its file (module level, functions, TYPE_CHECKING)."""
    known = set(known)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node)
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        targets.update(name for name in names if name in known and name != module)
    return targets


def import_graph(repo: Path) -> dict[str, set[str]]:
    """Module → the project modules it imports."""
    modules = module_files(repo)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle per strongly connected group of modules, as a path ``[a, b, ..., a]`` (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(start: str) -> None:  # iterative, so a deep graph cannot hit the recursion limit
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return [_path_within(graph, group) for group in groups]


def _path_within(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """A concrete circle through the group's first module, staying inside the group (breadth first)."""
    members, start = set(group), group[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"no circle found inside the group {group}")


def test_given_the_project_when_its_imports_are_walked_then_there_is_no_circle() -> None:
    """GIVEN every module of the shared package, the Lambda packages and scripts/
    WHEN their imports (module level and inside functions) are walked
    THEN no module reaches itself again; a circle is named module by module."""
    graph = import_graph(REPO)
    assert len(graph) > 100, f"only {len(graph)} modules found: the walk missed the packages"
    assert "verifyplus_pipeline.main" in graph and "demand_pipeline.builders.fast" in graph
    found = cycles(graph)
    assert found == [], "import circles:\n" + "\n".join(" -> ".join(circle) for circle in found)


def test_given_two_modules_importing_each_other_when_walked_then_the_circle_is_named(tmp_path: Path) -> None:
    """GIVEN a throw-away package whose module a imports b at module level and b imports a inside a function,
    and a relative import elsewhere
    WHEN the same walk reads it
    THEN it names the circle a -> b -> a, and the relative import resolves to its module."""
    package = tmp_path / "scripts"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "a.py").write_text("from scripts.sub import b\n")
    (package / "sub" / "b.py").write_text("def late():\n    from . import a\n    return a\n")
    (package / "sub" / "c.py").write_text("from .b import late\nimport os\n")
    graph = import_graph(tmp_path)
    assert graph["scripts.sub.c"] == {"scripts.sub.b"}
    assert cycles(graph) == [["scripts.sub.a", "scripts.sub.b", "scripts.sub.a"]]
