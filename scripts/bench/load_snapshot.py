"""The demand load bench's snapshot on disk (scripts/bench/load.py): generated once per size and seed into
the bench cache, read through a file-backed stand-in for S3, copied under a new run id for the reload, its
manifest signed with a key held by an in-process moto (the loads verify it as in AWS)."""

from __future__ import annotations

import os
import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from scripts.bench.harness import CACHE

RUN_ID = "bench"


class FileS3:
    """A file-backed stand-in for the two S3 calls a load makes (``get_object``), rooted at a folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def get_object(self, *, Bucket: str, Key: str, VersionId: str | None = None) -> dict[str, Any]:
        return {"Body": (self.root / Key).open("rb"), "VersionId": None}


def snapshot_dir(demands: int, seed: int) -> Path:
    return CACHE / f"demands-{demands}-seed-{seed}"


def ensure_snapshot(demands: int, seed: int) -> tuple[Path, Any, float | None]:
    from itc_common_utilities.manifest import Manifest, manifest_key
    from scripts.synthetic.exchange import ExchangeConfig, write_snapshot

    root = snapshot_dir(demands, seed)
    path = root / manifest_key("demand", RUN_ID)
    if path.exists():
        return root, Manifest.from_bytes(path.read_bytes()), None
    if root.exists():
        shutil.rmtree(root)
    t0 = time.perf_counter()
    manifest = write_snapshot(ExchangeConfig(demands=demands, seed=seed, malformed_share=0.002,
                                             big_string_chars=200_000), run_id=RUN_ID, directory=root)
    return root, manifest, time.perf_counter() - t0


def reload_snapshot(root: Path, manifest: Any) -> str:
    """The same files under a new run id (symlinks + a new manifest): a load that must do the upsert."""
    from dataclasses import replace

    from itc_common_utilities.manifest import Manifest, data_key

    run_id = f"{RUN_ID}-reload"
    files = []
    for f in manifest.files:
        key = data_key("demand", run_id, f.table)
        link = root / key
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to(root / f.key)
        files.append(replace(f, key=key))
    extracted_at = (datetime.fromisoformat(manifest.extracted_at) + timedelta(days=1)).isoformat()  # the next day's
    reloaded = Manifest(manifest.source, run_id, extracted_at, tuple(files))
    (root / reloaded.key).write_bytes(reloaded.to_bytes())
    sign_manifest(root, run_id)
    return run_id


def start_manifest_key() -> None:
    """A moto server (until exit) holding the HMAC key that signs the bench's manifests, as the local stack
    does; the load children verify with it (``AWS_ENDPOINT_URL``, ``ITC_MANIFEST_MAC_KEY_ID``)."""
    import atexit
    import contextlib

    from itc_common_utilities.signature import MAC_KEY_ENV
    from scripts.stack import local_stack

    stack = contextlib.ExitStack()
    atexit.register(stack.close)
    url = stack.enter_context(local_stack.threaded_moto())
    os.environ.update({"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": local_stack.LOCAL_REGION,
                       MAC_KEY_ENV: local_stack.ensure_local_keys(url)["demand"]})


def sign_manifest(root: Path, run_id: str) -> None:
    """Sign the cached snapshot's manifest with this run's key (a cached one was signed by an earlier key)."""
    from itc_common_utilities.manifest import Manifest, manifest_key
    from itc_common_utilities.signature import ManifestMac

    path = root / manifest_key("demand", run_id)
    path.write_bytes(ManifestMac.from_environment().sign(Manifest.from_bytes(path.read_bytes())))
