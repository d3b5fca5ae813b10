"""The dlt peer of ``make bench``: dlt 1.31 ``merge`` into the same PostgreSQL, on the same snapshot files.

dlt runs in its own virtual environment, ``.local/bench/dlt-venv``, created on first use from the
version-pinned ``scripts/bench/dlt-requirements.txt`` (recreated when that file changes), never in the
project's ``.venv``. Each run is a child process of that environment's Python (``dlt_child.py``: stdlib +
dlt only) loading into a fresh, empty database of the same server; its peak RSS is sampled over its process
tree like ITC's. Two runs:

* **subset**: the four tables' records ITC loaded, i.e. every line of the snapshot except those ITC rejected
  (``ops.rejected_records`` line numbers of the ITC bench database's first load): rows/s and peak RSS;
* **full**: every line, as the snapshot is; the outcome (dlt fails the whole load on a malformed record:
  the exception classes, dlt's failed step, the SQLSTATE and the column/relation it names; never a value).

A peer never fails the bench: when the environment cannot be made (no network, no index) the bench prints
``dlt peer: NOT MEASURED (<reason>)`` and goes on.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from scripts.bench.harness import CACHE, fresh_database, watch
from scripts.paths import REPO

REQUIREMENTS = REPO / "scripts" / "bench" / "dlt-requirements.txt"
CHILD = REPO / "scripts" / "bench" / "dlt_child.py"
VENV = CACHE / "dlt-venv"
WORK = CACHE / "dlt-work"  # dlt's pipelines folder (load packages hold record values: deleted after each run)
# each snapshot table's natural key (the ITC builders' *_record_key), in the snapshot's field names
NATURAL_KEYS = {"templates": ("templateId", "version"), "documents": ("documentId", "version"),
                "documents_metadata": ("documentId",), "documents_audit": ("auditRecordId",)}


class PeerUnavailable(RuntimeError):
    """The peer cannot be measured here (its environment could not be made); the reason is printable."""


def _digest() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def _short(text: str) -> str:
    """The last meaningful line of a tool's output, addresses elided, at most 160 characters."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("WARNING: Location")]
    return re.sub(r"\w+://\S+", "<address>", lines[-1] if lines else "no output")[:160]


def venv_ready(venv: Path = VENV) -> bool:
    """Whether the dlt environment exists with the current pins."""
    stamp = venv / ".requirements.sha256"
    return (venv / "bin" / "python").exists() and stamp.exists() and stamp.read_text().strip() == _digest()


def ensure_venv(venv: Path = VENV) -> Path:
    """The dlt environment's Python, creating (or recreating, when the pins changed) the environment."""
    python, stamp = venv / "bin" / "python", venv / ".requirements.sha256"
    if venv_ready(venv):
        return python
    shutil.rmtree(venv, ignore_errors=True)
    steps = ([sys.executable, "-m", "venv", str(venv)],
             [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
              "-r", str(REQUIREMENTS)])
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=900, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            shutil.rmtree(venv, ignore_errors=True)
            raise PeerUnavailable(f"{Path(step[0]).name} {step[2]}: {type(exc).__name__}") from exc
        if done.returncode:
            shutil.rmtree(venv, ignore_errors=True)
            raise PeerUnavailable(f"{Path(step[0]).name} {step[2]} exit {done.returncode}: {_short(done.stderr)}")
    stamp.write_text(_digest() + "\n")
    return python


def rejected_lines(dsn: str, keys: dict[str, str]) -> dict[str, list[int]]:
    """Per snapshot table (``keys``: table → data file key), the 1-based lines ITC's load rejected."""
    import psycopg2

    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT source_key, array_agg(DISTINCT line_number ORDER BY line_number) FROM "
                        "ops.rejected_records WHERE source_key = ANY(%s) GROUP BY source_key", (list(keys.values()),))
            by_key = dict(cur.fetchall())
    finally:
        conn.close()
    return {table: [int(n) for n in by_key.get(key, [])] for table, key in keys.items()}


