"""Check the RDS CA bundle a layer build was given, and describe it for ``dist/manifest.json``.

A deployed Lambda connects to RDS with ``sslmode=verify-full`` and trusts only the PEM file at
``/opt/python/rds-ca/global-bundle.pem``; `make package` (scripts/build/package_lambdas.py) ships the
file it is given there, after these checks:

* every PEM block is an X.509 certificate, and there is at least one;
* every certificate is in date (``not_before <= now <= not_after``);
* ``aws-rds-global`` (AWS's public global bundle, the deployment's): each certificate is issued by and
  for an Amazon RDS CA (subject and issuer ``O=Amazon Web Services, Inc.`` with a CN containing
  ``Amazon RDS``), and when ``scripts/build/rds_ca_bundle.sha256`` records a sha256, the file's
  sha256 equals it;
* ``rehearsal-stand-in`` (a CA generated on this machine by scripts/build/standin_ca.py, for the
  rehearsal and `make tf-apply-local`): PEM and dates only. It is recorded as such, and Terraform
  refuses it unless the environment's ``allowed_rds_ca_kinds`` lists it.

``describe_bundle`` returns the record written to the manifest: ``{"kind", "sha256", "certificates":
[{"subject", "issuer", "not_after"}...]}``; ``kind`` is ``none`` (sha256 null) when no bundle was given.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

KIND_AWS = "aws-rds-global"
KIND_STANDIN = "rehearsal-stand-in"
KIND_NONE = "none"
KINDS = (KIND_AWS, KIND_STANDIN, KIND_NONE)

PINNED_SHA256_FILE = Path(__file__).resolve().parent / "rds_ca_bundle.sha256"
AWS_ORGANIZATION = "Amazon Web Services, Inc."
AWS_RDS_CN_PART = "Amazon RDS"

_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)\s*-----END \1-----", re.DOTALL)


class BundleError(ValueError):
    """The bundle given is not one a layer may ship; the message names the file and the cause."""


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pinned_sha256(pin_file: Path | None = None) -> str | None:
    """The sha256 recorded in ``pin_file`` (default PINNED_SHA256_FILE; its first line that is not blank
    or a # comment), or None when it records none."""
    pin_file = pin_file or PINNED_SHA256_FILE
    if not pin_file.is_file():
        return None
    for line in pin_file.read_text().splitlines():
        value = line.split("#", 1)[0].strip().lower()
        if not value:
            continue
        if not re.fullmatch(r"[0-9a-f]{64}", value):
            raise BundleError(f"{pin_file.name} records {value!r}, which is not a sha256 (64 hex digits)")
        return value
    return None


def _name_attr(name: Any, oid: Any) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def _is_rds_name(name: Any) -> bool:
    from cryptography.x509.oid import NameOID

    return (_name_attr(name, NameOID.ORGANIZATION_NAME) == AWS_ORGANIZATION
            and AWS_RDS_CN_PART in _name_attr(name, NameOID.COMMON_NAME))  # fmt: skip


def load_certificates(path: Path) -> list[Any]:
    """Every PEM block of ``path`` as an X.509 certificate; BundleError for anything else."""
    from cryptography import x509

    try:
        text = path.read_bytes().decode("ascii")
    except UnicodeDecodeError as exc:
        raise BundleError(f"{path} is not a PEM file (not ASCII text: byte {exc.start})") from None
    blocks = list(_PEM_BLOCK.finditer(text))
    if not blocks:
        raise BundleError(f"{path} is not a PEM file: it holds no -----BEGIN CERTIFICATE----- block")
    certificates = []
    for number, block in enumerate(blocks, start=1):
        if block.group(1) != "CERTIFICATE":
            raise BundleError(f"{path}: PEM block {number} is a {block.group(1)}, not a CERTIFICATE")
        try:
            certificates.append(x509.load_pem_x509_certificate(block.group(0).encode()))
        except ValueError as exc:
            raise BundleError(f"{path}: PEM block {number} is not a readable X.509 certificate ({exc})") from None
    return certificates


def describe_bundle(
    path: Path | None, *, kind: str, now: dt.datetime | None = None, pin_file: Path | None = None
) -> dict[str, Any]:
    """Check the bundle at ``path`` as ``kind`` (see the module docstring) and return its manifest record."""
    if kind not in KINDS:
        raise BundleError(f"unknown RDS CA bundle kind {kind!r} (one of {', '.join(KINDS)})")
    if path is None or kind == KIND_NONE:
        if path is not None or kind != KIND_NONE:
            raise BundleError(f"kind {kind!r} and bundle {path} do not go together")
        return {"kind": KIND_NONE, "sha256": None, "certificates": []}
    now = now or dt.datetime.now(dt.UTC)
    certificates = load_certificates(path)
    described = []
    for number, cert in enumerate(certificates, start=1):
        subject, issuer = cert.subject.rfc4514_string(), cert.issuer.rfc4514_string()
        not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
        if now < not_before:
            raise BundleError(f"{path}: certificate {number} ({subject}) is not valid before {not_before.isoformat()}")
        if now > not_after:
            raise BundleError(f"{path}: certificate {number} ({subject}) expired on {not_after.isoformat()}")
        if kind == KIND_AWS and not (_is_rds_name(cert.subject) and _is_rds_name(cert.issuer)):
            raise BundleError(
                f"{path}: certificate {number} is not an Amazon RDS CA (subject {subject}; issuer {issuer}): "
                f"AWS's global bundle holds only certificates issued by and for O={AWS_ORGANIZATION}, "
                f"CN=...{AWS_RDS_CN_PART}...; a locally generated CA is a rehearsal stand-in (--rehearsal-ca)"
            )
        described.append({"subject": subject, "issuer": issuer, "not_after": not_after.isoformat()})
    digest = sha256_of(path)
    if kind == KIND_AWS:
        pin_file = pin_file or PINNED_SHA256_FILE
        pinned = pinned_sha256(pin_file)
        if pinned is not None and digest != pinned:
            raise BundleError(
                f"{path} has sha256 {digest}, but {pin_file.name} records {pinned}: not the bundle this "
                "repository recorded (download AWS's global bundle again, or record the new sha256 there "
                "once you have checked it)"
            )
    return {"kind": kind, "sha256": digest, "certificates": described}
