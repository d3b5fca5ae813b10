"""Build the Lambda deployment zips, reproducibly, without Docker (what `make package` runs).

For each Lambda it writes into ``dist/``:

* ``<lambda>.zip``: the code only, the package folder at the zip root
  (``demand_pipeline/main.py`` ...). The orchestrator's zip also carries the warehouse
  migrations at ``orchestrator/sql_scripts/NN_*.sql`` for its ``migrate`` mode.
* ``<lambda>-layer.zip``: ``python/`` with the Lambda's hash-pinned third-party dependencies
  (``requirements.lock.txt``, exported from its ``poetry.lock``) installed for python3.12 on
  arm64 (manylinux aarch64 wheels, ``--only-binary=:all:``), the ``itc_common_utilities``
  package copied from ``common/``, and the RDS CA bundle at ``python/rds-ca/global-bundle.pem``
  when one is given (``--rds-ca-bundle`` or ``ITC_RDS_CA_BUNDLE``). The bundle is checked first
  (scripts/build/rds_ca.py: PEM certificates only, each in date, each issued by and for an Amazon RDS
  CA, the sha256 recorded in scripts/build/rds_ca_bundle.sha256 when there is one); with
  ``--rehearsal-ca`` (``ITC_RDS_CA_REHEARSAL=1``) it is a locally generated stand-in
  (scripts/build/standin_ca.py), checked as PEM and in date only. A bundle that fails a check stops
  the build (exit 2, nothing built). A deployment build (``--deployment`` or
  ``ITC_DEPLOYMENT_BUILD=1``) refuses to start without a bundle: a deployed Lambda connects with
  ``sslmode=verify-full`` and needs it. A local build only warns.
  The demand Lambda's layer also carries its compiled row builder, ``python/demand_rows.cpython-312-
  <cpu>-linux-gnu.so`` (scripts/build/compiled.py: cross-built for aarch64 with Debian's
  ``aarch64-linux-gnu-gcc`` against python3.12's headers, ELF and glibc versions checked; ADR 0012). A
  local build that cannot build it says so and ships the layer without it (the Lambda then logs once and
  uses the Python fast path); a deployment build stops (exit 2).
* ``manifest.json``: size, sha256 and base64 sha256 (Terraform's ``filebase64sha256``) of every
  zip, the inputs it was built from, and ``rds_ca_bundle``: ``{"kind": "aws-rds-global" |
  "rehearsal-stand-in" | "none", "sha256", "certificates": [{"subject", "issuer", "not_after"}]}``
  for this build, and ``{"kind", "sha256"}`` on each layer's entry (a partial build keeps the other
  layers' records), and ``compiled`` on a layer's entry: each extension's file, CPU, sha256, highest glibc
  symbol version, compiler and where its Python headers came from. Terraform reads the layer's record
  and refuses a kind its ``allowed_rds_ca_kinds`` does not list (only ``aws-rds-global`` by default).

Precompiled bytecode: every ``.py`` of both zips ships with its ``__pycache__/<name>.cpython-312.pyc``,
compiled by a CPython of the target's minor version (bytecode is CPU-independent, not version-independent;
``find_python`` finds one: this interpreter, ``python3.12`` on PATH or a pyenv install) in
``unchecked-hash`` mode: Python loads it without looking at the source's mtime or contents, so the
1980 timestamps of the unzipped files do not matter and nothing is recompiled on Lambda's read-only
``/var/task`` and ``/opt`` (a cold start no longer compiles every module). The embedded file names are
the deployed paths (``/var/task/...``, ``/opt/python/...``). Without such an interpreter a local build
ships no bytecode (with a note) and a deployment build stops (exit 2).

Reproducible: the same inputs give the same bytes. Entries are sorted, every timestamp is
1980-01-01, permissions are fixed (0644, 0755 for shared objects), bytecode compiled as above, no
console scripts, no installer paths. The deflate output depends on the zlib build, so compare hashes
built with the same Python.

``--platform host`` builds the layer for this machine's CPU instead (tests and benchmarks only:
compiled wheels for aarch64 cannot be imported on an x86_64 host). Its zips go to ``dist/host/``
and are never deployed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: scripts/build/package_lambdas.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from scripts.build import compiled as compiled_module
from scripts.build import rds_ca as rds_ca_module
from scripts.build.bytecode import LAMBDA_PYTHON, find_python, with_bytecode
from scripts.build.zips import describe, human_size, write_zip

REPO = Path(__file__).resolve().parents[2]
COMMON_PACKAGE = REPO / "common" / "itc_common_utilities" / "itc_common_utilities"
SQL_SCRIPTS = REPO / "terraform_modules" / "itc_data_warehouse" / "sql_scripts"
REQUIREMENTS_NAME = "requirements.lock.txt"
RDS_CA_PATH_IN_LAYER = "python/rds-ca/global-bundle.pem"

# Wheels the layer may use. The python3.12 runtime runs on Amazon Linux 2023 (glibc 2.34), so
# manylinux_2_28 wheels (psycopg2-binary ships only those for aarch64) are as good as
# manylinux2014 (= manylinux_2_17) ones.
PLATFORMS = {
    "aarch64": ("manylinux2014_aarch64", "manylinux_2_28_aarch64"),
    "x86_64": ("manylinux2014_x86_64", "manylinux_2_28_x86_64"),
}

# Files of a Lambda package folder that are not runtime code.
EXCLUDED_DIRS = {"tests", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", "sql_scripts"}
EXCLUDED_NAMES = {"pyproject.toml", "poetry.lock", REQUIREMENTS_NAME, "conftest.py", "README.md", ".DS_Store"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo", ".md", ".pyx"}  # .pyx: compiled into the layer (scripts/build/compiled.py)


@dataclass(frozen=True)
class LambdaSpec:
    name: str
    package_dir: Path
    extra_files: tuple[tuple[Path, str], ...] = ()
    compiled: tuple[str, ...] = ()  # C extensions (scripts/build/compiled.py) its layer carries

    @property
    def requirements(self) -> Path:
        return self.package_dir / REQUIREMENTS_NAME


def _sql_scripts() -> tuple[tuple[Path, str], ...]:
    """The numbered migrations (combined.sql is for a fresh database's init, not for migrate)."""
    files = sorted(p for p in SQL_SCRIPTS.glob("*.sql") if p.name[:2].isdigit())
    return tuple((p, f"orchestrator/sql_scripts/{p.name}") for p in files)


def lambdas() -> dict[str, LambdaSpec]:
    base = REPO / "terraform_modules"
    return {
        "demand_pipeline": LambdaSpec("demand_pipeline", base / "demand_pipeline/lambdas/demand_pipeline",
                                      compiled=("demand_rows",)),
        "verifyplus_pipeline": LambdaSpec(
            "verifyplus_pipeline", base / "verifyplus_pipeline/lambdas/verifyplus_pipeline"
        ),
        "orchestrator": LambdaSpec("orchestrator", base / "orchestrator/lambdas/orchestrator", _sql_scripts()),
    }


# --------------------------------------------------------------------------- deterministic zip


def _tree(root: Path, prefix: str, *, skip_dirs: set[str], skip_names: set[str]) -> Iterator[tuple[Path, str]]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in skip_dirs and not d.endswith(".egg-info"))
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            if filename in skip_names or path.suffix in EXCLUDED_SUFFIXES:
                continue
            yield path, f"{prefix}{path.relative_to(root).as_posix()}"


