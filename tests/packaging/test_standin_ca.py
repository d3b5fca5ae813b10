"""The rehearsal's stand-in CA (scripts/build/standin_ca.py) is named as such and its server certificate holds
for the host names it was made for, and only those (what `sslmode=verify-full` checks), as openssl sees it."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from scripts.build import rds_ca, standin_ca


def _verify(paths: standin_ca.StandinCA, host: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", "verify", "-CAfile", str(paths.ca_cert), "-verify_hostname", host,
                           str(paths.server_cert)], capture_output=True, text=True, check=False)  # fmt: skip


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> standin_ca.StandinCA:
    return standin_ca.make_standin_ca(tmp_path_factory.mktemp("standin"), ["warehouse.itc.test", "127.0.0.1"])


def test_given_server_names_then_the_certificate_verifies_for_them_and_no_other(
    paths: standin_ca.StandinCA,
) -> None:
    """GIVEN a stand-in CA made for warehouse.itc.test WHEN openssl verifies its server certificate THEN it holds
    for that name and fails for another."""
    assert _verify(paths, "warehouse.itc.test").returncode == 0
    wrong = _verify(paths, "other.itc.test")
    assert wrong.returncode != 0
    assert "hostname mismatch" in wrong.stdout + wrong.stderr


def test_given_the_stand_in_then_it_is_named_not_for_deployment_and_keys_are_private(
    paths: standin_ca.StandinCA,
) -> None:
    """GIVEN the generated files WHEN read THEN the CA's subject says it is a stand-in, and the keys are 0600."""
    (certificate,) = rds_ca.load_certificates(paths.ca_cert)
    assert "ITC rehearsal stand-in CA\\, not for deployment" in certificate.subject.rfc4514_string()
    for key in (paths.ca_key, paths.server_key):
        assert key is not None and stat.S_IMODE(key.stat().st_mode) == 0o600


def test_given_no_server_names_then_only_the_ca_is_written(tmp_path: Path) -> None:
    """GIVEN no server names WHEN made THEN only ca.pem and ca.key exist and the server paths are None."""
    made = standin_ca.make_standin_ca(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ca.key", "ca.pem"]
    assert made.server_cert is None and made.server_key is None
