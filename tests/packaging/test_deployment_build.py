"""A layer meant for deployment carries the RDS CA bundle, or its build fails before anything is built.

A deployed Lambda connects to RDS with sslmode=verify-full and reads the bundle at
/opt/python/rds-ca/global-bundle.pem; a local `make package` may go without it (it warns)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from scripts.build import compiled, package_lambdas, rds_ca

LAMBDA = "orchestrator"
BUNDLE_TEXT = "-----BEGIN CERTIFICATE-----\nTEST RDS CA (not a real certificate)\n-----END CERTIFICATE-----\n"


def _refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        package_lambdas.main(argv)
    assert exit_info.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_given_a_deployment_build_without_the_bundle_then_exit_2_and_nothing_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    monkeypatch.delenv("ITC_RDS_CA_BUNDLE", raising=False)
    argv = ["--lambda", LAMBDA, "--layer-only", "--dist", str(tmp_path / "dist")]
    if how == "flag":
        argv.append("--deployment")
    else:
        monkeypatch.setenv("ITC_DEPLOYMENT_BUILD", "1")

    error = _refused(capsys, argv)

    assert "a deployment build (--deployment / ITC_DEPLOYMENT_BUILD=1) needs the RDS CA bundle" in error
    assert "nothing was built" in error
    assert not (tmp_path / "dist").exists()


def test_given_a_deployment_build_for_the_host_platform_then_it_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "global-bundle.pem"
    bundle.write_text(BUNDLE_TEXT)
    error = _refused(capsys, ["--deployment", "--platform", "host", "--rds-ca-bundle", str(bundle),
                              "--dist", str(tmp_path / "dist")])  # fmt: skip
    assert "--platform host is never deployed" in error


def test_given_a_deployment_build_with_the_bundle_then_layer_and_manifest_carry_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rds_like_certificate: Callable[..., bytes]
) -> None:
    monkeypatch.delenv("ITC_DEPLOYMENT_BUILD", raising=False)
    monkeypatch.delenv("ITC_RDS_CA_REHEARSAL", raising=False)
    pin = tmp_path / "rds_ca_bundle.sha256"
    monkeypatch.setattr(rds_ca, "PINNED_SHA256_FILE", pin)  # no sha256 recorded, whatever the repository holds
    bundle = tmp_path / "global-bundle.pem"
    bundle.write_bytes(rds_like_certificate())
    dist = tmp_path / "dist"

    assert package_lambdas.main(["--deployment", "--lambda", LAMBDA, "--layer-only", "--rds-ca-bundle", str(bundle),
                                 "--dist", str(dist)]) == 0  # fmt: skip

    with zipfile.ZipFile(dist / f"{LAMBDA}-layer.zip") as layer:
        assert layer.read(package_lambdas.RDS_CA_PATH_IN_LAYER) == bundle.read_bytes()
    manifest = json.loads((dist / "manifest.json").read_text())
    assert manifest["deployment"] is True
    assert manifest["rds_ca_bundle"]["kind"] == "aws-rds-global"
    assert manifest["rds_ca_bundle"]["sha256"] == package_lambdas._sha256_file(bundle)


def test_deployment_build_records_the_demand_layers_aarch64_row_builder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rds_like_certificate: Callable[..., bytes]
) -> None:
    """GIVEN a deployment build of the demand Lambda's layer
    WHEN it finishes
    THEN its manifest entry records the compiled row builder: aarch64, within glibc 2.34, the zip's own file."""
    monkeypatch.setattr(rds_ca, "PINNED_SHA256_FILE", tmp_path / "rds_ca_bundle.sha256")
    bundle = tmp_path / "global-bundle.pem"
    bundle.write_bytes(rds_like_certificate())
    dist = tmp_path / "dist"

    assert package_lambdas.main(["--deployment", "--lambda", "demand_pipeline", "--layer-only", "--rds-ca-bundle",
                                 str(bundle), "--dist", str(dist)]) == 0  # fmt: skip

    entry = json.loads((dist / "manifest.json").read_text())["zips"][0]
    [record] = entry["compiled"]
    assert (record["module"], record["machine"], record["path"]) == (
        "demand_rows", "aarch64", "python/demand_rows.cpython-312-aarch64-linux-gnu.so")
    assert tuple(int(p) for p in record["glibc_max"].split(".")) <= (2, 34)
    with zipfile.ZipFile(dist / "demand_pipeline-layer.zip") as layer:
        assert hashlib.sha256(layer.read(record["path"])).hexdigest() == record["sha256"]


def test_deployment_build_without_the_cross_compiler_stops_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rds_like_certificate: Callable[..., bytes],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """GIVEN a machine whose aarch64 compiler is missing (its name changed to one that is not installed)
    WHEN a deployment build of the demand layer runs
    THEN it stops with exit 2, naming the compiler."""
    monkeypatch.setattr(rds_ca, "PINNED_SHA256_FILE", tmp_path / "rds_ca_bundle.sha256")
    monkeypatch.setitem(compiled.CROSS_CC, "aarch64", "aarch64-itc-missing-gcc")
    bundle = tmp_path / "global-bundle.pem"
    bundle.write_bytes(rds_like_certificate())

    code = package_lambdas.main(["--deployment", "--lambda", "demand_pipeline", "--layer-only", "--rds-ca-bundle",
                                 str(bundle), "--dist", str(tmp_path / "dist")])  # fmt: skip

    assert code == 2
    assert "aarch64-itc-missing-gcc is not installed" in capsys.readouterr().err
