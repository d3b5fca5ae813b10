"""The RDS CA bundle a layer build is given is checked before anything is built, and recorded in the manifest.

What a deployer sees from `package_lambdas.py`: a bundle that is not PEM certificates, holds an expired
certificate, holds one not issued by an Amazon RDS CA, or does not match the recorded sha256 stops the
build (exit 2) with the cause named; a stand-in CA from scripts/build/standin_ca.py is accepted with
``--rehearsal-ca`` and recorded as ``rehearsal-stand-in``; no bundle is recorded as ``none``.

The "AWS" certificates here are generated with AWS's names (O=Amazon Web Services, Inc., CN=Amazon RDS
...): the real bundle cannot be downloaded on this machine, and the checks read names and dates only.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from scripts.build import package_lambdas, rds_ca, standin_ca

LAMBDA = "orchestrator"
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def no_pin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty pin file (no sha256 recorded), whatever the repository's file holds."""
    pin = tmp_path / "rds_ca_bundle.sha256"
    pin.write_text("# record the sha256 once known\n")
    monkeypatch.setattr(rds_ca, "PINNED_SHA256_FILE", pin)
    for name in ("ITC_RDS_CA_BUNDLE", "ITC_DEPLOYMENT_BUILD", "ITC_RDS_CA_REHEARSAL"):
        monkeypatch.delenv(name, raising=False)
    return pin


def _refused(capsys: pytest.CaptureFixture[str], dist: Path, *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        package_lambdas.main(["--lambda", LAMBDA, "--layer-only", "--dist", str(dist), *args])
    assert exit_info.value.code == 2
    assert not dist.exists(), "nothing may be built when the bundle is refused"
    return capsys.readouterr().err


def test_given_a_file_that_is_not_pem_then_the_build_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_pin: Path
) -> None:
    """GIVEN an HTML page saved as the bundle (a failed download) WHEN packaging THEN exit 2: not a PEM file."""
    bundle = tmp_path / "global-bundle.pem"
    bundle.write_text("<html><body>Access denied</body></html>\n")

    error = _refused(capsys, tmp_path / "dist", "--deployment", "--rds-ca-bundle", str(bundle))

    assert f"{bundle} is not a PEM file" in error
    assert "nothing was built" in error


def test_given_a_pem_block_that_is_a_private_key_then_the_build_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_pin: Path,
    rds_like_certificate: Callable[..., bytes]
) -> None:
    """GIVEN a bundle whose second block is a private key WHEN packaging THEN exit 2 naming block 2."""
    paths = standin_ca.make_standin_ca(tmp_path / "ca")
    bundle = tmp_path / "global-bundle.pem"
    bundle.write_bytes(rds_like_certificate() + paths.ca_key.read_bytes())

    error = _refused(capsys, tmp_path / "dist", "--rds-ca-bundle", str(bundle))

    assert "PEM block 2 is a PRIVATE KEY, not a CERTIFICATE" in error


def test_given_an_expired_certificate_then_the_build_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_pin: Path,
    rds_like_certificate: Callable[..., bytes]
) -> None:
    """GIVEN an RDS-named bundle whose second certificate expired WHEN packaging THEN exit 2 naming it."""
    expired = rds_like_certificate("Amazon RDS Root 2019 CA", valid_from_days=-2000, valid_until_days=-1)
    bundle = tmp_path / "global-bundle.pem"
    bundle.write_bytes(rds_like_certificate() + expired)

    error = _refused(capsys, tmp_path / "dist", "--deployment", "--rds-ca-bundle", str(bundle))

    assert "certificate 2 (CN=Amazon RDS Root 2019 CA,O=Amazon Web Services\\, Inc.) expired on" in error


def test_given_a_certificate_not_issued_by_amazon_rds_then_the_build_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_pin: Path
) -> None:
    """GIVEN the stand-in CA passed as AWS's bundle (no --rehearsal-ca) WHEN packaging THEN exit 2: not RDS."""
    paths = standin_ca.make_standin_ca(tmp_path / "ca")

    error = _refused(capsys, tmp_path / "dist", "--deployment", "--rds-ca-bundle", str(paths.ca_cert))

    assert "certificate 1 is not an Amazon RDS CA" in error
    assert f"CN={standin_ca.STANDIN_CA_NAME.replace(',', chr(92) + ',')}" in error
    assert "--rehearsal-ca" in error


def test_given_a_recorded_sha256_and_another_bundle_then_the_build_names_both_hashes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_pin: Path,
    rds_like_certificate: Callable[..., bytes]
) -> None:
    """GIVEN a pin file recording one sha256 WHEN an RDS-named bundle with another is packaged THEN exit 2
    with both hashes in the message."""
    recorded = "ab" * 32
    no_pin.write_text("# AWS's global bundle, checked 2026-12-01\n" + recorded + "\n")
    bundle = tmp_path / "global-bundle.pem"
    bundle.write_bytes(rds_like_certificate())
    actual = rds_ca.sha256_of(bundle)

    error = _refused(capsys, tmp_path / "dist", "--deployment", "--rds-ca-bundle", str(bundle))

    assert f"has sha256 {actual}, but rds_ca_bundle.sha256 records {recorded}" in error


