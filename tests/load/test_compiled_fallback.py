"""When the compiled row builder cannot be imported (built for another CPU, or missing), the load uses the Python
fast path, and says so once per process in one warning that names the module and the import error, and no
record data (loader/fastrow.py ``compiled_or``, ADR 0012).

A fresh interpreter per case: the wrong-CPU case puts, ahead of the venv's build, a copy of it whose ELF header
says aarch64 (what an x86_64 machine's loader refuses, like the arm64 layer's build on this host).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from scripts.build import compiled

LINE = b'{"documentId":"doc-secret-7","version":1,"sendingFirm":{"firmName":"Confidential Firm LLP"}}'
PROBE = """
import json, sys
from demand_pipeline.builders.fast import case_fast, case_fast_python
from itc_common_utilities.timestamps import TimeWindow
window = TimeWindow.default()
line = sys.stdin.buffer.read()
first, second = case_fast(window), case_fast(window)
print(json.dumps({"kinds": [type(first).__name__, type(second).__name__],
                  "same_row": first(line) == second(line) == case_fast_python(window)(line)}))
"""


def run_probe(pythonpath: Path | None) -> tuple[dict, list[dict]]:
    """The probe's result and the JSON log lines it printed."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["LOG_LEVEL"] = "INFO"
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    result = subprocess.run([sys.executable, "-c", PROBE], input=LINE, capture_output=True, env=env, timeout=120,
                            check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    lines = result.stdout.decode().splitlines()
    logs = [json.loads(line) for line in lines[:-1] if line.startswith("{")]
    return json.loads(lines[-1]), logs


def venv_extension() -> Path:
    path = Path(sysconfig.get_paths()["platlib"]) / f"demand_rows{sysconfig.get_config_var('EXT_SUFFIX')}"
    assert path.exists(), "the compiled row builder is not built for this interpreter: run `make venv`"
    return path


def test_wrong_cpu_extension_falls_back_logged_once_without_phi(tmp_path: Path) -> None:
    """GIVEN a demand_rows extension built for another CPU first on the path
    WHEN the load's documents fast function is made twice
    THEN both are the Python fast path, giving its rows, and one warning names the module and error, no data."""
    data = bytearray(venv_extension().read_bytes())
    data[18:20] = (183).to_bytes(2, "little")  # e_machine: AArch64
    (tmp_path / venv_extension().name).write_bytes(bytes(data))
    assert compiled.elf_machine(tmp_path / venv_extension().name) == "aarch64"

    result, logs = run_probe(tmp_path)

    assert result == {"kinds": ["function", "function"], "same_row": True}
    warnings = [log for log in logs if "compiled row builder" in log.get("message", "")]
    assert len(warnings) == 1, logs
    assert warnings[0]["level"] == "WARNING"
    assert warnings[0]["message"] == "compiled row builder demand_rows not loaded; using the Python fast path"
    assert warnings[0]["error"].startswith("ImportError")
    assert not [log for log in logs if "Confidential" in json.dumps(log) or "doc-secret" in json.dumps(log)]


def test_missing_extension_falls_back_and_built_one_is_used(tmp_path: Path) -> None:
    """GIVEN no demand_rows on the path (a stand-in package that refuses the import), then the venv's build
    WHEN the fast function is made
    THEN the first is the Python fast path with one warning, the second the compiled builder, silently."""
    (tmp_path / "demand_rows").mkdir()
    (tmp_path / "demand_rows" / "__init__.py").write_text("raise ImportError('not built for this interpreter')\n")

    missing, missing_logs = run_probe(tmp_path)
    present, present_logs = run_probe(None)

    assert missing["kinds"] == ["function", "function"] and missing["same_row"]
    assert [log["error"] for log in missing_logs if "compiled row builder" in log.get("message", "")] == [
        "ImportError: not built for this interpreter"]
    assert present == {"kinds": ["CaseRows", "CaseRows"], "same_row": True}
    assert not [log for log in present_logs if "compiled row builder" in log.get("message", "")]


@pytest.mark.parametrize("module", ["demand_rows"])
def test_venv_build_is_current(module: str) -> None:
    """GIVEN the .pyx source WHEN make venv has run THEN the venv's build was made from this very source."""
    stamp = Path(sysconfig.get_paths()["platlib"]) / f"{module}.build-stamp"
    assert stamp.exists() and venv_extension().exists(), "run `make venv` (scripts/build/compiled.py)"
    assert stamp.read_text() == compiled._stamp(module), "the venv's build is stale: run `make venv`"
