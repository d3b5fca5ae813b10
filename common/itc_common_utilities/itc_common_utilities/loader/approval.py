"""Force approvals: a forced load needs a short-lived approval MAC'd with a key of its own.

Forcing a load (``"force"`` in a load event) skips every load guard and reloads a manifest loaded
already: the restore path. Whoever may invoke a load function must not be able to force it on their
own word, so the event carries an **approval**, not a name: ``{"force": {"approval": {...}}}``.
``itc approve-force --manifest s3://<bucket>/<key> --reason "..."`` makes one::

    {"format": 1, "bucket": "itc-beta-landing", "manifest_key": "demand/run=.../_manifest.json",
     "manifest_sha256": "<sha256 of the manifest object>", "reason": "restore the last good snapshot",
     "approver": "arn:aws:sts::123456789012:assumed-role/itc-beta-break-glass/jane",
     "issued_at": "2026-12-07T01:00:00+00:00", "expires_at": "2026-12-07T02:00:00+00:00",
     "signature": {"algorithm": "HMAC_SHA_256", "key_id": "<key ARN>", "mac": "<base64>"}}

The MAC (KMS ``GenerateMac``, ``HMAC_SHA_256``, the key of ``ITC_FORCE_APPROVAL_KEY_ID``) covers
``itc-force-approval-v1:`` and the sha256 of the approval's canonical JSON without its ``signature``
(as :func:`itc_common_utilities.signature.signed_message` does for manifests, with its own prefix so a
manifest MAC is never an approval MAC). In AWS only the break-glass role may ``GenerateMac`` with that
key and the load roles may only ``VerifyMac``; the approver is the caller's STS identity.

The load (:func:`verify_force`, after the manifest's signature and before any lock or file) refuses,
with a :class:`ForceApprovalError` (terminal, recorded ``refused``, nothing changed), an approval that
does not verify under its own ``ITC_FORCE_APPROVAL_KEY_ID``, that names another bucket, key or manifest
content (sha256), that has expired, that was issued in the future (beyond :data:`MAX_CLOCK_SKEW`), or
that lives longer than :data:`MAX_TTL`. A verified approval becomes the load's :class:`Force`: who
forced it (``ops.load_runs.forced_by``) and why (``force_reason``) come from the approval only.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from itc_common_utilities.errors import TerminalError, TransientError
from itc_common_utilities.loader.guards import MAX_CLOCK_SKEW, REASON_LIMIT, Force
from itc_common_utilities.settings import env_field, load_settings
from itc_common_utilities.signature import (  # noqa: F401 - LOCAL_APPROVAL_KEY_ALIAS: the local key's alias
    LOCAL_APPROVAL_KEY_ALIAS,
    MAC_ALGORITHM,
    SIGNATURE_FIELD,
    kms_call,
    kms_error,
    mac_bytes,
)

APPROVAL_KEY_ENV = "ITC_FORCE_APPROVAL_KEY_ID"
MESSAGE_PREFIX = b"itc-force-approval-v1:"
FORMAT_VERSION = 1
DEFAULT_TTL = timedelta(minutes=60)
MAX_TTL = timedelta(hours=24)  # an approval is for one restore, not a standing permission
_FIELDS = ("format", "bucket", "manifest_key", "manifest_sha256", "reason", "approver", "issued_at", "expires_at")


class ForceApprovalError(TerminalError):
    """A forced load whose approval is missing, invalid, expired or for another manifest: refused, nothing
    changed."""


@dataclass(frozen=True)
class ForceApprovalSettings:
    key_id: str | None = env_field(
        APPROVAL_KEY_ENV, default=None,
        doc="the KMS HMAC key of force approvals (`itc approve-force` signs, the load verifies); unset: every "
            "forced load is refused. Locally `alias/itc-local-force-approval` (moto)")


@dataclass(frozen=True)
class ForceRequest:
    """The ``force`` of a load event, not yet verified: the approval as the event gave it."""

    approval: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_event(cls, value: Any) -> ForceRequest:
        """``{"approval": {...}}``; a ``ValueError`` says what is wrong (the approval is checked by the load)."""
        if not isinstance(value, Mapping):
            raise ValueError(f"'force' must be a JSON object {{'approval': {{...}}}} (got {type(value).__name__})")
        unknown = sorted(str(k) for k in value if k != "approval")
        if unknown:
            raise ValueError(f"'force' takes only an 'approval' made by `itc approve-force` (who forces and why "
                             f"come from it); refusing key(s) {', '.join(unknown)}")
        approval = value.get("approval")
        if not isinstance(approval, Mapping):
            raise ValueError("'force' needs an 'approval' (a JSON object made by `itc approve-force`)")
        return cls(dict(approval))


def approval_message(body: Mapping[str, Any]) -> bytes:
    """What the approval's MAC covers: the prefix and the sha256 of its canonical JSON without the signature."""
    unsigned = {k: v for k, v in body.items() if k != SIGNATURE_FIELD}
    canonical = json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    return MESSAGE_PREFIX + hashlib.sha256(canonical).hexdigest().encode("ascii")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def issue_approval(kms: Any, key_id: str, *, bucket: str, manifest_key: str, manifest_sha256: str, reason: str,
                   approver: str, ttl: timedelta = DEFAULT_TTL, now: datetime | None = None) -> dict[str, Any]:
    """A signed approval to force the load of ``s3://bucket/manifest_key`` (whose content has ``manifest_sha256``)
    for ``ttl`` from ``now`` (GenerateMac with ``key_id``). A ``ValueError`` names a bad argument."""
    reason, approver = reason.strip(), approver.strip()
    if not reason:
        raise ValueError("an approval needs a reason: why this snapshot must be loaded past the load guards")
    if len(reason) > REASON_LIMIT:
        raise ValueError(f"the reason is longer than {REASON_LIMIT} characters")
    if not approver:
        raise ValueError("an approval needs an approver")
    if not timedelta(0) < ttl <= MAX_TTL:
        raise ValueError(f"the approval's lifetime must be more than 0 and at most {MAX_TTL} (got {ttl})")
    now = now or datetime.now(UTC)
    body: dict[str, Any] = {"format": FORMAT_VERSION, "bucket": bucket, "manifest_key": manifest_key,
                            "manifest_sha256": manifest_sha256, "reason": reason, "approver": approver,
                            "issued_at": _iso(now), "expires_at": _iso(now + ttl)}
    answer = kms_call(lambda: kms.generate_mac(Message=approval_message(body), KeyId=key_id,
                                               MacAlgorithm=MAC_ALGORITHM), "sign the approval", APPROVAL_KEY_ENV)
    body[SIGNATURE_FIELD] = {"algorithm": MAC_ALGORITHM, "key_id": answer["KeyId"],
                             "mac": base64.b64encode(answer["Mac"]).decode("ascii")}
    return body


