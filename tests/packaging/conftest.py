"""Build the Lambda zips once per test session (into a temporary folder, never into dist/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.build import lambda_runtime, package_lambdas

LAMBDAS = list(package_lambdas.lambdas())


@pytest.fixture(scope="session")
def lambda_python() -> tuple[Path, str]:
    """Python 3.12 (the Lambda runtime's version) when the machine has one, else this Python."""
    return lambda_runtime.lambda_python_or_host()


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, lambda_python: tuple[Path, str]) -> dict[str, dict[str, Path]]:
    """Per Lambda: the deployable code zip and arm64 layer, and a host-CPU layer for import tests."""
    _, version = lambda_python
    dist = tmp_path_factory.mktemp("dist")
    host = tmp_path_factory.mktemp("dist-host")
    out: dict[str, dict[str, Path]] = {}
    for name, spec in package_lambdas.lambdas().items():
        out[name] = {
            "code": package_lambdas.build_code_zip(spec, dist),
            "layer": package_lambdas.build_layer_zip(spec, dist),
            "host_layer": package_lambdas.build_layer_zip(
                spec, host, arch=package_lambdas.host_arch(), python_version=version
            ),
        }
    return out
