"""The compiled row builders (C extensions written in Cython): built for this interpreter, or for a Lambda layer.

One extension today, ``demand_rows`` (``terraform_modules/demand_pipeline/lambdas/demand_pipeline/builders/
demand_rows.pyx``: the row builders of ``raw.cases``, ``raw.metadata`` and ``raw.audit``, ADR 0012). It is
a top-level module, so that the demand Lambda's layer can carry it at
``python/demand_rows.cpython-312-aarch64-linux-gnu.so`` (the ``demand_pipeline`` package itself lives in the
code zip at ``/var/task``), and locally it is installed into the venv's site-packages.

    python -m scripts.build.compiled venv [--require]   # build for this interpreter, into its site-packages
    python -m scripts.build.compiled check <file.so> --machine aarch64  # the checks a layer build runs

Targets (:func:`target_for`):

- ``venv``: this interpreter, the machine's ``gcc``, its own headers (``sysconfig``).
- Lambda (``aarch64``, python3.12): Debian's cross compiler ``aarch64-linux-gnu-gcc``
  (``scripts/build/system_packages.sh package`` installs it) with the headers of the python3.12 that
  already compiles the layers' bytecode (:func:`~scripts.build.bytecode.find_python`: PATH, /usr, pyenv).
  Those headers are CPU-independent except ``pyconfig.h``; :func:`abi_probe` compiles it with the cross
  compiler and stops the build unless every ``SIZEOF_*``/``ALIGNOF_*`` it states is what aarch64 has,
  and no free-threaded or debug ABI is set.
- ``--platform host`` layers (the rehearsal's python3.12 on this machine): ``gcc`` and that python3.12's
  headers and suffix.

Each built file is checked (:func:`check_shared_object`): ELF machine, ``PyInit_<module>`` exported, only
``libc`` (and the dynamic loader) needed, every ``GLIBC_`` symbol version ≤ 2.34 (Amazon Linux 2023, the
python3.12 runtime). The C source is generated with a relative path and compiled without debug
information, so the same inputs give the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from scripts.paths import REPO

BUILDERS = REPO / "terraform_modules" / "demand_pipeline" / "lambdas" / "demand_pipeline" / "builders"
MODULES = {"demand_rows": BUILDERS / "demand_rows.pyx"}
GLIBC_MAX = (2, 34)  # Amazon Linux 2023: the python3.12 Lambda runtime
ELF_MACHINES = {62: "x86_64", 183: "aarch64"}
CROSS_CC = {"aarch64": "aarch64-linux-gnu-gcc", "x86_64": "x86_64-linux-gnu-gcc"}
CFLAGS = ("-shared", "-fPIC", "-O2", "-fno-strict-aliasing", "-DNDEBUG", "-Wno-unused-function",
          "-Wno-unused-result", "-Wl,--build-id=none", "-s")
ALLOWED_NEEDED = {"libc.so.6", "ld-linux-aarch64.so.1", "ld-linux-x86-64.so.2", "libpthread.so.0"}


class BuildError(RuntimeError):
    """The extension could not be built or failed a check; the message names the cause."""


@dataclass(frozen=True)
class Target:
    """Where an extension is built for: CPU, the interpreter's headers and suffix, the compiler."""

    machine: str
    python_version: str
    include: Path
    suffix: str
    cc: str
    headers_from: str


def host_machine() -> str:
    machine = sysconfig.get_platform().rsplit("-", 1)[-1]
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


def _interpreter_paths(python: Path) -> tuple[Path, str, str]:
    probe = ("import sysconfig, json, platform; print(json.dumps([sysconfig.get_paths()['include'], "
             "sysconfig.get_config_var('EXT_SUFFIX'), platform.python_version()]))")
    out = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True).stdout
    include, suffix, version = json.loads(out)
    return Path(include), suffix, version