# --------------------------------------------------------------------------- code zip


def code_entries(spec: LambdaSpec) -> list[tuple[Path, str]]:
    if not (spec.package_dir / "main.py").is_file():
        raise FileNotFoundError(
            f"{spec.package_dir.relative_to(REPO)}/main.py is missing (handler {spec.name}.main.handler)"
        )
    entries = list(_tree(spec.package_dir, f"{spec.name}/", skip_dirs=EXCLUDED_DIRS, skip_names=EXCLUDED_NAMES))
    entries.extend(spec.extra_files)
    return entries


def build_code_zip(spec: LambdaSpec, dist: Path, *, bytecode: str | None = LAMBDA_PYTHON) -> Path:
    """The code zip with its bytecode for CPython ``bytecode`` (None: none)."""
    target = dist / f"{spec.name}.zip"
    with tempfile.TemporaryDirectory(prefix=f"itc-code-{spec.name}-") as tmp:
        write_zip(with_bytecode(code_entries(spec), Path(tmp), version=bytecode, deployed_root="/var/task"), target)
    return target


# --------------------------------------------------------------------------- layer zip


def host_arch() -> str:
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


def pip_install(requirements: Path, target: Path, *, arch: str, python_version: str) -> None:
    """Install exactly the hash-pinned wheels for the Lambda's platform into target."""
    cmd = [
        sys.executable, "-m", "pip", "install",
        "--quiet", "--disable-pip-version-check", "--no-input",
        "--require-hashes", "--no-deps", "--no-compile",
        "--only-binary=:all:", "--implementation", "cp", "--python-version", python_version,
        "--target", str(target),
        "-r", str(requirements),
    ]  # fmt: skip
    for plat in PLATFORMS[arch]:
        cmd[4:4] = ["--platform", plat]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "SOURCE_DATE_EPOCH": "315532800"}
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if result.returncode:
        errors = "\n".join(line for line in result.stderr.splitlines() if not line.startswith("WARNING: Location"))
        raise RuntimeError(f"pip install for {requirements.relative_to(REPO)} failed:\n{errors}")


