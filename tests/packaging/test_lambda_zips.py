"""The deployable Lambda zips: what is in them, that a handler imports from them alone, and that a
rebuild gives the same bytes.

The import test runs on this machine's CPU. The deployable layer holds aarch64 wheels, whose
compiled modules (psycopg2, orjson, charset_normalizer) cannot load on an x86_64 host, so the
handler is imported from a *host* build of the same hash-pinned requirements file, beside the
real code zip. The aarch64 layer itself is checked by its file list (every compiled module built
for aarch64 / cp312, nothing built for another CPU) and by importing its pure-Python parts.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest

from scripts.bench import cold_start
from scripts.build import lambda_runtime, package_lambdas

LAMBDAS = list(package_lambdas.lambdas())

pytestmark = pytest.mark.slow


def _names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return zf.namelist()


def _differing_entries(a: Path, b: Path) -> list[str]:
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        ia = {i.filename: (i.CRC, i.external_attr, i.date_time) for i in za.infolist()}
        ib = {i.filename: (i.CRC, i.external_attr, i.date_time) for i in zb.infolist()}
    return sorted(n for n in ia.keys() | ib.keys() if ia.get(n) != ib.get(n))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", LAMBDAS)
def test_handler_imports_with_only_task_and_layer_on_path(
    name: str, built: dict[str, dict[str, Path]], lambda_python: tuple[Path, str], tmp_path: Path
) -> None:
    """GIVEN a built code zip WHEN unpacked like Lambda THEN its handler imports with only the task and layer
    folders on the path."""
    python, _ = lambda_python
    task, layer = lambda_runtime.unpack_lambda_layout(built[name]["code"], built[name]["host_layer"], tmp_path)

    result = lambda_runtime.import_handler(python, task, layer, f"{name}.main")

    assert result["handler_params"][:2] == ["event", "context"] or len(result["handler_params"]) == 2
    assert result["site_packages_files"] == [], "the handler imported something from outside the zips"
    assert not any("site-packages" in p for p in result["sys_path"])


@pytest.mark.parametrize("name", LAMBDAS)
def test_each_modes_code_imports_from_the_zips_alone(
    name: str, built: dict[str, dict[str, Path]], lambda_python: tuple[Path, str], tmp_path: Path
) -> None:
    """GIVEN a built code zip unpacked like Lambda, and what each ``run_<mode>`` of its handler imports at its
    first call (docs/adr/0016: not at cold start, so importing the handler alone does not prove it)
    WHEN a fresh interpreter (-I -S) with only the task and layer folders imports the handler and that mode's code
    THEN it imports, with its mode's modules loaded from the zips."""
    python, _ = lambda_python
    task, layer = lambda_runtime.unpack_lambda_layout(built[name]["code"], built[name]["host_layer"], tmp_path)
    modes = cold_start.mode_imports(task / name / "main.py") or {"every mode": []}

    for mode, imported in modes.items():
        result = cold_start.probe(python, task, layer, [f"{name}.main", *imported])  # raises when an import fails
        wanted = {entry.partition(":")[0] for entry in imported}
        own = {module for module, kind in result["loaded"] if kind == "own"}
        assert wanted <= own, f"{name} [{mode}]: {sorted(wanted - own)} not loaded from the zips"


@pytest.mark.parametrize("name", LAMBDAS)
def test_code_zip_holds_only_the_package_folder(
    name: str, built: dict[str, dict[str, Path]]
) -> None:
    """GIVEN the code zip WHEN listed THEN it holds only the package folder, no tests or project files."""
    names = _names(built[name]["code"])

    assert f"{name}/main.py" in names
    assert all(n.startswith(f"{name}/") for n in names)
    assert not [n for n in names if "/tests/" in n or n.endswith(("pyproject.toml", "poetry.lock", ".txt"))]
    assert all(n.endswith(".cpython-312.pyc") and "/__pycache__/" in n for n in names if n.endswith(".pyc"))


