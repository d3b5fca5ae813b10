"""Authentic snapshots: the extract signs its manifest with a KMS HMAC key, the load verifies it first.

A manifest names every file of a snapshot with its sha256, so a manifest that is authentic makes the
whole snapshot authentic. The extract asks KMS for a MAC (``GenerateMac``, ``HMAC_SHA_256``) and writes
it INTO the manifest, as its ``signature`` object::

    "signature": {"algorithm": "HMAC_SHA_256", "key_id": "<key ARN>", "mac": "<base64>"}

Inside, not beside it (a ``_manifest.sig``): the manifest is the one object the load event names and the
one object written last, so a manifest and its signature arrive together in one PUT, can never be out of
step, are covered by the same versioning and object lock, and replaying a manifest replays its signature.

What is signed (:func:`signed_message`): ``itc-manifest-mac-v1:`` followed by the sha256 (hex) of the
manifest's canonical JSON without its ``signature`` (keys sorted, no spaces, ASCII). The digest keeps
the message far below KMS's 4,096-byte limit however many files a snapshot has; the canonical form
means the MAC does not depend on how the JSON is indented.

The load (:func:`verify_snapshot_manifest`, called by the load engine before it reads any data file)
asks KMS to verify (``VerifyMac``) with the key of ``ITC_MANIFEST_MAC_KEY_ID``, never with the key the
manifest names. An unsigned manifest, a malformed signature or one that does not match (a forged
manifest, a changed count) raises :class:`ManifestSignatureError`: terminal, recorded ``refused``, and
no force overrides it.

Each source has its own key (the variable's name is the same in both pipelines' functions): a manifest
signed with the Verify+ key is refused by the demand load, so the internet-facing Verify+ extract cannot
sign a demand snapshot. In AWS, only a source's extract role may ``kms:GenerateMac`` with its key and
only its load role ``kms:VerifyMac`` (terraform_modules/<pipeline>/kms.tf); locally the stack creates
one key per source in moto (:data:`LOCAL_MAC_KEY_ALIASES`, :func:`ensure_local_keys`) and ``itc`` gives
each pipeline its own for the call.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from itc_common_utilities.errors import TerminalError, TransientError
from itc_common_utilities.limits import snapshot_limits
from itc_common_utilities.manifest import Manifest, sha256_hex
from itc_common_utilities.settings import env_field, load_settings

MAC_KEY_ENV = "ITC_MANIFEST_MAC_KEY_ID"
MAC_ALGORITHM = "HMAC_SHA_256"
SIGNATURE_FIELD = "signature"
MESSAGE_PREFIX = b"itc-manifest-mac-v1:"
# the local stack's and the tests' keys (moto): one per source, and the force approvals' (loader.approval)
LOCAL_MAC_KEY_ALIASES = {"demand": "alias/itc-local-manifest-mac-demand",
                         "verifyplus": "alias/itc-local-manifest-mac-verifyplus"}
LOCAL_APPROVAL_KEY_ALIAS = "alias/itc-local-force-approval"
_TRANSIENT_KMS = {"ThrottlingException", "KMSInternalException", "DependencyTimeoutException",
                  "KMSInvalidStateException"}


class ManifestSignatureError(TerminalError):
    """A manifest that is not signed, or whose signature does not verify: refused, nothing changed."""


@dataclass(frozen=True)
class ManifestMacSettings:
    key_id: str = env_field(
        MAC_KEY_ENV,
        doc="the KMS HMAC key (id, ARN or alias) of this source that signs (extract) and verifies (load) its "
            "`_manifest.json`; one key per source (see Landing: signed manifests). Locally "
            "`alias/itc-local-manifest-mac-<source>` (moto)")


def signed_message(body: dict[str, Any]) -> bytes:
    """What the MAC covers: the prefix and the sha256 of the canonical manifest without its signature."""
    unsigned = {k: v for k, v in body.items() if k != SIGNATURE_FIELD}
    canonical = json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    return MESSAGE_PREFIX + hashlib.sha256(canonical).hexdigest().encode("ascii")


@dataclass(frozen=True)
class ManifestMac:
    """A KMS client and the HMAC key (id, ARN or alias) that signs and verifies manifests."""

    kms: Any
    key_id: str

    @classmethod
    def from_environment(cls, kms_client: Any = None) -> ManifestMac:
        """The key of ``ITC_MANIFEST_MAC_KEY_ID`` (a ``SettingsError`` names it when unset)."""
        if kms_client is None:
            from itc_common_utilities import aws

            kms_client = aws.client("kms")
        return cls(kms_client, load_settings(ManifestMacSettings).key_id)

    def sign(self, manifest: Manifest) -> bytes:
        """The manifest's bytes with its ``signature`` (GenerateMac)."""
        body = json.loads(manifest.to_bytes())
        answer = kms_call(lambda: self.kms.generate_mac(Message=signed_message(body), KeyId=self.key_id,
                                                         MacAlgorithm=MAC_ALGORITHM), "sign the manifest")
        body[SIGNATURE_FIELD] = {"algorithm": MAC_ALGORITHM, "key_id": answer["KeyId"],
                                 "mac": base64.b64encode(answer["Mac"]).decode("ascii")}
        return json.dumps(body, indent=2, sort_keys=True).encode("utf-8")

    def verify(self, data: bytes, *, where: str) -> None:
        """Raise :class:`ManifestSignatureError` unless ``data`` carries a signature KMS verifies (VerifyMac)."""
        try:
            body = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ManifestSignatureError(f"{where}: the manifest is not JSON, so it cannot be verified") from None
        signature = body.get(SIGNATURE_FIELD) if isinstance(body, dict) else None
        if signature is None:
            raise ManifestSignatureError(f"{where}: refusing an unsigned manifest: every snapshot's manifest is "
                                         f"signed by its extract (KMS HMAC); this one was not written by an ITC "
                                         f"extract. Nothing was loaded; forcing does not override this.")
        mac = mac_bytes(signature)
        if mac is None:
            raise ManifestSignatureError(f"{where}: refusing a manifest whose signature is malformed (expected "
                                         f"{{'algorithm': '{MAC_ALGORITHM}', 'mac': '<base64>'}}). Nothing was "
                                         f"loaded; forcing does not override this.")
        try:
            answer = self.kms.verify_mac(Message=signed_message(body), KeyId=self.key_id,
                                         MacAlgorithm=MAC_ALGORITHM, Mac=mac)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "KMSInvalidMacException":
                raise kms_error(exc, "verify the manifest") from None
            answer = {"MacValid": False}
        except BotoCoreError as exc:
            raise TransientError(f"KMS: cannot verify the manifest now ({type(exc).__name__})") from None
        if not answer.get("MacValid"):
            raise ManifestSignatureError(f"{where}: refusing a manifest whose signature does not match its content "
                                         f"(altered after signing, or signed with another key). Nothing was "
                                         f"loaded; forcing does not override this.")