def _scrub_site(site: Path) -> None:
    """Drop what differs between machines and is useless in a layer."""
    shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts with this host's shebang
    for pycache in sorted(site.rglob("__pycache__"), reverse=True):
        shutil.rmtree(pycache, ignore_errors=True)
    for name in ("direct_url.json", "REQUESTED"):
        for path in site.glob(f"*.dist-info/{name}"):
            path.unlink()
    # RECORD lists the dropped console scripts, whose hashes depend on the interpreter path in
    # their shebang: keep only the files that are in the layer.
    for record in site.glob("*.dist-info/RECORD"):
        data = record.read_bytes()
        newline = b"\r\n" if b"\r\n" in data else b"\n"
        dropped = (b"..", b"__pycache__/", b"/REQUESTED,", b"/direct_url.json,")
        kept = [
            line for line in data.split(newline) if not line.startswith(b"..") and not any(d in line for d in dropped)
        ]
        record.write_bytes(newline.join(kept))


def compiled_entries(spec: LambdaSpec, workdir: Path, *, arch: str, python_version: str, required: bool,
                     records: list[dict[str, object]]) -> list[tuple[Path, str]]:
    """The layer's compiled extensions at ``python/``, each recorded in ``records``; one that cannot be
    built stops a ``required`` (deployment) build and is otherwise left out with a note."""
    entries: list[tuple[Path, str]] = []
    for module in spec.compiled:
        try:
            target = compiled_module.target_for(arch, python_version)
            built = compiled_module.build(module, target, workdir / "compiled")
        except compiled_module.BuildError as exc:
            if required:
                raise
            print(f"note: {spec.name}'s layer ships without its compiled row builder {module} ({exc}); the "
                  "Lambda logs that once and uses the Python fast path", file=sys.stderr)
            continue
        compiler = subprocess.run([target.cc, "-dumpfullversion"], capture_output=True, text=True,
                                  check=False).stdout.strip()
        records.append({**compiled_module.describe_object(built, module), "path": f"python/{built.name}",
                        "compiler": f"{target.cc} {compiler}", "python_headers": target.headers_from})
        entries.append((built, f"python/{built.name}"))
    return entries


def layer_entries(
    spec: LambdaSpec, workdir: Path, *, arch: str, python_version: str, rds_ca_bundle: Path | None,
    compiled_required: bool = False, compiled_records: list[dict[str, object]] | None = None,
) -> list[tuple[Path, str]]:
    if not spec.requirements.is_file():
        raise FileNotFoundError(f"{spec.requirements.relative_to(REPO)} is missing: "
                                "run scripts/build/lock_dependencies.py")
    site = workdir / "python"
    pip_install(spec.requirements, site, arch=arch, python_version=python_version)
    _scrub_site(site)
    if (site / "itc_common_utilities").exists():
        raise RuntimeError("itc_common_utilities came from the index: it must come from common/")
    entries = list(_tree(site, "python/", skip_dirs={"__pycache__"}, skip_names=set()))
    entries.extend(
        _tree(COMMON_PACKAGE, "python/itc_common_utilities/", skip_dirs=EXCLUDED_DIRS, skip_names=EXCLUDED_NAMES)
    )
    if rds_ca_bundle is not None:
        entries.append((rds_ca_bundle, RDS_CA_PATH_IN_LAYER))
    entries.extend(compiled_entries(spec, workdir, arch=arch, python_version=python_version,
                                    required=compiled_required,
                                    records=compiled_records if compiled_records is not None else []))
    return entries


