"""Print the Lambda package sizes and the cold import time of each handler (`make bench` calls it).

Sizes are those of the deployable zips in ``dist/`` (arm64, built by ``make package`` when
missing or when they carry no bytecode). Import times come from a Lambda-like layout unpacked into
a temporary folder: ``var/task`` = the code zip, ``opt/python`` = the layer, imported by a fresh
Python 3.12 process (``-I -S``: no site-packages, no user site, no PYTHON* variables) whose
``sys.path`` holds only those two folders and the standard library. Compiled wheels for aarch64
cannot be loaded on an x86_64 host, so the timed layer is the *host* build of the same
``requirements.lock.txt`` (``dist/host/``), with the same bytecode. Two figures per handler:

The handler module is imported alone (a function's init phase): each mode's code is imported by its
``run_<mode>`` at the first call (docs/adr/0016), and is timed with the handler in the ratio below.

* ``shipped pyc``: the zips as deployed, with their precompiled ``__pycache__`` (unchecked-hash
  pycs, valid whatever the unzipped mtimes), read-only folders and ``-B`` (``sys.dont_write_bytecode``),
  as on Lambda, whose ``/opt`` and ``/var/task`` are read-only: target ≤ 200 ms;
* ``no pyc``: the same zips without their ``__pycache__`` (as they were before they shipped bytecode):
  every module is compiled at import.

Then the cold start as a ratio (:mod:`scripts.bench.cold_start`): per handler, the CPU time of the
import, of its third-party dependencies alone (and of botocore, psycopg2, Powertools, requests each
alone), and ITC's own share of it, (handler - dependencies) / handler: target ≤ 20 %.

Figures, not assertions: a benchmark never fails on a time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import zipfile
from pathlib import Path

from scripts.bench import cold_start, results
from scripts.build import package_lambdas as pl
from scripts.build.lambda_runtime import import_handler, lambda_python_or_host, make_writable, unpack_lambda_layout

REPO = pl.REPO
HANDLERS = {name: f"{name}.main" for name in pl.lambdas()}

TARGET_MS = 200


def _has_bytecode(path: Path) -> bool:
    with zipfile.ZipFile(path) as zf:
        return any(n.endswith(".pyc") for n in zf.namelist())


def _newest_source() -> float:
    """The newest modification time of a Lambda's or the shared package's source or lock file."""
    roots = [REPO / "common" / "itc_common_utilities", *(REPO / "terraform_modules").glob("*/lambdas")]
    return max(f.stat().st_mtime for root in roots for pattern in ("*.py", "requirements.lock.txt")
               for f in root.rglob(pattern))


def _current(path: Path, newest_source: float) -> bool:
    """Built, with bytecode, and after every source and lock file changed."""
    return path.exists() and _has_bytecode(path) and path.stat().st_mtime >= newest_source


def _ensure_zips(dist: Path, host_dist: Path, host_python_version: str) -> None:
    names = list(pl.lambdas())
    newest = _newest_source()
    wanted = [dist / f"{n}.zip" for n in names] + [dist / f"{n}-layer.zip" for n in names]
    if not all(_current(p, newest) for p in wanted):
        pl.main(["--dist", str(dist)])
    if not all(_current(host_dist / f"{n}-layer.zip", newest) for n in names):
        pl.main(
            ["--platform", "host", "--python-version", host_python_version, "--layer-only", "--dist", str(host_dist)]
        )


def _cold_imports(python: Path, code: Path, layer: Path, module: str, runs: int, *, bytecode: bool) -> list[dict]:
    """``runs`` fresh imports of ``module`` from the zips unpacked read-only, with or without their bytecode."""
    with tempfile.TemporaryDirectory(prefix="itc-bench-import-") as tmp:
        task, site = unpack_lambda_layout(code, layer, Path(tmp), bytecode=bytecode, read_only=True)
        try:
            return [import_handler(python, task, site, module) for _ in range(runs)]
        finally:
            make_writable(Path(tmp))


def _ratios(python: Path, dist: Path, host_dist: Path, runs: int) -> dict[str, dict]:
    """:func:`scripts.bench.cold_start.measure` of every handler, by handler module."""
    return {row: figures for name, module in HANDLERS.items()
            for row, figures in cold_start.measure(python, dist / f"{name}.zip", host_dist / f"{name}-layer.zip",
                                                   module, runs).items()}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Package sizes and cold handler import times.")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per handler (default 5)")
    parser.add_argument("--ratio-runs", type=int, default=9,
                        help="fresh processes per figure of the cold start ratio (default 9)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the zips first")
    parser.add_argument("--ratio-only", action="store_true",
                        help="print only the cold start ratio table and record nothing (a quick look)")
    args = parser.parse_args(argv)

    python, version = lambda_python_or_host()
    dist, host_dist = REPO / "dist", REPO / "dist" / "host"
    if args.rebuild:
        pl.main(["--dist", str(dist)])
        pl.main(["--platform", "host", "--python-version", version, "--layer-only", "--dist", str(host_dist)])
    else:
        _ensure_zips(dist, host_dist, version)
    if args.ratio_only:
        print("\n".join(cold_start.table(_ratios(python, dist, host_dist, args.ratio_runs), runs=args.ratio_runs,
                                          python=version)))
        return 0

    sizes_by_zip: dict[str, int] = {}
    imports: dict[str, dict[str, int]] = {}
    print("\npackage sizes (dist/, arm64 python3.12, with bytecode)")
    print(f"{'zip':34} {'zipped':>10} {'unzipped':>10} {'files':>6} {'of them pyc':>12}  sha256")
    for name in pl.lambdas():
        for path in (dist / f"{name}.zip", dist / f"{name}-layer.zip"):
            d = pl.describe(path)
            with zipfile.ZipFile(path) as zf:
                pycs = sum(n.endswith(".pyc") for n in zf.namelist())
            sizes = f"{pl.human_size(d['bytes']):>10} {pl.human_size(d['unzipped_bytes']):>10} {d['entries']:6d}"
            print(f"{path.name:34} {sizes} {pycs:12d}  {str(d['sha256'])[:16]}…")
            sizes_by_zip[path.name] = d["bytes"]

    note = "" if version == pl.LAMBDA_PYTHON else f"  (no python{pl.LAMBDA_PYTHON} here: timed with {version})"
    print(f"\ncold handler import from the built zips, Lambda-like read-only layout, host-CPU layer, python {version}, "
          f"{args.runs} runs{note}")
    print(f"{'handler':34} {'shipped pyc ms':>15} {'min ms':>7}   {'target':>8}       {'no pyc ms':>10} {'modules':>8}")
    for name, module in HANDLERS.items():
        code, layer = dist / f"{name}.zip", host_dist / f"{name}-layer.zip"
        shipped = _cold_imports(python, code, layer, module, args.runs, bytecode=True)
        old = _cold_imports(python, code, layer, module, args.runs, bytecode=False)
        ms = [r["import_ms"] for r in shipped]
        median = statistics.median(ms)
        met = "MET" if median <= TARGET_MS else "MISSED"
        print(f"{module + '.handler':34} {median:15.0f} {min(ms):7.0f}   ≤ {TARGET_MS} {met:>6}  "
              f"{statistics.median(r['import_ms'] for r in old):10.0f} {shipped[0]['modules']:8d}")  # fmt: skip
        imports[module] = {"shipped_pyc_ms": round(median), "no_pyc_ms": round(statistics.median(
            r["import_ms"] for r in old)), "modules": shipped[0]["modules"]}
    ratios = _ratios(python, dist, host_dist, args.ratio_runs)
    print("\n".join(cold_start.table(ratios, runs=args.ratio_runs, python=version)))
    shares = {f"cold_start_{row.split('.')[0]}_{row.split('[')[1].rstrip(']').replace(' ', '_')}":
              {k: v for k, v in figures.items() if not isinstance(v, dict)}  # the slowest modules: printed only
              for row, figures in ratios.items()}  # fmt: skip
    results.record("package", {"cold_import_median_ms": imports, "zip_bytes": sizes_by_zip, **shares},
                   {"runs": args.runs, "ratio_runs": args.ratio_runs, "python": version})
    return 0


if __name__ == "__main__":
    sys.exit(main())