def _time(body: Mapping[str, Any], name: str, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(body[name]))
    except ValueError:
        raise ForceApprovalError(f"{where}: the approval's {name} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ForceApprovalError(f"{where}: the approval's {name} has no time zone")
    return moment


def verify_force(request: ForceRequest, loaded: Any, *, kms: Any = None, key_id: str | None = None,
                 now: datetime | None = None) -> Force:
    """The load's :class:`Force` from a verified approval of the manifest the load read (``loaded``: an
    ``s3.LoadedManifest``); anything else raises :class:`ForceApprovalError` naming the problem."""
    ref = loaded.ref
    where = f"s3://{ref.bucket}/{ref.key}"
    refused = "Nothing was loaded; make an approval of this manifest with `itc approve-force`."
    body = request.approval
    missing = [name for name in _FIELDS if name not in body]
    if missing or not all(isinstance(body[name], str) for name in _FIELDS if name != "format"):
        raise ForceApprovalError(f"{where}: refusing the forced load: the approval is not one `itc approve-force` "
                                 f"makes (missing or malformed: {', '.join(missing) or 'a field is not text'}). "
                                 f"{refused}")
    mac = mac_bytes(body.get(SIGNATURE_FIELD))
    if mac is None:
        raise ForceApprovalError(f"{where}: refusing the forced load: the approval is unsigned or its signature is "
                                 f"malformed. {refused}")
    if key_id is None:
        key_id = load_settings(ForceApprovalSettings).key_id
        if key_id is None:
            raise ForceApprovalError(f"{where}: refusing the forced load: {APPROVAL_KEY_ENV} is not set, so no "
                                     f"approval can be verified (forced loads are off). Nothing was loaded.")
    if kms is None:
        from itc_common_utilities import aws

        kms = aws.client("kms")
    try:
        answer = kms.verify_mac(Message=approval_message(body), KeyId=key_id, MacAlgorithm=MAC_ALGORITHM, Mac=mac)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "KMSInvalidMacException":
            raise kms_error(exc, "verify the approval", APPROVAL_KEY_ENV) from None
        answer = {"MacValid": False}
    except BotoCoreError as exc:
        raise TransientError(f"KMS: cannot verify the approval now ({type(exc).__name__})") from None
    if not answer.get("MacValid"):
        raise ForceApprovalError(f"{where}: refusing the forced load: the approval's signature does not match "
                                 f"(altered, or not signed with the key of {APPROVAL_KEY_ENV}). {refused}")
    if (body["bucket"], body["manifest_key"]) != (ref.bucket, ref.key):
        raise ForceApprovalError(f"{where}: refusing the forced load: the approval is for another manifest "
                                 f"(s3://{body['bucket']}/{body['manifest_key']}). {refused}")
    if body["manifest_sha256"] != loaded.sha256:
        raise ForceApprovalError(f"{where}: refusing the forced load: the approval is for other content of this "
                                 f"manifest (its sha256 differs from the object read). {refused}")
    now = now or datetime.now(UTC)
    issued, expires = _time(body, "issued_at", where), _time(body, "expires_at", where)
    if expires - issued > MAX_TTL or expires <= issued:
        raise ForceApprovalError(f"{where}: refusing the forced load: the approval's lifetime ({expires - issued}) "
                                 f"is not within 0 .. {MAX_TTL}. {refused}")
    if issued > now + MAX_CLOCK_SKEW:
        raise ForceApprovalError(f"{where}: refusing the forced load: the approval was issued in the future "
                                 f"({_iso(issued)}). {refused}")
    if now >= expires:
        raise ForceApprovalError(f"{where}: refusing the forced load: the approval expired at {_iso(expires)}. "
                                 f"{refused}")
    reason, approver = body["reason"].strip(), body["approver"].strip()
    if not reason or not approver or len(reason) > REASON_LIMIT:
        raise ForceApprovalError(f"{where}: refusing the forced load: the approval needs an approver and a reason "
                                 f"of at most {REASON_LIMIT} characters. {refused}")
    return Force(reason=reason, by=approver)

