"""Cold start as a ratio: how much of a handler's cold import is ITC's own (``make bench`` prints it via package.py).

What is timed is a function's cold start as far as imports go: ``<lambda>.main`` plus, for a handler whose
``run_<mode>`` functions import their mode's code at their first call (docs/adr/0016), the modules that
mode imports there (:func:`mode_imports` reads them from main.py), since each deployed function is pinned to
one mode (``ITC_FUNCTION_MODE``). One row per handler and mode; a handler importing everything at cold
start (the orchestrator) has one row for all its modes.

A cold import loads three kinds of modules: the repository's own (``itc_common_utilities`` and the
Lambda packages, :data:`OWN_PACKAGES`), its third-party dependencies from the layer (botocore, psycopg2,
Powertools, requests, ...) and the standard library modules either of them needs. For each handler, from
its built zips unpacked read-only as on Lambda (the same layout and flags as the ``shipped pyc`` figure):

1. **handler** (b): a fresh interpreter imports ``<lambda>.main`` (and its mode's modules);
2. **dependencies** (a): a fresh interpreter imports, in the same order, exactly the third-party modules
   that import loaded (every module whose file is in the layer and not under an own package), and
   nothing of ITC's. The standard library they pull in comes with them; the run checks that it loaded
   the same third-party modules as the handler did;
3. **ITC's own** = b − a: the repository's modules plus the standard library modules only they need
   (``multiprocessing`` for the load workers, say); **ITC share** = (b − a) / b, target ≤ 20 %.

Each figure is the median of ``runs`` fresh processes (handler, dependencies and each group alone,
interleaved so that a busy machine weighs on all alike) and counts the **CPU time** of the import
(``time.process_time``: user + system of that process), not the wall clock: on a shared machine the wall
clock mostly measures the wait for a core (the wall-clock median is printed beside it). Other processes still
add to the CPU time (shared caches, frequency): the share is also given for each side's fastest run, which
interference cannot make faster; compare both, and re-run when they disagree. The dependency
groups (:data:`DEPENDENCY_GROUPS`: botocore, psycopg2, powertools, requests) are also timed alone, each as
the handler uses it (the modules of that group the handler loaded); groups share the standard library, so
they add up to more than (a). Every run has ``-X importtime``: the own modules' median self times name
the slowest of them (where to look when the share is over target).

Figures, never assertions: a benchmark never fails on a time.
"""

from __future__ import annotations

import ast
import json
import os
import re
import statistics
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from scripts.build import package_lambdas as pl
from scripts.build.lambda_runtime import LAMBDA_LIKE_ENV, make_writable, unpack_lambda_layout

OWN_PACKAGES = frozenset({"itc_common_utilities", *pl.lambdas()})
# Third-party packages timed alone, by the top-level packages that make them up.
DEPENDENCY_GROUPS: dict[str, tuple[str, ...]] = {
    "botocore": ("botocore", "boto3", "s3transfer"),
    "psycopg2": ("psycopg2",),
    "powertools": ("aws_lambda_powertools",),
    "requests": ("requests",),
}
TARGET_SHARE = 0.20

# Imports the named modules in order, after putting task and layer first on sys.path; prints the CPU and
# wall time of those imports and every loaded module with where it came from (own / layer / stdlib).
PROBE = """
import json, sys, time
task, layer, own = sys.argv[1], sys.argv[2], set(sys.argv[3].split(","))
modules = json.loads(sys.argv[4])
sys.path[:0] = [task, layer]
wall, cpu = time.perf_counter(), time.process_time()
for entry in modules:  # "package.module" or "package:name,name" (a from-import: submodules included)
    name, _, names = entry.partition(":")
    __import__(name, fromlist=names.split(",") if names else ())
cpu, wall = (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000
def kind(name, module):
    path = getattr(module, "__file__", None) or ""
    if name.split(".")[0] in own:
        return "own"
    return "layer" if path.startswith(layer) else "stdlib"
loaded = [[name, kind(name, module)] for name, module in list(sys.modules.items())]
print(json.dumps({"cpu_ms": cpu, "wall_ms": wall, "loaded": loaded}))
"""

_IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)\s*$")


def probe(python: Path, task: Path, layer: Path, modules: Sequence[str]) -> dict[str, Any]:
    """Import ``modules`` in a fresh, isolated interpreter (``-I -S -B -X importtime``) that sees only task +
    layer + the standard library; its CPU and wall ms, the modules it loaded and each module's self µs."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **LAMBDA_LIKE_ENV, "LAMBDA_TASK_ROOT": str(task)}
    result = subprocess.run(
        [str(python), "-I", "-S", "-B", "-X", "importtime", "-c", PROBE, str(task), str(layer),
         ",".join(sorted(OWN_PACKAGES)), json.dumps(list(modules))],
        capture_output=True, text=True, env=env, cwd=task, timeout=120, check=False,
    )  # fmt: skip
    if result.returncode:
        raise RuntimeError(f"importing {', '.join(modules[:3])}... failed:\n{result.stderr.strip()[-2000:]}")
    out = json.loads(result.stdout.strip().splitlines()[-1])
    out["self_us"] = {m[3]: int(m[1]) for m in map(_IMPORTTIME.match, result.stderr.splitlines()) if m}
    return out


def mode_imports(main_py: Path) -> dict[str, list[str]]:
    """Per mode, what a handler's ``run_<mode>`` function imports in its body, with what the module's other
    functions it calls import (transitively), in source order: ``"module"`` for ``import module``,
    ``"module:name,name"`` for ``from module import name, name``. Empty: the handler has no such function."""
    tree = ast.parse(main_py.read_text(encoding="utf-8"))
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}

    def reached(name: str, seen: set[str]) -> list[str]:
        seen.add(name)
        modules: list[str] = []
        for node in ast.walk(functions[name]):
            if isinstance(node, ast.Import):
                modules += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.append(f"{node.module}:{','.join(alias.name for alias in node.names)}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions \
                    and node.func.id not in seen:
                modules += reached(node.func.id, seen)
        return list(dict.fromkeys(modules))

    return {name[len("run_"):]: reached(name, set()) for name in functions if name.startswith("run_")}


def third_party(loaded: Iterable[Sequence[str]]) -> list[str]:
    """The layer's modules that are not ITC's, in the order the import loaded them."""
    return [name for name, kind in loaded if kind == "layer"]


def groups_of(dependencies: Sequence[str]) -> dict[str, list[str]]:
    """Per :data:`DEPENDENCY_GROUPS` name, the handler's dependency modules of that group (absent when none)."""
    out: dict[str, list[str]] = {}
    for group, tops in DEPENDENCY_GROUPS.items():
        members = [name for name in dependencies if name.split(".")[0] in tops]
        if members:
            out[group] = members
    return out


def measure(python: Path, code_zip: Path, layer_zip: Path, module: str, runs: int) -> dict[str, dict[str, Any]]:
    """The figures of one handler (see the module docstring), from its zips unpacked read-only: one entry per
    row, ``"<module> [<mode>]"`` (``[every mode]`` when the handler imports everything at cold start)."""
    out: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="itc-bench-coldstart-") as tmp:
        task, layer = unpack_lambda_layout(code_zip, layer_zip, Path(tmp), bytecode=True, read_only=True)
        try:
            modes = mode_imports(task / Path(*module.split(".")).with_suffix(".py")) or {"every mode": []}
            for mode, imported in modes.items():
                out[f"{module} [{mode}]"] = _measure_one(python, task, layer, [module, *imported], runs)
        finally:
            make_writable(Path(tmp))
    return out


