"""What a deployed function imports at its cold start: its handler and its own mode's code, nothing of the other.

Each function is pinned to one mode (``ITC_FUNCTION_MODE``); the handlers import a mode's code in its
``run_<mode>`` function (docs/adr/0016-mode-code-imported-by-its-mode.md). A fresh interpreter imports
``<lambda>.main`` plus what one ``run_<mode>`` imports (read from main.py by the bench's own rule,
:func:`scripts.bench.cold_start.mode_imports`) and the modules it loaded are checked: a property, never a
time (the times are ``make bench``'s).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from scripts.bench.cold_start import mode_imports
from scripts.build import package_lambdas as pl
from scripts.build.lambda_runtime import LAMBDA_LIKE_ENV

LOADER = "itc_common_utilities.loader"
QUICKBASE = ("requests", "tenacity", "itc_common_utilities.http", "verifyplus_pipeline.quickbase")
# (handler, mode) → (modules it must load, module prefixes it must not load). ``None``: the handler alone.
EXPECTED: dict[tuple[str, str | None], tuple[tuple[str, ...], tuple[str, ...]]] = {
    ("demand_pipeline", None): (("demand_pipeline.settings",),
                                ("demand_pipeline.extract", "demand_pipeline.export", "demand_pipeline.load",
                                 "demand_pipeline.builders", LOADER, "psycopg2", "verifyplus_pipeline",
                                 "orchestrator", *QUICKBASE)),
    ("demand_pipeline", "extract"): (("demand_pipeline.extract_run", "demand_pipeline.export"),
                                     ("demand_pipeline.export_merge", "demand_pipeline.load", "sqlite3",
                                      "psycopg2", f"{LOADER}.engine", "msgspec", "verifyplus_pipeline",
                                      "orchestrator", *QUICKBASE)),
    ("demand_pipeline", "load"): (("demand_pipeline.load", "psycopg2", f"{LOADER}.engine"),
                                  ("demand_pipeline.extract", "demand_pipeline.export", "sqlite3",
                                   "verifyplus_pipeline", "orchestrator", *QUICKBASE)),
    ("verifyplus_pipeline", None): (("verifyplus_pipeline.settings",),
                                    ("verifyplus_pipeline.extract", "verifyplus_pipeline.load",
                                     "verifyplus_pipeline.builders", LOADER, "psycopg2", "demand_pipeline",
                                     "orchestrator", *QUICKBASE)),
    ("verifyplus_pipeline", "extract"): (("verifyplus_pipeline.quickbase", "requests"),
                                         ("verifyplus_pipeline.load", "verifyplus_pipeline.builders", LOADER,
                                          "psycopg2", "msgspec", "demand_pipeline", "orchestrator")),
    ("verifyplus_pipeline", "load"): (("verifyplus_pipeline.load", "psycopg2", f"{LOADER}.engine"),
                                      ("verifyplus_pipeline.extract", "demand_pipeline", "orchestrator",
                                       *QUICKBASE)),
    ("orchestrator", None): (("orchestrator.migrate", "orchestrator.quality", "orchestrator.refresh"),
                             ("demand_pipeline", "verifyplus_pipeline", *QUICKBASE)),
}


def loaded_modules(imports: list[str]) -> set[str]:
    """The modules a fresh interpreter holds after ``imports`` (``"module"`` or ``"module:name,name"``)."""
    code = ("import json, sys\n"
            "for entry in json.loads(sys.argv[1]):\n"
            "    name, _, names = entry.partition(':')\n"
            "    __import__(name, fromlist=names.split(',') if names else ())\n"
            "print(json.dumps(sorted(sys.modules)))\n")  # fmt: skip
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **LAMBDA_LIKE_ENV}
    result = subprocess.run([sys.executable, "-I", "-c", code, json.dumps(imports)], capture_output=True, text=True,
                            env=env, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return set(json.loads(result.stdout))


def _offending(loaded: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in loaded for p in prefixes if m == p or m.startswith(p + "."))


@pytest.mark.parametrize(("name", "mode"), list(EXPECTED), ids=[f"{n}-{m or 'handler'}" for n, m in EXPECTED])
def test_cold_start_loads_only_the_functions_own_mode(name: str, mode: str | None) -> None:
    """GIVEN a handler and one of the modes a deployed function is pinned to (or the handler alone)
    WHEN a fresh interpreter imports ``<lambda>.main`` and what its ``run_<mode>`` imports
    THEN it loaded its mode's code, and none of the other mode's, the other Lambdas' or the Quickbase client's
    (the demand extract never the export merge nor the load engine, an extract function never psycopg2, a load
    function never the extract code)."""
    modes = mode_imports(pl.lambdas()[name].package_dir / "main.py")
    if mode is not None:
        assert mode in modes, f"{name}.main has no run_{mode} importing its code (modes: {sorted(modes)})"
    loaded = loaded_modules([f"{name}.main", *(modes[mode] if mode else [])])
    needed, refused = EXPECTED[(name, mode)]
    assert [m for m in needed if m not in loaded] == [], f"{name} [{mode}] did not load its own code"
    assert _offending(loaded, refused) == [], f"{name} [{mode}] loads at cold start what it never uses"


def test_every_handler_and_mode_is_checked() -> None:
    """GIVEN the Lambdas the build packages and the modes their main.py imports code for
    WHEN compared with the table of this test
    THEN every handler, and each of its modes, has a row (a new mode cannot slip in unchecked)."""
    rows = {(name, None) for name in pl.lambdas()}
    rows |= {(name, mode) for name, spec in pl.lambdas().items() for mode in mode_imports(spec.package_dir / "main.py")}
    assert rows == set(EXPECTED)
