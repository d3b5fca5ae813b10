"""``make bench``: the demand load's throughput, memory and replay cost against the database's own limit.

One run prints, side by side:

- our load of an N-demand snapshot (all four tables; default 1,000,000 demands, ``ITC_BENCH_DEMANDS``
  or ``--demands``) from local files through the real ``load_snapshot`` code path (a file-backed S3
  stand-in serves ``get_object``) into the embedded PostgreSQL: rows/s and the peak RSS of the
  loading process (a child process, so the figure is its own; psutil samples it, and the child's
  ``ru_maxrss`` is printed beside). Three ways, side by side: the default (the compiled row builders of
  ``raw.cases``, ``raw.metadata`` and ``raw.audit`` in front of the Python fast path, ADR 0012), the Python
  fast path alone, the builders alone (``ITC_LOAD_FAST=0``), with the share of each table's lines its
  compiled builder took;
- the database's limit: a server-side ``COPY raw.<table> FROM '<file>'`` of exactly the rows our
  load wrote, pre-rendered to COPY text files, into equally empty tables;
- our replay of the same snapshot (the idempotent no-op).

Targets are printed beside the figures; nothing is asserted. The snapshot is cached under
``.local/bench/`` (delete it to regenerate); the COPY files go to a world-readable temporary folder
because the server runs as its own OS user.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from scripts.bench import results
from scripts.bench.harness import fresh_database, watch
from scripts.bench.load_snapshot import (
    RUN_ID,
    FileS3,
    ensure_snapshot,
    reload_snapshot,
    sign_manifest,
    start_manifest_key,
)
from scripts.paths import REPO

RAW = {"documents": "raw.cases", "documents_metadata": "raw.metadata", "templates": "raw.templates",
       "documents_audit": "raw.audit"}
TARGET_RATIO = 0.8  # the compiled row builder's target (ADR 0012)
TARGET_RSS_MB = 300
TARGET_REPLAY = 0.05


def child_load(dsn: str, root: str, run_id: str, workers: str, *, python_fast: bool = False) -> None:
    """Run in a child process: one load_snapshot, then print its summary and own peak RSS as JSON.
    ``python_fast``: without the compiled row builders (the Python fast path alone)."""
    import logging

    import psycopg2

    from demand_pipeline.load import load
    from itc_common_utilities.loader.fastrow import use_compiled
    from itc_common_utilities.s3 import ObjectRef

    use_compiled(not python_fast)
    logging.getLogger().setLevel(logging.WARNING)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # the snapshot's one fixed malformed template is a large share of the few templates: the bench measures
    # the load, not the reject guard (docs/CONTRACTS.md "Load guards")
    os.environ.setdefault("ITC_MAX_REJECT_SHARE", "0.05")
    from itc_common_utilities.logger.logger_setup import setup_logger

    logger = setup_logger("bench", level="WARNING")
    conn = psycopg2.connect(dsn)
    t0 = time.perf_counter()
    result = load(conn, FileS3(Path(root)), ObjectRef("bench", f"demand/run={run_id}/_manifest.json"), logger=logger,
                  workers=int(workers))
    seconds = time.perf_counter() - t0
    conn.close()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "result": result.to_dict(), "ru_maxrss_mb": peak_kb / 1024}))


def run_child(dsn: str, root: Path, run_id: str = RUN_ID, workers: int = 1,
              env: dict[str, str] | None = None, *, python_fast: bool = False) -> dict[str, Any]:
    """One ITC load in a child process (``env``: extra environment variables for it, e.g. an engine variant;
    ``python_fast``: the Python fast path without the compiled row builders); peak RSS = the child plus its
    build processes, sampled by psutil."""
    code, out, err, peak = watch([sys.executable, "-m", "scripts.bench.load", "--child-load", dsn, str(root), run_id,
                                  str(workers), *(["--child-python-fast"] if python_fast else [])],
                                 env={**os.environ, **(env or {})})
    if code != 0:
        raise RuntimeError(f"the load child failed ({code}):\n{err[-4000:]}")
    data = json.loads(out.strip().splitlines()[-1])
    data["psutil_peak_mb"] = peak
    return data


def render_copy_files(dsn: str, folder: Path) -> dict[str, tuple[Path, tuple[str, ...], int]]:
    """Dump exactly the rows our load wrote to COPY text files the server can read."""
    import psycopg2

    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    files = {}
    conn = psycopg2.connect(dsn)
    with conn.cursor() as cur:
        for table in RAW.values():
            cur.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND "
                        "table_name = %s ORDER BY ordinal_position", tuple(table.split(".")))
            columns = tuple(r[0] for r in cur.fetchall())
            path = folder / f"{table}.copy"
            with path.open("w", encoding="utf-8") as f:
                cur.copy_expert(f"COPY {table} TO STDOUT", f)
            path.chmod(0o644)
            cur.execute(f"SELECT count(*) FROM {table}")
            files[table] = (path, columns, cur.fetchone()[0])
    conn.close()
    return files


def server_copy(dsn: str, files: dict[str, tuple[Path, tuple[str, ...], int]]) -> float:
    import psycopg2

    conn = psycopg2.connect(dsn)
    t0 = time.perf_counter()
    with conn.cursor() as cur:
        for table, (path, columns, _) in files.items():
            cur.execute(f"COPY {table} ({', '.join(columns)}) FROM %s", (str(path),))
    conn.commit()
    seconds = time.perf_counter() - t0
    conn.close()
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="demand load benchmark (prints figures, asserts nothing)")
    parser.add_argument("--demands", type=int, default=int(os.environ.get("ITC_BENCH_DEMANDS", "1000000")))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("ITC_BENCH_WORKERS", "2")),
                        help="workers of the second measured load, beside the first's 1 (default 2: the machine's "
                             "2 cores)")
    parser.add_argument("--child-load", nargs=4, metavar=("DSN", "ROOT", "RUN_ID", "WORKERS"), help=argparse.SUPPRESS)
    parser.add_argument("--child-python-fast", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_load:
        child_load(*args.child_load, python_fast=args.child_python_fast)
        return 0

    from scripts.bench import dlt_peer
    from scripts.bench.views import print_refresh, refresh_all_views
    from scripts.stack import local_pg

    server_dsn = local_pg.admin_dsn("postgres")
    print(f"demand load benchmark: {args.demands:,} demands (seed {args.seed})", flush=True)
    root, manifest, gen_seconds = ensure_snapshot(args.demands, args.seed)
    start_manifest_key()
    sign_manifest(root, RUN_ID)
    size = sum(f.bytes for f in manifest.files)
    records = sum(f.records for f in manifest.files)
    print(f"  snapshot: {records:,} records, {size / 1e6:,.1f} MB gzip in {root.relative_to(REPO)}"
          + (f" (generated in {gen_seconds:,.1f} s)" if gen_seconds else " (cached)"), flush=True)

    ours_dsn = fresh_database(server_dsn, "itc_bench_load")
    first = run_child(ours_dsn, root)
    first_digest = raw_digest(ours_dsn)
    refresh = guarded("view refresh", refresh_all_views, ours_dsn)
    replay = run_child(ours_dsn, root)
    parallel = None
    if args.workers > 1:
        parallel_dsn = fresh_database(server_dsn, "itc_bench_parallel")
        parallel = run_child(parallel_dsn, root, workers=args.workers)
        parallel["same"] = first_digest == raw_digest(parallel_dsn)
    reload = run_child(ours_dsn, root, reload_snapshot(root, manifest))
    rows = sum(t["rows"] for t in first["result"]["tables"].values())
    # the same load with every record through its builder (docs/adr/0007): its speed, and the same rows?
    builders_dsn = fresh_database(server_dsn, "itc_bench_builders")
    builders = run_child(builders_dsn, root, env={"ITC_LOAD_FAST": "0"})
    same = first_digest == raw_digest(builders_dsn)
    # the Python fast path alone (no compiled row builder): its speed, and the same rows? (docs/adr/0012)
    python_dsn = fresh_database(server_dsn, "itc_bench_python_fast")
    python_fast = run_child(python_dsn, root, python_fast=True)
    same_python = first_digest == raw_digest(python_dsn)
    compiled_share = guarded("compiled share", compiled_shares, root, manifest)

    folder = Path(tempfile.mkdtemp(prefix="itc-bench-copy-"))
    folder.chmod(0o755)
    try:
        files = render_copy_files(ours_dsn, folder)
        copy_dsn = fresh_database(server_dsn, "itc_bench_copy")
        copy_seconds = server_copy(copy_dsn, files)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    copy_rows = sum(n for _, _, n in files.values())
    dlt_demands = int(os.environ.get("ITC_BENCH_DLT_DEMANDS", str(args.demands)))
    dlt = guarded("dlt peer", partial(dlt_on, demands=dlt_demands, args=args), server_dsn, ours_dsn, root, manifest)

    ours_rps = rows / first["seconds"]
    copy_rps = copy_rows / copy_seconds
    peak_mb = max(first["psutil_peak_mb"], first["ru_maxrss_mb"])
    replay_share = replay["seconds"] / first["seconds"]
    tables = first["result"]["tables"]
    print()
    print(f"  {'figure':<38}{'measured':>22}   target")
    print(f"  {'our load, 1 worker (rows/s)':<38}{ours_rps:>22,.0f}   ≥ {TARGET_RATIO} × server COPY = "
          f"{TARGET_RATIO * copy_rps:,.0f}  {'MET' if ours_rps >= TARGET_RATIO * copy_rps else 'MISSED'}")
    if parallel is not None:
        par_rps = rows / parallel["seconds"]
        print(f"  {f'our load, {args.workers} workers (rows/s)':<38}{par_rps:>22,.0f}   the tables at once "
              f"(docs/adr/0015); peak RSS {parallel['psutil_peak_mb']:,.0f} MB (sum over the process tree; "
              "shared pages counted per process)")
    print(f"  {'server-side COPY (rows/s)':<38}{copy_rps:>22,.0f}   (the database's own limit)")
    print(f"  {'ratio ours (1 worker) / server COPY':<38}{ours_rps / copy_rps:>22.2f}   ≥ {TARGET_RATIO}")
    if parallel is not None:
        print(f"  {f'ratio ours ({args.workers} workers) / server COPY':<38}{par_rps / copy_rps:>22.2f}   "
              f"≥ {TARGET_RATIO}  {'MET' if par_rps >= TARGET_RATIO * copy_rps else 'MISSED'}")
    print()
    print(f"  {'one process, same snapshot, side by side':<44}{'rows/s':>12}{'× COPY':>9}{'wall s':>9}")
    for label, run in (("compiled row builder (default)", first), ("Python fast path (no compiled builder)",
                                                                   python_fast), ("builders only (ITC_LOAD_FAST=0)",
                                                                                  builders)):
        print(f"  {label:<44}{rows / run['seconds']:>12,.0f}{rows / run['seconds'] / copy_rps:>9.2f}"
              f"{run['seconds']:>9.1f}")
    print(f"  {'server-side COPY':<44}{copy_rps:>12,.0f}{1:>9.2f}{copy_seconds:>9.1f}")
    share_text = (", ".join(f"{table} {share:.1%}" for table, share in compiled_share.items())
                  if isinstance(compiled_share, dict) else f"NOT MEASURED ({compiled_share})")
    print(f"  lines the compiled builders took (the rest: Python fast path, builder): {share_text}")
    print(f"  load average (1, 5, 15 min) at the end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print()
    print(f"  {'our load wall time (s)':<38}{first['seconds']:>22,.1f}")
    print(f"  {'server COPY wall time (s)':<38}{copy_seconds:>22,.1f}")
    print(f"  {'peak RSS of the load (MB)':<38}{peak_mb:>22,.0f}   ≤ {TARGET_RSS_MB}  "
          f"{'MET' if peak_mb <= TARGET_RSS_MB else 'MISSED'}  (psutil {first['psutil_peak_mb']:,.0f}, "
          f"ru_maxrss {first['ru_maxrss_mb']:,.0f})")
    print(f"  {'replay (no-op) time (s)':<38}{replay['seconds']:>22,.3f}   ≤ {TARGET_REPLAY:.0%} of the load "
          f"= {TARGET_REPLAY * first['seconds']:,.2f}  {'MET' if replay_share <= TARGET_REPLAY else 'MISSED'} "
          f"({replay_share:.2%}, status {replay['result']['status']})")
    if isinstance(refresh, dict):
        print_refresh(refresh, first["seconds"], 38)
    else:
        print(f"  {'refresh of every view after it (s)':<38}{'NOT MEASURED':>22}   ({refresh})")
    reload_rps = sum(t["rows"] for t in reload["result"]["tables"].values()) / reload["seconds"]
    print(f"  {'daily reload, same rows, new run (s)':<38}{reload['seconds']:>22,.1f}   (no target: the upsert "
          f"path, {reload_rps:,.0f} rows/s, peak RSS {max(reload['psutil_peak_mb'], reload['ru_maxrss_mb']):,.0f} MB,"
          f" {sum(t['written'] for t in reload['result']['tables'].values()):,} rows rewritten)")
    print()
    print(f"  {'table':<22}{'records':>12}{'loaded':>12}{'rejected':>10}{'read s':>9}{'apply s':>9}")
    for name, t in tables.items():
        print(f"  {name:<22}{t['records']:>12,}{t['loaded']:>12,}{t['rejected']:>10,}"
              f"{t['read_ms'] / 1000:>9.1f}{t['apply_ms'] / 1000:>9.1f}")
    print(f"  rows loaded {rows:,} = rows server-COPYed {copy_rows:,}: {rows == copy_rows}", flush=True)
    print(f"  fast path and builders only (ITC_LOAD_FAST=0) loaded the same raw rows and rejects: {same}", flush=True)
    print(f"  compiled and Python fast path loaded the same raw rows and rejects: {same_python}", flush=True)
    if parallel is not None:
        print(f"  {args.workers} workers and 1 worker loaded the same raw rows and rejects: {parallel['same']}",
              flush=True)
    peers = [("ITC, in-process", rows, first["seconds"], peak_mb, None),
             ("ITC, in-process, Python fast path (no compiled builder)", rows, python_fast["seconds"],
              max(python_fast["psutil_peak_mb"], python_fast["ru_maxrss_mb"]), None),
             ("ITC, in-process, builders only (ITC_LOAD_FAST=0)", rows, builders["seconds"],
              max(builders["psutil_peak_mb"], builders["ru_maxrss_mb"]), None)]
    if parallel is not None:
        peers.append((f"ITC, {args.workers} workers (tables at once)", rows, parallel["seconds"],
                      parallel["psutil_peak_mb"], None))
    peers.append(("server-side COPY (the limit)", copy_rows, copy_seconds, None, None))
    if isinstance(dlt, dict):
        sub, full = dlt["subset"], dlt["full"]
        of = "" if dlt_demands == args.demands else f" of {dlt_demands:,} demands"
        peers.append((f"dlt 1.31 merge, subset{of} ({dlt['skipped']:,} ITC rejects out)", sub["records"],
                      sub["seconds"], sub["psutil_peak_mb"], None if sub["ok"] else dlt_peer.outcome(sub)))
        peers.append((f"dlt 1.31 merge, full snapshot{of}", full["records"], full["seconds"], full["psutil_peak_mb"],
                      dlt_peer.outcome(full)))
    print_peers(peers, copy_rps)
    if not isinstance(dlt, dict):
        print(f"  dlt peer: NOT MEASURED ({dlt})", flush=True)
    figures = {
        "demands": args.demands, "records": records, "snapshot_gzip_bytes": size,
        "records_per_table": {name: t["records"] for name, t in tables.items()},
        "rows_loaded": rows, "load_seconds": round(first["seconds"], 2),
        "load_rows_per_s": round(ours_rps), "server_copy_rows_per_s": round(copy_rps),
        "ratio_to_server_copy": round(ours_rps / copy_rps, 3),
        "builders_only_rows_per_s": round(rows / builders["seconds"]), "fast_and_builders_same_rows": same,
        "compiled_rows_per_s": round(ours_rps), "python_fast_rows_per_s": round(rows / python_fast["seconds"]),
        "compiled_and_python_same_rows": same_python,
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "peak_rss_mb": round(peak_mb, 1), "replay_seconds": round(replay["seconds"], 3),
        "reload_seconds": round(reload["seconds"], 2),
    }
    if parallel is not None:
        figures["parallel_rows_per_s"] = round(rows / parallel["seconds"])
        figures["parallel_ratio_to_server_copy"] = round(rows / parallel["seconds"] / copy_rps, 3)
    if isinstance(refresh, dict):
        figures["refresh_seconds"] = round(refresh["seconds"], 2)
    if isinstance(compiled_share, dict):
        for table, share in compiled_share.items():
            figures[f"{table}_compiled_share"] = round(share, 4)
    if isinstance(dlt, dict) and dlt["subset"]["ok"]:
        figures["dlt_subset_rows_per_s"] = round(dlt["subset"]["records"] / dlt["subset"]["seconds"])
    path = results.record("load", figures, {"demands": args.demands, "seed": args.seed, "workers": args.workers,
                                            "dlt_demands": dlt_demands})
    print(f"  figures written to {path}", flush=True)
    return 0


def compiled_shares(root: Path, manifest: Any) -> dict[str, float]:
    """The share of the snapshot's lines each compiled row builder takes itself (documents, documents_metadata,
    documents_audit; the rest go on to the Python fast path, then the builder)."""
    import gzip

    from demand_pipeline.builders.fast import audit_fast, case_fast, metadata_fast
    from itc_common_utilities.timestamps import load_time_window

    window = load_time_window()
    shares = {}
    for table, make in (("documents", case_fast), ("documents_metadata", metadata_fast),
                        ("documents_audit", audit_fast)):
        fast = make(window)
        if not hasattr(fast, "row"):
            raise RuntimeError("the compiled row builders are not built for this interpreter (make venv)")
        file = next(f for f in manifest.files if f.table == table)
        taken = total = 0
        with gzip.open(root / file.key, "rb") as lines:
            for line in lines:
                total += 1
                taken += fast.row(line.rstrip(b"\n")) is not None
        shares[table] = taken / total if total else 1.0
    return shares


def dlt_on(server_dsn: str, ours_dsn: str, root: Path, manifest: Any, *, demands: int, args: Any) -> Any:
    """The dlt peer on this bench's snapshot, or (``ITC_BENCH_DLT_DEMANDS`` smaller: dlt loads about 3,000
    rows/s here, so 1 M demands would take it some 40 minutes) on the same generator's snapshot of that
    many demands, which ITC loads first into its own database so the subset leaves out ITC's rejects."""
    from scripts.bench import dlt_peer

    if demands != args.demands:
        root, manifest, _ = ensure_snapshot(demands, args.seed)
        sign_manifest(root, RUN_ID)
        ours_dsn = fresh_database(server_dsn, "itc_bench_dlt_ref")
        run_child(ours_dsn, root)
    return dlt_peer.measure(server_dsn, ours_dsn, root, manifest)


