"""Print the Lambda package sizes and the cold import time of each handler (`make bench` calls it).

Sizes are those of the deployable zips in ``dist/`` (arm64, built by ``make package`` when
missing). Import times come from a Lambda-like layout unpacked into a temporary folder:
``var/task`` = the code zip, ``opt/python`` = the layer, imported by a fresh Python 3.12 process
(``-I -S``: no site-packages, no user site, no PYTHON* variables) whose ``sys.path`` holds only
those two folders and the standard library. Compiled wheels for aarch64 cannot be loaded on an
x86_64 host, so the timed layer is the *host* build of the same ``requirements.lock.txt``
(``dist/host/``). Two figures per handler:

* ``cold``: no bytecode anywhere (``-B``), as on Lambda, whose ``/opt`` and ``/var/task`` are
  read-only and whose zips ship no ``.pyc``: every module is compiled at import.
* ``warm-pyc``: the same layout after one run has written ``__pycache__``: the floor that
  precompiled bytecode in the zips would reach.

Figures, not assertions: a benchmark never fails on a time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from scripts.build import package_lambdas as pl
from scripts.build.lambda_runtime import import_handler, lambda_python_or_host, unpack_lambda_layout

REPO = pl.REPO
HANDLERS = {name: f"{name}.main" for name in pl.lambdas()}

def _ensure_zips(dist: Path, host_dist: Path, host_python_version: str) -> None:
    names = list(pl.lambdas())
    if not all((dist / f"{n}.zip").exists() and (dist / f"{n}-layer.zip").exists() for n in names):
        pl.main(["--dist", str(dist)])
    if not all((host_dist / f"{n}-layer.zip").exists() for n in names):
        pl.main(
            ["--platform", "host", "--python-version", host_python_version, "--layer-only", "--dist", str(host_dist)]
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Package sizes and cold handler import times.")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per handler (default 5)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the zips first")
    args = parser.parse_args(argv)

    python, version = lambda_python_or_host()
    dist, host_dist = REPO / "dist", REPO / "dist" / "host"
    if args.rebuild:
        pl.main(["--dist", str(dist)])
        pl.main(["--platform", "host", "--python-version", version, "--layer-only", "--dist", str(host_dist)])
    else:
        _ensure_zips(dist, host_dist, version)

    print("\npackage sizes (dist/, arm64 python3.12)")
    print(f"{'zip':34} {'zipped':>10} {'unzipped':>10} {'files':>6}  sha256")
    for name in pl.lambdas():
        for path in (dist / f"{name}.zip", dist / f"{name}-layer.zip"):
            d = pl.describe(path)
            sizes = f"{pl.human_size(d['bytes']):>10} {pl.human_size(d['unzipped_bytes']):>10} {d['entries']:6d}"
            print(f"{path.name:34} {sizes}  {str(d['sha256'])[:16]}…")

    note = "" if version == pl.LAMBDA_PYTHON else f"  (no python{pl.LAMBDA_PYTHON} here: timed with {version})"
    print(f"\ncold handler import, Lambda-like layout, host-CPU layer, python {version}, {args.runs} runs{note}")
    print(f"{'handler':34} {'cold median ms':>15} {'cold min ms':>12} {'warm-pyc ms':>12} {'modules':>8}")
    for name, module in HANDLERS.items():
        with tempfile.TemporaryDirectory(prefix=f"itc-bench-{name}-") as tmp:
            task, layer = unpack_lambda_layout(dist / f"{name}.zip", host_dist / f"{name}-layer.zip", Path(tmp))
            cold = [import_handler(python, task, layer, module) for _ in range(args.runs)]
            import_handler(python, task, layer, module, bytecode=True)  # writes __pycache__
            warm = [import_handler(python, task, layer, module, bytecode=True) for _ in range(args.runs)]
        cold_ms = [r["import_ms"] for r in cold]
        print(f"{module + '.handler':34} {statistics.median(cold_ms):15.0f} {min(cold_ms):12.0f} "
              f"{statistics.median(r['import_ms'] for r in warm):12.0f} {cold[0]['modules']:8d}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
