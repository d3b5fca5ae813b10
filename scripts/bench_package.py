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
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import package_lambdas as pl

REPO = pl.REPO
HANDLERS = {name: f"{name}.main" for name in pl.lambdas()}

# The environment Terraform gives the functions (placeholders; no credentials, no network use).
LAMBDA_LIKE_ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    "LANG": "en_US.UTF-8",
    "TZ": ":UTC",
    "HOME": "/tmp",  # noqa: S108 - what Lambda sets
    "ITC_ENV": "beta",
    "LOG_LEVEL": "INFO",
    "ITC_LANDING_BUCKET": "itc-beta-landing-placeholder",
    "ITC_DB_HOST": "itc-beta.placeholder.invalid",
    "ITC_DB_PORT": "5432",
    "ITC_DB_NAME": "itc",
    "ITC_DB_USER": "itc_loader",
    "ITC_DB_IAM_AUTH": "true",
    "ITC_DB_SSLROOTCERT": "/opt/python/rds-ca/global-bundle.pem",
}


def find_lambda_python(version: str = pl.LAMBDA_PYTHON) -> Path | None:
    """A CPython of the Lambda runtime's minor version on this machine, or None."""
    candidates = [shutil.which(f"python{version}"), f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"]
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/{version}*/bin/python{version}"), reverse=True)
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == version:
        candidates.insert(0, sys.executable)
    for candidate in candidates:
        if not candidate or not Path(candidate).exists():
            continue
        probe = subprocess.run(
            [candidate, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return Path(candidate)
    return None


def lambda_python_or_host() -> tuple[Path, str]:
    """The interpreter for import checks and its version: 3.12 when present, else this one."""
    found = find_lambda_python()
    if found:
        return found, pl.LAMBDA_PYTHON
    return Path(sys.executable), f"{sys.version_info[0]}.{sys.version_info[1]}"


def unpack_lambda_layout(code_zip: Path, layer_zip: Path, root: Path) -> tuple[Path, Path]:
    """Unpack like Lambda does: code zip → var/task, layer zip → opt (so opt/python/...)."""
    task, opt = root / "var" / "task", root / "opt"
    for archive, dest in ((code_zip, task), (layer_zip, opt)):
        dest.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(dest)
    return task, opt / "python"


IMPORT_PROBE = """
import inspect, json, sys, time
task, layer, module = sys.argv[1:4]
sys.path[:0] = [task, layer]
started = time.perf_counter()
mod = __import__(module, fromlist=["handler"])
elapsed_ms = (time.perf_counter() - started) * 1000
handler = getattr(mod, "handler")
params = list(inspect.signature(handler).parameters)
outside = sorted({m.__file__ for m in list(sys.modules.values())
                  if getattr(m, "__file__", None) and "site-packages" in m.__file__})
print(json.dumps({"import_ms": elapsed_ms, "handler_params": params, "modules": len(sys.modules),
                  "site_packages_files": outside, "sys_path": sys.path}))
"""


def import_handler(python: Path, task: Path, layer: Path, module: str, *, bytecode: bool = False) -> dict:
    """Import a handler in a fresh process that sees only task + layer + the standard library."""
    flags = ["-I", "-S"] + ([] if bytecode else ["-B"])
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **LAMBDA_LIKE_ENV,
           "LAMBDA_TASK_ROOT": str(task)}  # fmt: skip
    result = subprocess.run(
        [str(python), *flags, "-c", IMPORT_PROBE, str(task), str(layer), module],
        capture_output=True, text=True, env=env, cwd=task, timeout=120, check=False,
    )  # fmt: skip
    if result.returncode:
        raise RuntimeError(f"importing {module} failed:\n{result.stderr.strip()}")
    return json.loads(result.stdout.strip().splitlines()[-1])


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