def raw_digest(dsn: str) -> list[tuple[Any, ...]]:
    """Per raw table and for the rejects: the row count and an order-free sum of row hashes (load ids, load
    times and a reject's detail left out: its text names the time window, which ends "now + 1 day"; the
    tests compare details under a fixed window), to compare two loads of one snapshot without their rows."""
    import psycopg2

    conn = psycopg2.connect(dsn)
    out = []
    with conn.cursor() as cur:
        for table in (*RAW.values(), "ops.rejected_records"):
            cur.execute(f"SELECT count(*), sum(hashtext((to_jsonb(t) - '_load_id' - '_loaded_at' - 'load_id' "
                        f"- 'rejected_id' - 'rejected_at' - 'detail')::text)::numeric) FROM {table} t")
            out.append((table, *cur.fetchone()))
    conn.close()
    return out


def guarded(what: str, fn: Any, *args: Any) -> Any:
    """``fn(*args)``, or the reason it could not run (a peer or an extra figure never fails the bench)."""
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - printed as NOT MEASURED, the bench goes on
        from scripts.bench.dlt_peer import PeerUnavailable

        reason = str(exc)[:200] if isinstance(exc, PeerUnavailable) else f"{what} raised {type(exc).__name__}"
        print(f"  ({what} failed: {reason}; the bench goes on)", file=sys.stderr, flush=True)
        return reason


def print_peers(peers: list[tuple[str, int, float, float | None, str | None]], copy_rps: float) -> None:
    """The peers side by side: (name, rows, seconds, peak RSS MB or None, outcome or None when it loaded)."""
    print()
    print(f"  {'peers, same snapshot, same server':<52}{'rows':>11}{'rows/s':>10}{'peak RSS MB':>13}{'× COPY':>8}")
    for name, n, seconds, peak, failed in peers:
        rss = f"{peak:,.0f}" if peak is not None else "(server)"
        if failed:
            print(f"  {name:<52}{n:>11,}{'—':>10}{rss:>13}{'—':>8}   ({seconds:,.1f} s) {failed}")
        else:
            rps = n / seconds
            print(f"  {name:<52}{n:>11,}{rps:>10,.0f}{rss:>13}{rps / copy_rps:>8.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