def target_for(machine: str | None = None, python_version: str | None = None) -> Target:
    """The target: this interpreter (both None), or ``python_version`` on ``machine`` (a Lambda layer)."""
    if machine is None and python_version is None:
        return Target(host_machine(), f"{sys.version_info[0]}.{sys.version_info[1]}",
                      Path(sysconfig.get_paths()["include"]), sysconfig.get_config_var("EXT_SUFFIX"),
                      "gcc", f"this interpreter ({sys.executable})")
    from scripts.build.bytecode import find_python

    machine = machine or host_machine()
    python_version = python_version or f"{sys.version_info[0]}.{sys.version_info[1]}"
    python = find_python(python_version)
    if python is None:
        raise BuildError(f"no python{python_version} on this machine (PATH, /usr, pyenv): its headers build "
                         "the extension")
    include, suffix, version = _interpreter_paths(python)
    cross = machine != host_machine()
    if cross:
        suffix = suffix.replace(host_machine(), machine)
    cc = CROSS_CC[machine] if cross else "gcc"
    origin = f"CPython {version}'s headers on this {host_machine()} machine" + (
        f" (pyconfig.h type sizes checked against {machine})" if cross else "")
    return Target(machine, python_version, include, suffix, cc, origin)


def _run(cmd: list[str], *, cwd: Path | None = None) -> str:
    try:
        result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BuildError(f"{cmd[0]} is not installed (scripts/build/system_packages.sh installs it)") from None
    if result.returncode:
        raise BuildError(f"{' '.join(cmd[:2])} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result.stdout


def c_source(module: str, workdir: Path) -> Path:
    """The module's C source, generated by Cython (this interpreter's) from a relative path."""
    pyx = MODULES[module]
    target = workdir / f"{module}.c"
    _run([sys.executable, "-m", "cython", "-3", "--module-name", module, pyx.name, "-o", str(target)],
         cwd=pyx.parent)
    return target


def abi_probe(target: Target, workdir: Path) -> None:
    """Stop unless ``pyconfig.h``'s type sizes and alignments are the target CPU's (headers from another CPU)."""
    config = (target.include / "pyconfig.h").read_text()
    if re.search(r"^#define (Py_GIL_DISABLED|Py_DEBUG|Py_TRACE_REFS)\b", config, re.M):
        raise BuildError(f"{target.include}/pyconfig.h is a free-threaded or debug build's")
    types = {"SIZEOF_DOUBLE": "double", "SIZEOF_FLOAT": "float", "SIZEOF_FPOS_T": "fpos_t",
             "SIZEOF_INT": "int", "SIZEOF_LONG": "long", "SIZEOF_LONG_DOUBLE": "long double",
             "SIZEOF_LONG_LONG": "long long", "SIZEOF_OFF_T": "off_t", "SIZEOF_PID_T": "pid_t",
             "SIZEOF_PTHREAD_KEY_T": "pthread_key_t", "SIZEOF_PTHREAD_T": "pthread_t", "SIZEOF_SHORT": "short",
             "SIZEOF_SIZE_T": "size_t", "SIZEOF_TIME_T": "time_t", "SIZEOF_UINTPTR_T": "uintptr_t",
             "SIZEOF_VOID_P": "void *", "SIZEOF_WCHAR_T": "wchar_t", "SIZEOF__BOOL": "_Bool",
             "ALIGNOF_LONG": "long", "ALIGNOF_SIZE_T": "size_t", "ALIGNOF_MAX_ALIGN_T": "max_align_t"}
    checks = []
    for macro, ctype in types.items():
        if re.search(rf"^#define {macro} ", config, re.M):
            op = "_Alignof" if macro.startswith("ALIGNOF") else "sizeof"
            checks.append(f'_Static_assert({op}({ctype}) == {macro}, "{macro}");')
    if len(checks) < 10:
        raise BuildError(f"{target.include}/pyconfig.h states too few type sizes to check")
    probe = workdir / "abi_probe.c"
    probe.write_text("#include <pyconfig.h>\n#include <stdio.h>\n#include <stddef.h>\n#include <stdint.h>\n"
                     "#include <wchar.h>\n#include <pthread.h>\n#include <sys/types.h>\n" + "\n".join(checks) + "\n")
    _run([target.cc, "-fsyntax-only", "-I", str(target.include), str(probe)])


def build(module: str, target: Target, out_dir: Path) -> Path:
    """Build ``module`` for ``target`` into ``out_dir`` (checked); the shared object's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"itc-{module}-") as tmp:
        work = Path(tmp)
        if target.machine != host_machine():
            abi_probe(target, work)
        source = c_source(module, work)
        built = work / f"{module}{target.suffix}"
        _run([target.cc, *CFLAGS, "-I", str(target.include), "-o", str(built), source.name], cwd=work)
        check_shared_object(built, module, target.machine)
        final = out_dir / built.name
        staged = out_dir / f".{built.name}.tmp"
        shutil.copyfile(built, staged)
        staged.chmod(0o755)
        staged.replace(final)  # a new file, not the old one overwritten: a process that loaded it keeps its copy
    return final


# ------------------------------------------------------------------------------------------ checks


def elf_machine(path: Path) -> str:
    head = path.read_bytes()[:20]
    if head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
        raise BuildError(f"{path.name} is not a 64-bit little-endian ELF file")
    number = int.from_bytes(head[18:20], "little")
    return ELF_MACHINES.get(number, f"machine {number}")


def glibc_versions(path: Path) -> list[tuple[int, ...]]:
    """The ``GLIBC_x.y`` versions the object's imported symbols need."""
    out = _run(["readelf", "--wide", "--dyn-syms", str(path)])
    found = {tuple(int(p) for p in v.split(".")) for v in re.findall(r"@GLIBC_([0-9.]+)", out)}
    return sorted(found)


def describe_object(path: Path, module: str) -> dict[str, object]:
    """What the manifest records of a built extension."""
    versions = glibc_versions(path)
    return {"module": module, "file": path.name, "machine": elf_machine(path),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "bytes": path.stat().st_size,
            "glibc_max": ".".join(map(str, versions[-1])) if versions else None}


def check_shared_object(path: Path, module: str, machine: str) -> None:
    """Refuse a shared object for another CPU, without ``PyInit_<module>``, needing a library other than libc,
    or a glibc symbol newer than the Lambda runtime's 2.34."""
    found = elf_machine(path)
    if found != machine:
        raise BuildError(f"{path.name} is built for {found}, not {machine}")
    dynamic = _run(["readelf", "--wide", "--dynamic", str(path)])
    needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic))
    if needed - ALLOWED_NEEDED:
        raise BuildError(f"{path.name} needs {', '.join(sorted(needed - ALLOWED_NEEDED))} (only libc allowed)")
    symbols = _run(["readelf", "--wide", "--dyn-syms", str(path)])
    if not re.search(rf"\bFUNC\s+GLOBAL\s+DEFAULT\s+\d+\s+PyInit_{module}\b", symbols):
        raise BuildError(f"{path.name} does not export PyInit_{module}")
    newer = [v for v in glibc_versions(path) if v > GLIBC_MAX]
    if newer:
        raise BuildError(f"{path.name} needs glibc {'.'.join(map(str, newer[-1]))}, newer than the Lambda "
                         f"runtime's {'.'.join(map(str, GLIBC_MAX))}")


