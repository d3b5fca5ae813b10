"""``itc approve-force``: a short-lived, signed approval to force the load of one manifest.

    itc approve-force --manifest s3://<bucket>/<source>/run=<run_id>/_manifest.json --reason "..." \\
        [--ttl-minutes 60] [--approver NAME] [--out FILE]

It reads the manifest object (its sha256 binds the approval to that content), asks KMS for a MAC with the
key of ``ITC_FORCE_APPROVAL_KEY_ID`` (in AWS only the break-glass role may), and prints the approval
(:mod:`itc_common_utilities.loader.approval`), also writing it to ``--out``. The approver is the caller's
STS identity (its ARN) in AWS; on the local stack (``ITC_ENV=local``) the OS user or ``--approver``.
``itc replay <manifest> --force --approval FILE`` then loads it past the load guards.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import botocore.exceptions

from itc_common_utilities.limits import snapshot_limits
from itc_common_utilities.loader.approval import APPROVAL_KEY_ENV, MAX_TTL, ForceApprovalSettings, issue_approval
from itc_common_utilities.manifest import MANIFEST_NAME, SOURCES, sha256_hex
from itc_common_utilities.settings import load_settings
from scripts.itc.env import apply_stack_defaults, s3_client
from scripts.itc.errors import ItcError
from scripts.stack import local_stack


def parse_manifest_url(url: str) -> tuple[str, str]:
    """``s3://<bucket>/<source>/run=<run_id>/_manifest.json`` → (bucket, key); anything else is an ItcError."""
    parts = urlsplit(url)
    key = parts.path.lstrip("/")
    if parts.scheme != "s3" or not parts.netloc or not key.endswith("/" + MANIFEST_NAME):
        raise ItcError(f"{url!r} is not a manifest URL: expected s3://<bucket>/<source>/run=<run_id>/{MANIFEST_NAME}")
    if key.split("/", 1)[0] not in SOURCES:
        raise ItcError(f"{url}: the key must start with {' or '.join(s + '/' for s in SOURCES)}")
    return parts.netloc, key


def is_local() -> bool:
    return os.environ.get("ITC_ENV", "local") == "local"


def approver_of(given: str | None) -> str:
    """Who approves: the STS caller identity's ARN in AWS; locally ``--approver`` or the OS user."""
    if is_local():
        return (given or os.environ.get("ITC_APPROVER") or getpass.getuser()).strip()
    if given:
        raise ItcError("--approver is for the local stack only: in AWS the approver is your STS caller identity")
    import boto3

    return boto3.client("sts").get_caller_identity()["Arn"]


def read_manifest_sha256(s3: Any, bucket: str, key: str) -> str:
    """The sha256 of the manifest object as the load will read it (at most ``ITC_MAX_MANIFEST_BYTES``)."""
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read(snapshot_limits().max_manifest_bytes + 1)
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise ItcError(f"s3://{bucket}/{key}: cannot read the manifest ({code or 'error'})") from None
    return sha256_hex(body)


def read_approval(path: str) -> dict[str, Any]:
    """An approval file written by ``itc approve-force --out`` (or its printed JSON)."""
    try:
        approval = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ItcError(f"--approval {path}: cannot read it ({exc.strerror or exc})") from None
    except json.JSONDecodeError:
        raise ItcError(f"--approval {path}: not JSON (expected the approval `itc approve-force` prints)") from None
    if not isinstance(approval, dict):
        raise ItcError(f"--approval {path}: not a JSON object (expected the approval `itc approve-force` prints)")
    return approval


def cmd_approve_force(args: argparse.Namespace) -> int:
    bucket, key = parse_manifest_url(args.manifest)
    if not 0 < args.ttl_minutes <= MAX_TTL.total_seconds() / 60:
        raise ItcError(f"--ttl-minutes must be from 1 to {int(MAX_TTL.total_seconds() // 60)}")
    if not (args.reason or "").strip():
        raise ItcError("--reason \"why\" is required: it is recorded in ops.load_runs with the approver")
    apply_stack_defaults(local_stack.running_state())
    key_id = load_settings(ForceApprovalSettings).key_id  # the loads' own setting
    if not key_id:
        raise ItcError(f"{APPROVAL_KEY_ENV} is not set: the KMS key that signs force approvals")
    import boto3

    sha256 = read_manifest_sha256(s3_client(), bucket, key)
    try:
        approval = issue_approval(boto3.client("kms"), key_id, bucket=bucket, manifest_key=key,
                                  manifest_sha256=sha256, reason=args.reason, approver=approver_of(args.approver),
                                  ttl=timedelta(minutes=args.ttl_minutes))
    except ValueError as exc:
        raise ItcError(str(exc)) from None
    text = json.dumps(approval, indent=2, sort_keys=True) + "\n"
    if args.out:
        out = Path(args.out)
        out.write_text(text, encoding="utf-8")
        out.chmod(0o600)
    sys.stdout.write(text)
    return 0


def add_parser(sub: Any) -> None:
    """``itc approve-force`` in the CLI's subcommands."""
    p = sub.add_parser("approve-force", help="sign a short-lived approval to force the load of one manifest")
    p.add_argument("--manifest", required=True, help="s3://bucket/<source>/run=<run_id>/_manifest.json")
    p.add_argument("--reason", required=True, help="why it must be loaded past the load guards (recorded)")
    p.add_argument("--ttl-minutes", type=int, default=60, help="how long the approval is valid (default 60)")
    p.add_argument("--approver", default=None,
                   help="who approves (local stack only; default ITC_APPROVER or the OS user; in AWS: your STS "
                        "identity)")
    p.add_argument("--out", default=None, help="also write the approval to this file (mode 600)")
    p.set_defaults(func=cmd_approve_force)