def build_layer_zip(
    spec: LambdaSpec,
    dist: Path,
    *,
    arch: str = "aarch64",
    python_version: str = LAMBDA_PYTHON,
    rds_ca_bundle: Path | None = None,
    bytecode: bool = True,
    compiled_required: bool = False,
    compiled_records: list[dict[str, object]] | None = None,
) -> Path:
    """The layer zip, with its bytecode for CPython ``python_version`` unless told not to; its compiled
    extensions are described in ``compiled_records``."""
    target = dist / f"{spec.name}-layer.zip"
    with tempfile.TemporaryDirectory(prefix=f"itc-layer-{spec.name}-") as tmp:
        entries = layer_entries(spec, Path(tmp), arch=arch, python_version=python_version, rds_ca_bundle=rds_ca_bundle,
                                compiled_required=compiled_required, compiled_records=compiled_records)
        write_zip(with_bytecode(entries, Path(tmp) / "pyc", version=python_version if bytecode else None,
                                deployed_root="/opt"), target)
    return target


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    specs = lambdas()
    parser = argparse.ArgumentParser(description="Build reproducible Lambda code and layer zips into dist/.")
    parser.add_argument(
        "--lambda", dest="names", action="append", choices=sorted(specs), help="only this Lambda (repeatable)"
    )
    parser.add_argument(
        "--dist", type=Path, default=None, help="output folder (default dist/, dist/host/ for --platform host)"
    )
    parser.add_argument(
        "--platform",
        choices=("lambda", "host"),
        default="lambda",
        help="lambda = arm64 (deploy); host = this CPU (tests, bench)",
    )
    parser.add_argument(
        "--python-version", default=None, help=f"target Python (default {LAMBDA_PYTHON}; host: this interpreter's)"
    )
    parser.add_argument(
        "--layer-only", action="store_true", help="build only the layer zips (the Dockerfiles use this)"
    )
    parser.add_argument(
        "--rds-ca-bundle",
        type=Path,
        default=os.environ.get("ITC_RDS_CA_BUNDLE") or None,
        help="PEM file to ship at /opt/python/rds-ca/global-bundle.pem (env ITC_RDS_CA_BUNDLE)",
    )
    parser.add_argument(
        "--deployment",
        action="store_true",
        default=os.environ.get("ITC_DEPLOYMENT_BUILD", "").lower() in ("1", "true", "yes"),
        help="layers meant for deployment: the RDS CA bundle is required (env ITC_DEPLOYMENT_BUILD=1)",
    )
    parser.add_argument(
        "--rehearsal-ca",
        action="store_true",
        default=os.environ.get("ITC_RDS_CA_REHEARSAL", "").lower() in ("1", "true", "yes"),
        help="the bundle is a locally generated stand-in CA (scripts/build/standin_ca.py), recorded as "
        "rehearsal-stand-in; checked as PEM and in date only (env ITC_RDS_CA_REHEARSAL=1)",
    )
    args = parser.parse_args(argv)
    if args.deployment and args.platform != "lambda":
        parser.error("--deployment builds the Lambda platform's layers; --platform host is never deployed")
    if args.deployment and not args.rds_ca_bundle:
        parser.error("a deployment build (--deployment / ITC_DEPLOYMENT_BUILD=1) needs the RDS CA bundle: "
                     f"give --rds-ca-bundle or ITC_RDS_CA_BUNDLE (shipped at /opt/{RDS_CA_PATH_IN_LAYER}); "
                     "nothing was built")  # fmt: skip

    arch = "aarch64" if args.platform == "lambda" else host_arch()
    python_version = args.python_version or (
        LAMBDA_PYTHON if args.platform == "lambda" else f"{sys.version_info[0]}.{sys.version_info[1]}"
    )
    dist = args.dist or (REPO / "dist" if args.platform == "lambda" else REPO / "dist" / "host")
    rds_ca = args.rds_ca_bundle.resolve() if args.rds_ca_bundle else None
    if rds_ca is not None and not rds_ca.is_file():
        parser.error(f"--rds-ca-bundle {rds_ca} does not exist")
    if args.rehearsal_ca and rds_ca is None:
        parser.error("--rehearsal-ca / ITC_RDS_CA_REHEARSAL=1 names the bundle given as a stand-in: give it with "
                     "--rds-ca-bundle (scripts/build/standin_ca.py writes one); nothing was built")  # fmt: skip
    kind = rds_ca_module.KIND_NONE if rds_ca is None else (
        rds_ca_module.KIND_STANDIN if args.rehearsal_ca else rds_ca_module.KIND_AWS)
    try:
        bundle_record = rds_ca_module.describe_bundle(rds_ca, kind=kind)
    except rds_ca_module.BundleError as exc:
        parser.error(f"the RDS CA bundle was refused: {exc}; nothing was built")
    if args.deployment and find_python(python_version) is None:
        parser.error(f"a deployment build ships bytecode compiled by python{python_version}: none found "
                     "(PATH, /usr, pyenv); nothing was built")  # fmt: skip

    started = time.perf_counter()
    built: list[dict[str, object]] = []
    layers_by_requirements: dict[tuple[str, tuple[str, ...]], tuple[Path, list[dict[str, object]]]] = {}
    for name in args.names or list(specs):
        spec = specs[name]
        zips = [] if args.layer_only else [build_code_zip(spec, dist, bytecode=python_version)]
        layer_key = (_sha256_file(spec.requirements), spec.compiled)
        if layer_key in layers_by_requirements:  # same pins → same bytes: reuse, do not reinstall
            zips.append(dist / f"{spec.name}-layer.zip")
            shutil.copyfile(layers_by_requirements[layer_key][0], zips[-1])
            compiled_records = layers_by_requirements[layer_key][1]
        else:
            compiled_records = []
            try:
                zips.append(build_layer_zip(spec, dist, arch=arch, python_version=python_version, rds_ca_bundle=rds_ca,
                                            compiled_required=args.deployment, compiled_records=compiled_records))
            except compiled_module.BuildError as exc:
                print(f"error: a deployment build ships {spec.name}'s compiled row builder: {exc}", file=sys.stderr)
                return 2
            layers_by_requirements[layer_key] = (zips[-1], compiled_records)
        for path in zips:
            entry = {"lambda": name, "kind": "layer" if path.name.endswith("-layer.zip") else "code", **describe(path)}
            if entry["kind"] == "layer":
                entry["rds_ca_bundle"] = {"kind": bundle_record["kind"], "sha256": bundle_record["sha256"]}
                if spec.compiled:
                    entry["compiled"] = compiled_records
            built.append(entry)
            shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
            sizes = f"{human_size(entry['bytes']):>10} zipped {human_size(entry['unzipped_bytes']):>10} unzipped"
            print(f"{shown!s:42} {sizes}  sha256 {entry['sha256']}")

    manifest = {
        "platform": f"manylinux_{arch}",
        "python_version": python_version,
        "rds_ca_bundle": bundle_record,
        "deployment": args.deployment,
        "bytecode": f"unchecked-hash pycs of python{python_version}" if find_python(python_version) else None,
        "inputs": {name: _sha256_file(specs[name].requirements) for name in (args.names or list(specs))},
        "zips": built,
    }
    manifest_path = dist / "manifest.json"
    existing = json.loads(manifest_path.read_text()) if manifest_path.exists() and args.names else None
    if existing:  # a partial build keeps the other Lambdas' entries
        keep = [z for z in existing.get("zips", []) if z["lambda"] not in set(args.names)]
        manifest["zips"] = sorted(keep + built, key=lambda z: (z["lambda"], z["kind"]))
        manifest["inputs"] = {**existing.get("inputs", {}), **manifest["inputs"]}
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    print(f"wrote {manifest_path.relative_to(REPO) if manifest_path.is_relative_to(REPO) else manifest_path} "
          f"({len(built)} zips in {time.perf_counter() - started:.1f} s)")  # fmt: skip
    if rds_ca is None and args.platform == "lambda":
        print("note: no RDS CA bundle given (--rds-ca-bundle / ITC_RDS_CA_BUNDLE): the layers lack "
              f"/opt/{RDS_CA_PATH_IN_LAYER} and are recorded as rds_ca_bundle kind none, which Terraform "
              "refuses to plan (a deployed Lambda connects with sslmode=verify-full); see "
              "terraform/itc-beta/README.md step 3", file=sys.stderr)  # fmt: skip
    elif kind == rds_ca_module.KIND_STANDIN:
        print(f"note: the layers carry a rehearsal stand-in CA ({rds_ca}), not AWS's RDS bundle: Terraform plans "
              "them only where allowed_rds_ca_kinds lists rehearsal-stand-in (local-moto.tfvars)",
              file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