def test_orchestrator_zip_carries_every_numbered_migration(
    built: dict[str, dict[str, Path]],
) -> None:
    """GIVEN the orchestrator code zip WHEN listed THEN it carries every numbered migration, byte for byte,
    for migrate mode (and not combined.sql)."""
    sql_dir = package_lambdas.SQL_SCRIPTS
    expected = {f"orchestrator/sql_scripts/{p.name}" for p in sql_dir.glob("[0-9][0-9]_*.sql")}
    names = set(_names(built["orchestrator"]["code"]))

    assert expected, "no numbered SQL scripts found"
    assert expected <= names
    assert "orchestrator/sql_scripts/combined.sql" not in names
    with zipfile.ZipFile(built["orchestrator"]["code"]) as zf:
        for entry in sorted(expected):
            assert zf.read(entry) == (sql_dir / Path(entry).name).read_bytes()


@pytest.mark.parametrize("name", LAMBDAS)
def test_arm64_layer_is_aarch64_cp312_with_shared_package(
    name: str, built: dict[str, dict[str, Path]]
) -> None:
    """GIVEN the arm64 layer WHEN listed THEN every compiled module is for aarch64 CPython 3.12 and the
    shared package is inside."""
    names = _names(built[name]["layer"])
    shared_objects = [n for n in names if n.endswith(".so") or ".so." in n]

    assert all(n.startswith("python/") for n in names)
    assert "python/itc_common_utilities/__init__.py" in names
    assert "python/psycopg2/__init__.py" in names
    assert [n for n in shared_objects if "cpython-312-aarch64-linux-gnu" in n], "no aarch64 extension modules"
    assert not [n for n in shared_objects if "x86_64" in n or "cpython-311" in n or "cpython-313" in n]
    assert not [n for n in names if n.endswith(".pyo") or n.startswith("python/bin/")]
    assert all(n.endswith(".cpython-312.pyc") for n in names if "/__pycache__/" in n)
    assert not [n for n in names if "/tests/" in n and n.startswith("python/itc_common_utilities/")]
    if name == "demand_pipeline":
        assert [n for n in shared_objects if n.startswith("python/orjson/")]


@pytest.mark.parametrize("name", LAMBDAS)
def test_given_the_arm64_layer_alone_then_its_pure_python_parts_import_on_this_host(
    name: str, built: dict[str, dict[str, Path]], lambda_python: tuple[Path, str], tmp_path: Path
) -> None:
    python, _ = lambda_python
    with zipfile.ZipFile(built[name]["layer"]) as zf:
        zf.extractall(tmp_path)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import itc_common_utilities, itc_common_utilities.logger, aws_lambda_powertools, tenacity, boto3"
    )

    result = subprocess.run(
        [str(python), "-I", "-S", "-B", "-c", probe, str(tmp_path / "python")],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", LAMBDAS)
def test_given_the_same_inputs_when_built_twice_then_both_zips_have_the_same_sha256(
    name: str, built: dict[str, dict[str, Path]]
) -> None:
    spec = package_lambdas.lambdas()[name]
    with tempfile.TemporaryDirectory() as again:
        code = package_lambdas.build_code_zip(spec, Path(again))
        layer = package_lambdas.build_layer_zip(spec, Path(again))

        assert _sha256(code) == _sha256(built[name]["code"]), _differing_entries(code, built[name]["code"])
        assert _sha256(layer) == _sha256(built[name]["layer"]), _differing_entries(layer, built[name]["layer"])


def test_given_any_zip_then_entries_are_sorted_with_fixed_timestamps_and_permissions(
    built: dict[str, dict[str, Path]],
) -> None:
    for zips in built.values():
        for path in (zips["code"], zips["layer"]):
            with zipfile.ZipFile(path) as zf:
                infos = zf.infolist()
            assert [i.filename for i in infos] == sorted(i.filename for i in infos)
            assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
            assert {(i.external_attr >> 16) & 0o777 for i in infos} <= {0o644, 0o755}