def credentials_url(dsn: str) -> str:
    """dlt's postgres destination asks for a password even where the server trusts the login: add a dummy one."""
    return re.sub(r"^(postgres(?:ql)?://[^:@/]+)@", r"\1:unused@", dsn)


def run(python: Path, dsn: str, root: Path, manifest: Any, *, skip: dict[str, list[int]], label: str) -> dict[str, Any]:
    """One dlt load of the snapshot's four tables (minus ``skip`` lines) in a child; its JSON outcome + peak RSS."""
    WORK.mkdir(parents=True, exist_ok=True)
    work = WORK / label
    shutil.rmtree(work, ignore_errors=True)
    job = {"credentials": credentials_url(dsn), "pipelines_dir": str(work), "pipeline_name": f"itc_bench_{label}",
           "tables": [{"name": f.table, "path": str(root / f.key), "primary_key": list(NATURAL_KEYS[f.table]),
                       "skip_lines": skip.get(f.table, [])} for f in manifest.files]}
    job_file = WORK / f"{label}.json"
    job_file.write_text(json.dumps(job))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "DLT_DATA_DIR": str(work),
           "RUNTIME__DLTHUB_TELEMETRY": "false", "RUNTIME__LOG_LEVEL": "WARNING", "LANG": "C.UTF-8"}
    started = time.perf_counter()
    try:
        code, out, _err, peak = watch([str(python), str(CHILD), str(job_file)], env=env)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # never leave record values behind
        job_file.unlink(missing_ok=True)
    wall = time.perf_counter() - started
    lines = out.strip().splitlines()
    if code != 0 or not lines:  # the child's stderr may quote record values: not printed
        return {"ok": False, "error": {"classes": [f"child exit {code}"]}, "seconds": wall, "records": 0,
                "psutil_peak_mb": peak, "wall_seconds": wall}
    data = json.loads(lines[-1])
    data.update(psutil_peak_mb=peak, wall_seconds=wall)
    return data


def outcome(result: dict[str, Any]) -> str:
    """One line saying how a run ended: 'loaded' or the failure's class, step and SQLSTATE (no values)."""
    if result["ok"]:
        return "loaded"
    err = result["error"]
    classes = [c.rsplit(".", 1)[-1] for c in err.get("classes", [])]
    where = f" at {err['step']}" if err.get("step") else ""
    state = f", SQLSTATE {err['sqlstate']}" if err.get("sqlstate") else ""
    names = f" ({err['names']})" if err.get("names") else ""
    landed = f"; {result['landed']:,} rows in the database after it" if "landed" in result else ""
    cause = f" ← {classes[-1]}" if len(classes) > 1 else ""
    return f"FAILED{where}: {classes[0] if classes else 'unknown'}{cause}{state}{names}{landed}"


def landed_rows(dsn: str, tables: list[str]) -> int:
    """Rows of the snapshot tables that a (failed) dlt run left in its dataset."""
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            total = 0
            for table in tables:
                cur.execute("SELECT to_regclass(%s) IS NOT NULL", (f"exchange.{table}",))
                if cur.fetchone()[0]:
                    cur.execute(sql.SQL("SELECT count(*) FROM exchange.{}").format(sql.Identifier(table)))
                    total += cur.fetchone()[0]
    finally:
        conn.close()
    return total


def measure(server_dsn: str, itc_dsn: str, root: Path, manifest: Any) -> dict[str, Any]:
    """Both runs; ``{"subset": result, "full": result, "skipped": lines}``; raises PeerUnavailable."""
    python = ensure_venv()
    skip = rejected_lines(itc_dsn, {f.table: f.key for f in manifest.files})
    subset = run(python, fresh_database(server_dsn, "itc_bench_dlt_subset", migrate=False), root, manifest, skip=skip,
                 label="subset")
    full_dsn = fresh_database(server_dsn, "itc_bench_dlt_full", migrate=False)
    full = run(python, full_dsn, root, manifest, skip={}, label="full")
    full["landed"] = landed_rows(full_dsn, [f.table for f in manifest.files])
    return {"subset": subset, "full": full, "skipped": sum(len(v) for v in skip.values())}
