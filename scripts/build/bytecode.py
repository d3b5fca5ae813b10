"""The bytecode the Lambda zips ship: every ``.py`` compiled by a CPython of the Lambda runtime's minor version, in
unchecked-hash mode, naming its deployed path (``/var/task`` or ``/opt/python``), reproducibly.

Used by ``package_lambdas`` (the code and layer zips) and by the rehearsal and bench, which look for the same
Python (:func:`find_python`).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

LAMBDA_PYTHON = "3.12"  # the Lambda runtime's minor version

_COMPILE = """
import json, os, py_compile, sys
workdir, root = sys.argv[1:3]
out = []
for source, name in json.load(sys.stdin):
    folder, _, filename = name.rpartition("/")
    pyc = f"{folder}/__pycache__/{filename[:-3]}.{sys.implementation.cache_tag}.pyc"
    try:  # a file that does not compile (a vendored Python 2 example) ships without, as pip would leave it
        py_compile.compile(source, os.path.join(workdir, pyc), f"{root}/{name}", doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        out.append(pyc)
    except py_compile.PyCompileError:
        pass
print(json.dumps(out))
"""


@functools.cache
def find_python(version: str = LAMBDA_PYTHON) -> Path | None:
    """A CPython of minor ``version`` on this machine (this one first, then PATH, /usr, pyenv), or None."""
    candidates = [sys.executable] if f"{sys.version_info[0]}.{sys.version_info[1]}" == version else []
    candidates += [shutil.which(f"python{version}"), f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"]
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates += sorted((str(p) for p in Path(pyenv_root).glob(f"versions/{version}*/bin/python{version}")),
                         reverse=True)  # fmt: skip
    for candidate in candidates:
        if not candidate or not Path(candidate).exists():
            continue
        probe = subprocess.run([candidate, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                               capture_output=True, text=True, check=False)  # fmt: skip
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return Path(candidate)
    return None


def bytecode_entries(
    entries: list[tuple[Path, str]], workdir: Path, *, python: Path, deployed_root: str
) -> list[tuple[Path, str]]:
    """Compile every ``.py`` entry with ``python`` (unchecked-hash pycs naming the deployed path under
    ``deployed_root``); return the ``__pycache__`` entries to add."""
    jobs = [(str(source), name) for source, name in entries if name.endswith(".py")]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SOURCE_DATE_EPOCH": "315532800"}
    done = subprocess.run([str(python), "-I", "-c", _COMPILE, str(workdir), deployed_root], input=json.dumps(jobs),
                          capture_output=True, text=True, env=env, check=False)  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"compiling the bytecode with {python} failed:\n{done.stderr[-2000:]}")
    return [(workdir / name, name) for name in json.loads(done.stdout.strip().splitlines()[-1])]


def with_bytecode(entries: list[tuple[Path, str]], workdir: Path, *, version: str | None, deployed_root: str
                  ) -> list[tuple[Path, str]]:  # fmt: skip
    """``entries`` plus their bytecode compiled by a CPython ``version`` (None: no bytecode; none found: a note)."""
    python = find_python(version) if version else None
    if python is None:
        if version:
            print(f"note: no python{version} here: the zips ship no bytecode (cold imports compile every module)",
                  file=sys.stderr)  # fmt: skip
        return entries
    return entries + bytecode_entries(entries, workdir, python=python, deployed_root=deployed_root)