def mac_bytes(signature: Any) -> bytes | None:
    """The MAC of a ``signature`` object (``{"algorithm": "HMAC_SHA_256", "mac": "<base64>"}``), or None."""
    if not isinstance(signature, dict) or signature.get("algorithm") != MAC_ALGORITHM:
        return None
    try:
        mac = base64.b64decode(str(signature.get("mac", "")), validate=True)
    except (binascii.Error, ValueError):
        return None
    return mac or None


def kms_error(exc: ClientError, doing: str, key_env: str = MAC_KEY_ENV) -> Exception:
    """A KMS error: a retry fixes throttling and KMS outages; anything else (no such key, access denied, a
    disabled key, the wrong key kind) is configuration, terminal. ``key_env`` names the key's variable."""
    code = exc.response.get("Error", {}).get("Code", "?")
    kind = TransientError if code in _TRANSIENT_KMS else TerminalError
    return kind(f"KMS: cannot {doing} with the key of {key_env} ({code})")


def kms_call(call: Any, doing: str, key_env: str = MAC_KEY_ENV) -> Any:
    """``call()`` (a KMS request), its errors as :func:`kms_error` says."""
    try:
        return call()
    except ClientError as exc:
        raise kms_error(exc, doing, key_env) from None
    except BotoCoreError as exc:
        raise TransientError(f"KMS: cannot {doing} now ({type(exc).__name__})") from None


def verify_snapshot_manifest(s3_client: Any, mac: ManifestMac, loaded: Any) -> None:
    """Verify the signature of the manifest the load read (``loaded``: an ``s3.LoadedManifest``).

    Reads the very object version the load parsed (and checks its sha256 is the one parsed), so what is
    verified is what is loaded."""
    ref = loaded.ref
    kwargs: dict[str, Any] = {"Bucket": ref.bucket, "Key": ref.key}
    if loaded.version_id:
        kwargs["VersionId"] = loaded.version_id
    # bounded as the first read was (ITC_MAX_MANIFEST_BYTES): a larger object is not the one parsed
    data = s3_client.get_object(**kwargs)["Body"].read(snapshot_limits().max_manifest_bytes + 1)
    where = f"s3://{ref.bucket}/{ref.key}"
    if sha256_hex(data) != loaded.sha256:
        raise ManifestSignatureError(f"{where}: the manifest changed while it was being read; refusing it. "
                                     f"Nothing was loaded.")
    mac.verify(data, where=where)


def ensure_mac_key(kms_client: Any, alias: str, *, description: str = "ITC local: signs landing-snapshot manifests"
                   ) -> str:
    """The HMAC key behind ``alias``, created when missing; returns the alias.

    For the local stack and tests (moto's KMS); in AWS the keys are Terraform's."""
    try:
        kms_client.describe_key(KeyId=alias)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NotFoundException":
            raise
        key = kms_client.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC", Description=description)
        kms_client.create_alias(AliasName=alias, TargetKeyId=key["KeyMetadata"]["KeyId"])
    return alias


def ensure_local_keys(kms_client: Any) -> dict[str, str]:
    """Every local HMAC key, created when missing: each source's manifest key (``ITC_MANIFEST_MAC_KEY_ID`` of
    that source's functions) and the force approvals' (``ITC_FORCE_APPROVAL_KEY_ID``); returns
    ``{"demand": alias, "verifyplus": alias, "approval": alias}``."""
    keys = {source: ensure_mac_key(kms_client, alias, description=f"ITC local: signs {source} manifests")
            for source, alias in LOCAL_MAC_KEY_ALIASES.items()}
    keys["approval"] = ensure_mac_key(kms_client, LOCAL_APPROVAL_KEY_ALIAS,
                                      description="ITC local: signs force approvals")
    return keys
