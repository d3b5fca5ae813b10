"""The compiled row builder (``demand_rows``, scripts/build/compiled.py) as the layers ship it: the arm64 layer's
is an aarch64 ELF for CPython 3.12 that needs nothing newer than the Lambda runtime's glibc 2.34, the host
layer's loads under python3.12 with only the task and layer folders on the path and gives the Python fast
path's row, and the checks refuse an object built for the wrong CPU.
"""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from scripts.build import compiled, lambda_runtime, package_lambdas

pytestmark = pytest.mark.slow

AARCH64_SO = "python/demand_rows.cpython-312-aarch64-linux-gnu.so"
LINE = (b'{"documentId":"doc-1","version":3,"createdTs":1788000000,"sendingFirm":{"firmName":"Firm \\"A\\"",'
        b'"caseManagers":[{"firstName":"Ann","lastName":"Park"},{"firstName":" Ann ","lastName":"Park"}]},'
        b'"caseManagementMetadata":{"clientId":42}}')


def _extract(layer: Path, name: str, into: Path) -> Path:
    with zipfile.ZipFile(layer) as zf:
        assert name in zf.namelist(), f"{layer.name} has no {name}"
        return Path(zf.extract(name, into))


def test_arm64_layer_carries_an_aarch64_builder_within_glibc_2_34(
        built: dict[str, dict[str, Path]], tmp_path: Path) -> None:
    """GIVEN the demand Lambda's arm64 layer
    WHEN its compiled row builder is read as an ELF file
    THEN it is aarch64, exports PyInit_demand_rows, needs only libc and no glibc symbol newer than 2.34."""
    so = _extract(built["demand_pipeline"]["layer"], AARCH64_SO, tmp_path)

    compiled.check_shared_object(so, "demand_rows", "aarch64")  # raises naming the problem
    described = compiled.describe_object(so, "demand_rows")

    assert described["machine"] == "aarch64"
    assert tuple(int(p) for p in str(described["glibc_max"]).split(".")) <= compiled.GLIBC_MAX
    assert not [n for n in zipfile.ZipFile(built["demand_pipeline"]["code"]).namelist() if n.endswith(".pyx")]


def test_other_layers_carry_no_compiled_row_builder(built: dict[str, dict[str, Path]]) -> None:
    """GIVEN the Verify+ and orchestrator layers WHEN listed THEN no demand row builder is in them."""
    for name in ("verifyplus_pipeline", "orchestrator"):
        assert not [n for n in zipfile.ZipFile(built[name]["layer"]).namelist() if "demand_rows" in n]


def test_check_refuses_an_object_built_for_another_cpu(tmp_path: Path) -> None:
    """GIVEN the row builder built for this machine
    WHEN checked as the Lambda's aarch64 object
    THEN the check refuses it, naming both CPUs."""
    so = compiled.build("demand_rows", compiled.target_for(), tmp_path)

    with pytest.raises(compiled.BuildError, match=f"built for {compiled.host_machine()}, not aarch64"):
        compiled.check_shared_object(so, "demand_rows", "aarch64")


def test_same_source_builds_the_same_aarch64_bytes(tmp_path: Path) -> None:
    """GIVEN the row builder's source WHEN cross-built twice THEN both shared objects have the same bytes."""
    target = compiled.target_for("aarch64", package_lambdas.LAMBDA_PYTHON)
    first = compiled.build("demand_rows", target, tmp_path / "a").read_bytes()
    second = compiled.build("demand_rows", target, tmp_path / "b").read_bytes()

    assert first == second


def test_host_layer_builder_gives_python_row_under_lambda_python(
        built: dict[str, dict[str, Path]], lambda_python: tuple[Path, str], tmp_path: Path) -> None:
    """GIVEN the demand code zip and host layer unpacked like Lambda
    WHEN python3.12 (task, layer and stdlib only) reads a documents line
    THEN the compiled builders are the ones in use (documents, metadata, audit) and give the Python fast path's
    row."""
    python, version = lambda_python
    assert version == package_lambdas.LAMBDA_PYTHON, "python3.12 (the rehearsal's runtime) is needed here"
    task, layer = lambda_runtime.unpack_lambda_layout(built["demand_pipeline"]["code"],
                                                      built["demand_pipeline"]["host_layer"], tmp_path)
    probe = ("import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]];"
             "from demand_pipeline.builders.fast import case_fast, case_fast_python;"
             "from itc_common_utilities.timestamps import TimeWindow;"
             "w = TimeWindow.default(); line = sys.stdin.buffer.read();"
             "from demand_pipeline.builders.fast import metadata_fast, audit_fast;"
             "print(type(metadata_fast(w)).__name__, type(audit_fast(w)).__name__);"
             "fast = case_fast(w); print(type(fast).__name__, fast(line) == case_fast_python(w)(line));"
             "print(fast(line))")
    result = subprocess.run([str(python), "-I", "-S", "-B", "-c", probe, str(task), str(layer)],
                            input=LINE, capture_output=True, env={"PATH": os.environ.get("PATH", "/usr/bin")},
                            check=False)  # fmt: skip

    assert result.returncode == 0, result.stderr.decode()
    others, kind, row = result.stdout.decode().splitlines()[-3:]
    assert others == "MetadataRows AuditRows"
    assert kind == "CaseRows True"
    assert row.split("\t")[:8] == ["doc-1", "3", "\\N", "2026-08-29T10:40:00+00:00", 'Firm "A"', "\\N", "\\N",
                                   "Ann Park"]