def test_given_the_repository_pin_file_then_it_records_nothing_or_one_sha256() -> None:
    """GIVEN scripts/build/rds_ca_bundle.sha256 as committed WHEN read THEN it is a sha256 or none (no junk)."""
    assert rds_ca.PINNED_SHA256_FILE.is_file()
    value = rds_ca.pinned_sha256()
    assert value is None or len(value) == 64


def test_given_rehearsal_ca_without_a_bundle_then_the_build_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_pin: Path
) -> None:
    """GIVEN --rehearsal-ca and no bundle WHEN packaging THEN exit 2: the stand-in must be given."""
    error = _refused(capsys, tmp_path / "dist", "--rehearsal-ca")
    assert "--rehearsal-ca / ITC_RDS_CA_REHEARSAL=1 names the bundle given as a stand-in" in error


def test_given_a_stand_in_ca_then_the_layer_carries_it_and_the_manifest_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_pin: Path
) -> None:
    """GIVEN a generated stand-in CA and ITC_RDS_CA_REHEARSAL=1 WHEN packaging for deployment THEN the layer
    ships it and the manifest records kind rehearsal-stand-in with its sha256 and subject."""
    paths = standin_ca.make_standin_ca(tmp_path / "ca", ["warehouse.itc.test"])
    monkeypatch.setenv("ITC_RDS_CA_REHEARSAL", "1")
    dist = tmp_path / "dist"

    assert package_lambdas.main(["--deployment", "--lambda", LAMBDA, "--layer-only", "--rds-ca-bundle",
                                 str(paths.ca_cert), "--dist", str(dist)]) == 0  # fmt: skip

    with zipfile.ZipFile(dist / f"{LAMBDA}-layer.zip") as layer:
        assert layer.read(package_lambdas.RDS_CA_PATH_IN_LAYER) == paths.ca_cert.read_bytes()
    manifest = json.loads((dist / "manifest.json").read_text())
    record = manifest["rds_ca_bundle"]
    assert record["kind"] == "rehearsal-stand-in"
    assert record["sha256"] == rds_ca.sha256_of(paths.ca_cert)
    assert [c["subject"] for c in record["certificates"]] == [
        "CN=ITC rehearsal stand-in CA\\, not for deployment,O=ITC rehearsal (local stand-in\\, not AWS)"]
    (layer_entry,) = [z for z in manifest["zips"] if z["kind"] == "layer"]
    assert layer_entry["rds_ca_bundle"] == {"kind": "rehearsal-stand-in", "sha256": record["sha256"]}


def test_given_an_rds_named_bundle_matching_the_pin_then_it_is_recorded_as_aws(
    tmp_path: Path, no_pin: Path,
    rds_like_certificate: Callable[..., bytes]
) -> None:
    """GIVEN two RDS-named certificates whose sha256 is the recorded one WHEN checked THEN the record is
    aws-rds-global with both subjects and expiry dates."""
    bundle = tmp_path / "global-bundle.pem"
    second = rds_like_certificate("Amazon RDS test-region-2 Root CA RSA4096 G1", valid_until_days=100)
    bundle.write_bytes(rds_like_certificate() + second)
    no_pin.write_text(rds_ca.sha256_of(bundle) + "\n")

    record = rds_ca.describe_bundle(bundle, kind=rds_ca.KIND_AWS)

    assert record["kind"] == "aws-rds-global"
    assert [c["subject"].split(",")[0] for c in record["certificates"]] == [
        "CN=Amazon RDS test-region-1 Root CA ECC384 G1", "CN=Amazon RDS test-region-2 Root CA RSA4096 G1"]
    assert record["certificates"][1]["not_after"][:10] == (NOW + dt.timedelta(days=100)).date().isoformat()


def test_given_a_local_build_without_a_bundle_then_the_manifest_records_kind_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_pin: Path
) -> None:
    """GIVEN no bundle and no deployment flag WHEN packaging THEN it builds, warns that Terraform refuses it,
    and records kind none on the build and the layer."""
    dist = tmp_path / "dist"

    assert package_lambdas.main(["--lambda", LAMBDA, "--layer-only", "--dist", str(dist)]) == 0

    assert "recorded as rds_ca_bundle kind none, which Terraform refuses to plan" in capsys.readouterr().err
    manifest = json.loads((dist / "manifest.json").read_text())
    assert manifest["rds_ca_bundle"] == {"kind": "none", "sha256": None, "certificates": []}
    (layer_entry,) = [z for z in manifest["zips"] if z["kind"] == "layer"]
    assert layer_entry["rds_ca_bundle"] == {"kind": "none", "sha256": None}
