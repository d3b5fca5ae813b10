"""What the benches share: the cache folder, a fresh database per measured run, and a child process
watched to its end (exit code, output, peak RSS of its process tree). :mod:`scripts.bench.load` and
:mod:`scripts.bench.dlt_peer` both import it, so neither imports the other for these.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from scripts.paths import LOCAL, REPO

CACHE = LOCAL / "bench"


def fresh_database(server_dsn: str, name: str, *, migrate: bool = True) -> str:
    """A new database ``name`` (+ ``ITC_BENCH_DB_SUFFIX``, so two benches can share a server), migrated unless told."""
    from scripts.stack.testdb import create_database

    return create_database(server_dsn, name=name + os.environ.get("ITC_BENCH_DB_SUFFIX", ""), migrate=migrate)[1]


def watch(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path = REPO) -> tuple[int, str, str, float]:
    """Run ``cmd`` to its end; (exit code, stdout, stderr, peak RSS in MB of its process tree, psutil-sampled)."""
    import psutil

    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [ps, *ps.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree))
        except psutil.Error:
            pass  # a process of the tree ended between the listing and the reading: sample again
        time.sleep(0.05)
    out, err = proc.communicate()
    return proc.returncode, out, err, peak / (1 << 20)
