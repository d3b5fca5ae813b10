"""Reproducible zips (scripts/build/package_lambdas.py): the same entries give the same bytes (sorted names,
a fixed date, unix permission bits), and a zip's description for dist/manifest.json (sizes, entries,
sha256 and Terraform's base64 sha256)."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Iterable
from pathlib import Path

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def _mode(path: Path) -> int:
    return 0o755 if path.suffix == ".so" or ".so." in path.name else 0o644


def write_zip(entries: Iterable[tuple[Path, str]], target: Path) -> None:
    """Write (source file, name in zip) pairs as a byte-for-byte reproducible zip."""
    items = sorted(entries, key=lambda e: e[1])
    names = [name for _, name in items]
    if len(names) != len(set(names)):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"duplicate entries in {target.name}: {dupes[:5]}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for source, name in items:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.create_system = 3  # unix, so external_attr carries the permission bits
            info.external_attr = (0o100000 | _mode(source)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, source.read_bytes(), compresslevel=9)
    tmp.replace(target)


def describe(path: Path) -> dict[str, object]:
    data = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    digest = hashlib.sha256(data).digest()
    return {
        "file": path.name,
        "bytes": len(data),
        "unzipped_bytes": sum(i.file_size for i in infos),
        "entries": len(infos),
        "sha256": digest.hex(),
        "base64sha256": base64.b64encode(digest).decode(),
    }


def human_size(n: object) -> str:
    size = float(n)  # type: ignore[arg-type]
    return f"{size / 1e6:.2f} MB" if size >= 1e6 else f"{size / 1e3:.1f} kB"
