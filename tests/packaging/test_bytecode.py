"""The zips ship precompiled bytecode (cold import, `make bench`): every ``.py`` of the code and of the
layer has its ``__pycache__/<name>.cpython-312.pyc``, compiled by Python 3.12 in unchecked-hash mode (valid
whatever the unzipped files' mtimes), and a handler imported from the unpacked, read-only layout with
``sys.dont_write_bytecode`` runs that bytecode, never its source, and writes nothing.
"""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from scripts.build import lambda_runtime, package_lambdas

LAMBDAS = list(package_lambdas.lambdas())

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(package_lambdas.find_python("3.12") is None, reason="no Python 3.12 here to compile with"),
]


def _pyc_name(source: str) -> str:
    folder, _, filename = source.rpartition("/")
    return f"{folder}/__pycache__/{filename[:-3]}.cpython-312.pyc"


def _magic_312() -> bytes:
    python = package_lambdas.find_python("3.12")
    out = subprocess.run([str(python), "-I", "-c", "import importlib.util, sys; "
                          "sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())"], capture_output=True, text=True,
                         check=True)  # fmt: skip
    return bytes.fromhex(out.stdout)


@pytest.mark.parametrize("kind", ["code", "layer"])
@pytest.mark.parametrize("name", LAMBDAS)
def test_every_py_has_an_unchecked_hash_312_pyc(
    name: str, kind: str, built: dict[str, dict[str, Path]]
) -> None:
    """GIVEN a built zip WHEN its entries are read THEN every .py has an unchecked-hash CPython 3.12 .pyc
    beside it."""
    with zipfile.ZipFile(built[name][kind]) as zf:
        names = set(zf.namelist())
        sources = sorted(n for n in names if n.endswith(".py"))
        headers = {n: zf.read(n)[:8] for n in names if n.endswith(".pyc")}

    assert sources
    assert [s for s in sources if _pyc_name(s) not in names] == []
    assert set(headers) == {_pyc_name(s) for s in sources}
    assert {h[:4] for h in headers.values()} == {_magic_312()}, "compiled by another Python than 3.12"
    # flags word 1 = hash-based, check_source off: no mtime or source check at import
    assert {int.from_bytes(h[4:8], "little") for h in headers.values()} == {1}


def test_handler_pyc_names_the_deployed_path(
    built: dict[str, dict[str, Path]],
) -> None:
    """GIVEN the handler's .pyc WHEN read THEN it names the deployed path, not the build machine's."""
    with zipfile.ZipFile(built["demand_pipeline"]["code"]) as zf:
        pyc = zf.read(_pyc_name("demand_pipeline/main.py"))

    assert b"/var/task/demand_pipeline/main.py" in pyc
    assert str(package_lambdas.REPO).encode() not in pyc


@pytest.mark.parametrize("name", LAMBDAS)
def test_read_only_handler_import_runs_the_shipped_pyc(
    name: str, built: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    """GIVEN the unpacked zips read-only and the source changed WHEN the handler imports with
    dont_write_bytecode THEN it runs the shipped .pyc and writes nothing."""
    python = package_lambdas.find_python("3.12")
    task, layer = lambda_runtime.unpack_lambda_layout(built[name]["code"], built[name]["host_layer"], tmp_path)
    # the source now differs from the shipped bytecode: only the bytecode can import
    (task / name / "main.py").write_text("raise RuntimeError('the source was compiled, not the shipped bytecode')\n")
    for path in (*tmp_path.rglob("*"), tmp_path):
        path.chmod(path.stat().st_mode & ~0o222)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    try:
        result = lambda_runtime.import_handler(python, task, layer, f"{name}.main")
        after = sorted(str(p) for p in tmp_path.rglob("*"))
    finally:
        lambda_runtime.make_writable(tmp_path)

    assert result["dont_write_bytecode"] is True
    assert result["handler_params"][:2] == ["event", "context"] or len(result["handler_params"]) == 2
    assert after == before, "the import wrote files into the read-only layout"