# ------------------------------------------------------------------------------------------ venv


def venv_site() -> Path:
    return Path(sysconfig.get_paths()["platlib"])


def _stamp(module: str) -> str:
    import Cython

    digest = hashlib.sha256(MODULES[module].read_bytes()).hexdigest()
    return f"{digest} cython {Cython.__version__} {sys.version.split()[0]}"


def build_venv(*, require: bool) -> int:
    """Build every module for this interpreter into its site-packages, unless already built from the same
    source; without a compiler or headers: a note (``require``: an error), and loads use the Python path."""
    site = venv_site()
    for module in MODULES:
        stamp = site / f"{module}.build-stamp"
        target = target_for()
        built = site / f"{module}{target.suffix}"
        try:
            if built.exists() and stamp.exists() and stamp.read_text() == _stamp(module):
                continue
            if not (target.include / "Python.h").exists():
                raise BuildError(f"no Python.h in {target.include} (Debian: python3-dev)")
            build(module, target, site)
            stamp.write_text(_stamp(module))
            print(f"built {module} for this interpreter: {built}")
        except (BuildError, ImportError) as exc:
            built.unlink(missing_ok=True)
            if require:
                print(f"error: the compiled row builder {module} was not built: {exc}", file=sys.stderr)
                return 1
            print(f"note: the compiled row builder {module} was not built ({exc}); loads use the Python fast "
                  "path (make test installs a C compiler and builds it)", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    venv = sub.add_parser("venv", help="build for this interpreter into its site-packages")
    venv.add_argument("--require", action="store_true", help="fail when it cannot be built")
    check = sub.add_parser("check", help="check a built shared object")
    check.add_argument("path", type=Path)
    check.add_argument("--machine", default=host_machine())
    check.add_argument("--module", default="demand_rows")
    args = parser.parse_args(argv)
    if args.command == "venv":
        return build_venv(require=args.require)
    try:
        check_shared_object(args.path, args.module, args.machine)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(describe_object(args.path, args.module), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
