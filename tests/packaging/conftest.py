"""Build the Lambda zips once per test session (into a temporary folder, never into dist/)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from scripts.build import lambda_runtime, package_lambdas, rds_ca

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


@pytest.fixture
def rds_like_certificate() -> Callable[..., bytes]:
    """The factory below: certificates named like AWS's RDS CAs (or otherwise), valid when told."""
    return make_certificate


def make_certificate(common_name: str = "Amazon RDS test-region-1 Root CA ECC384 G1", *,
                         organization: str = rds_ca.AWS_ORGANIZATION, valid_from_days: int = -30,
                         valid_until_days: int = 3650) -> bytes:  # fmt: skip
    """A self-signed CA certificate (PEM) with the given names, valid between the two offsets from now (days).
    AWS's real bundle cannot be downloaded here; the bundle checks read only names and dates."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])  # fmt: skip
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + dt.timedelta(days=valid_from_days))
            .not_valid_after(now + dt.timedelta(days=valid_until_days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))  # fmt: skip
    return cert.public_bytes(serialization.Encoding.PEM)