def _measure_one(python: Path, task: Path, layer: Path, modules: list[str], runs: int) -> dict[str, Any]:
    first = probe(python, task, layer, modules)
    dependencies = third_party(first["loaded"])
    groups = groups_of(dependencies)
    samples: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for _ in range(runs):
        samples["handler"].append(probe(python, task, layer, modules))
        samples["dependencies"].append(probe(python, task, layer, dependencies))
        for group, members in groups.items():
            samples[group].append(probe(python, task, layer, members))
    cpu = {name: statistics.median(s["cpu_ms"] for s in runs_) for name, runs_ in samples.items()}
    fastest = {name: min(s["cpu_ms"] for s in samples[name]) for name in ("handler", "dependencies")}
    alone = set(third_party(samples["dependencies"][0]["loaded"]))
    own_self: dict[str, list[int]] = defaultdict(list)
    for sample in samples["handler"]:
        for name, us in sample["self_us"].items():
            if name.split(".")[0] in OWN_PACKAGES:
                own_self[name].append(us)
    slowest = sorted(((statistics.median(us) / 1000, name) for name, us in own_self.items()), reverse=True)[:3]
    handler, deps = cpu["handler"], cpu["dependencies"]
    return {
        "handler_cpu_ms": round(handler, 1),
        "dependencies_cpu_ms": round(deps, 1),
        "itc_cpu_ms": round(handler - deps, 1),
        "itc_share_pct": round(100 * (handler - deps) / handler, 1),
        "itc_share_pct_fastest": round(100 * (fastest["handler"] - fastest["dependencies"]) / fastest["handler"], 1),
        **{f"{group}_cpu_ms": round(cpu[group], 1) for group in groups},
        "handler_wall_ms": round(statistics.median(s["wall_ms"] for s in samples["handler"])),
        "own_modules": sum(1 for name, kind in first["loaded"] if kind == "own"),
        "dependency_modules": len(dependencies),
        "dependencies_alone_same_modules": alone == set(dependencies),
        "own_self_ms_total": round(sum(statistics.median(us) for us in own_self.values()) / 1000, 1),
        "slowest_own_modules": {name: round(ms, 1) for ms, name in slowest},
    }


def table(figures: dict[str, dict[str, Any]], *, runs: int, python: str) -> list[str]:
    """The printed table, one line per handler (then the slowest own modules of each)."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    groups = list(DEPENDENCY_GROUPS)
    width = max(28, *map(len, figures))
    lines = [
        f"\ncold start as a ratio: CPU ms of a fresh import from the built zips (read-only, shipped pyc), "
        f"python {python}, median of {runs} runs, load average {load}",
        f"{'handler [mode]':{width}} {'handler':>8} {'deps':>6} {'ITC':>5} {'ITC share':>10} {'target':>8}       "
        f"{'fastest':>8} "
        + " ".join(f"{g:>10}" for g in groups) + f" {'wall ms':>8}",
    ]  # fmt: skip
    for module, f in figures.items():
        met = "MET" if f["itc_share_pct"] <= 100 * TARGET_SHARE else "MISSED"
        alone = " ".join(f"{f[g + '_cpu_ms']:10.0f}" if g + "_cpu_ms" in f else f"{'-':>10}" for g in groups)
        lines.append(f"{module:{width}} {f['handler_cpu_ms']:8.0f} {f['dependencies_cpu_ms']:6.0f} "
                     f"{f['itc_cpu_ms']:5.0f} {f['itc_share_pct']:9.0f} % {'≤ 20 %':>8} {met:>6} "
                     f"{f['itc_share_pct_fastest']:6.0f} % {alone} "
                     f"{f['handler_wall_ms']:8.0f}")  # fmt: skip
    lines.append("deps = the handler's third-party modules imported alone; ITC = handler - deps (own modules + the "
                 "stdlib only they need); share = ITC / handler, of the medians; fastest = the same share of "
                 "each side's fastest run (a busy machine only adds time)")  # fmt: skip
    for module, f in figures.items():
        same = "" if f["dependencies_alone_same_modules"] else "  (deps alone loaded other layer modules!)"
        slowest = ", ".join(f"{name} {ms:.1f}" for name, ms in f["slowest_own_modules"].items())
        lines.append(f"  {module}: {f['own_modules']} own + {f['dependency_modules']} dependency modules; own "
                     f"self time (-X importtime, wall) {f['own_self_ms_total']:.0f} ms, "
                     f"slowest: {slowest}{same}")  # fmt: skip
    return lines
