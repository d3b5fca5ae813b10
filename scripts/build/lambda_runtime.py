"""A Lambda-like runtime on this machine: the zips unpacked as ``/var/task`` + ``/opt/python`` and a
handler imported by a fresh, isolated CPython of the Lambda's minor version.

Used by ``make bench`` (cold import figures) and by the packaging tests (every zip imports).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from scripts.build import package_lambdas as pl

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
    "ITC_DB_USER": "itc_loader_demand",
    "ITC_DB_IAM_AUTH": "true",
    "ITC_DB_SSLROOTCERT": "/opt/python/rds-ca/global-bundle.pem",
}


def find_lambda_python(version: str = pl.LAMBDA_PYTHON) -> Path | None:
    """A CPython of the Lambda runtime's minor version on this machine, or None."""
    return pl.find_python(version)


def lambda_python_or_host() -> tuple[Path, str]:
    """The interpreter for import checks and its version: 3.12 when present, else this one."""
    found = find_lambda_python()
    if found:
        return found, pl.LAMBDA_PYTHON
    return Path(sys.executable), f"{sys.version_info[0]}.{sys.version_info[1]}"


def unpack_lambda_layout(code_zip: Path, layer_zip: Path, root: Path, *, bytecode: bool = True,
                         read_only: bool = False) -> tuple[Path, Path]:
    """Unpack like Lambda does: code zip → var/task, layer zip → opt (so opt/python/...). ``bytecode=False``
    leaves the shipped ``__pycache__`` out (the zips as they were before they carried bytecode);
    ``read_only`` takes the write bits away, as on Lambda (undo with :func:`make_writable` to delete it)."""
    task, opt = root / "var" / "task", root / "opt"
    for archive, dest in ((code_zip, task), (layer_zip, opt)):
        dest.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(dest, [n for n in zf.namelist() if bytecode or "__pycache__/" not in n])
    if read_only:
        for path in (*task.rglob("*"), *opt.rglob("*"), task, opt):
            path.chmod(path.stat().st_mode & ~0o222)
    return task, opt / "python"


def make_writable(root: Path) -> None:
    """Give the write bits back to an unpacked layout (so a temporary folder can be removed)."""
    for path in (root, *root.rglob("*")):
        path.chmod(path.stat().st_mode | 0o200)


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
                  "dont_write_bytecode": sys.dont_write_bytecode,
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
