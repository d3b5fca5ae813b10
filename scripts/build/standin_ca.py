"""Generate the rehearsal's stand-in CA: a local CA named "ITC rehearsal stand-in CA, not for deployment".

AWS's RDS CA bundle cannot be downloaded on this machine, so where a layer is built to be run here (the
rehearsal, `make tf-apply-local`) a CA generated on the spot stands in for it: its certificate goes into
the layer at ``python/rds-ca/global-bundle.pem`` (``package_lambdas.py --rehearsal-ca --rds-ca-bundle
<ca.pem>``, recorded as ``rehearsal-stand-in`` in dist/manifest.json, which Terraform refuses unless
``allowed_rds_ca_kinds`` lists it), and, given server names, it signs a server certificate for a local
PostgreSQL so that ``sslmode=verify-full`` against that host name holds.

    python -m scripts.build.standin_ca <folder> [--server-name HOST ...]

writes ``<folder>/ca.pem`` (the bundle), ``ca.key``, and with server names ``server.pem`` and
``server.key`` (0600, as PostgreSQL requires), and prints their paths. Keys are EC P-256; the CA and the
server certificate are valid from one hour ago for ``days`` days (default 30).
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import os
import sys
from dataclasses import dataclass
from pathlib import Path

STANDIN_CA_NAME = "ITC rehearsal stand-in CA, not for deployment"
STANDIN_ORGANIZATION = "ITC rehearsal (local stand-in, not AWS)"


@dataclass(frozen=True)
class StandinCA:
    """Paths of the generated files (server ones None without server names)."""

    ca_cert: Path
    ca_key: Path
    server_cert: Path | None = None
    server_key: Path | None = None


def _write_key(key: object, path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    data = key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    path.chmod(0o600)


def _san(name: str) -> object:
    from cryptography import x509

    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def make_standin_ca(directory: Path | str, server_names: list[str] | tuple[str, ...] = (), *,
                    days: int = 30) -> StandinCA:  # fmt: skip
    """Write a stand-in CA (and a server certificate for ``server_names``, if any) into ``directory``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    end = start + dt.timedelta(days=days)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, STANDIN_ORGANIZATION),
        x509.NameAttribute(NameOID.COMMON_NAME, STANDIN_CA_NAME),
    ])  # fmt: skip
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    from cryptography.hazmat.primitives import serialization

    paths = StandinCA(ca_cert=folder / "ca.pem", ca_key=folder / "ca.key")
    paths.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    _write_key(ca_key, paths.ca_key)
    if not server_names:
        return paths

    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, STANDIN_ORGANIZATION),
                                 x509.NameAttribute(NameOID.COMMON_NAME, server_names[0])]))
        .issuer_name(ca_name).public_key(server_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([_san(n) for n in server_names]), critical=False)  # type: ignore[misc]
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    paths = StandinCA(paths.ca_cert, paths.ca_key, folder / "server.pem", folder / "server.key")
    paths.server_cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))  # type: ignore[union-attr]
    _write_key(server_key, paths.server_key)  # type: ignore[arg-type]
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=f"Write a {STANDIN_CA_NAME!r} (and a server certificate).")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--server-name", action="append", default=[], help="host name or IP (repeatable)")
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args(argv)
    paths = make_standin_ca(args.folder, args.server_name, days=args.days)
    for label, path in vars(paths).items():
        if path is not None:
            print(f"{label}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
