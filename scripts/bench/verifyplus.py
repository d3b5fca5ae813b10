"""Verify+ pipeline figures (no assertions): extract N records from the Quickbase simulator over HTTP
into S3 (moto, in process), then load them into fresh databases on the embedded PostgreSQL, by the
builder alone and by the fast path (verifyplus_pipeline/fast.py), side by side in one run.

    .venv/bin/python -m scripts.bench.verifyplus --records 100000

Prints, with the load average while it ran:

- extract records/s, and how much of it is the simulator generating the records (the same process);
- build records/s (the landed lines → COPY text, in memory, no database: best CPU time of three passes
  each, taking turns) by the builder and by the fast path, and their ratio;
- end-to-end load records/s (manifest check, read, build, COPY, apply, reconcile) by each, their ratio,
  where each spent its time (read + build + COPY, apply, the rest), and whether both loaded the same raw
  rows, rejects and quarantined fields;
- the snapshot size and the Python heap peak of a fast load (tracemalloc, a separate run so the timings
  are not slowed by it).
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import os
import sys
import time
import tracemalloc
import uuid
from typing import Any

import boto3
import psycopg2
from moto import mock_aws

from itc_common_utilities.loader.fastrow import FAST_ENV
from itc_common_utilities.loader.rejects import RejectList
from itc_common_utilities.loader.render import copy_text
from itc_common_utilities.s3 import ObjectRef
from itc_common_utilities.settings import load_settings
from itc_common_utilities.signature import MAC_KEY_ENV, ensure_local_keys
from itc_common_utilities.timestamps import load_time_window
from scripts.bench import results
from scripts.stack.quickbase_simulator import QuickbaseSimulator
from scripts.stack.testdb import create_database, drop_database
from scripts.synthetic.verifyplus import SyntheticConfig, VerifyPlusDataset
from verifyplus_pipeline.extract import extract_report
from verifyplus_pipeline.load import RAW_TABLE, load_verifyplus, verifyplus_spec
from verifyplus_pipeline.quickbase import QuickbaseReport, build_quickbase_session
from verifyplus_pipeline.settings import ExtractSettings

BUCKET = "itc-bench"
PATHS = (("builder", "0"), ("fast path", "1"))  # (name, ITC_LOAD_FAST)
BATCH = 2000  # lines per block, as the snapshot reader hands them to the renderer


def build_seconds(lines: list[bytes], repeats: int = 3) -> dict[str, tuple[float, int, int]]:
    """Per path: the best CPU time (``process_time``: on a shared machine a wall time measures the neighbours
    too) of ``repeats`` passes of the landed lines through the renderer, the paths taking turns, with the
    rejects and quarantined fields each pass collected."""
    spec = verifyplus_spec(load_time_window())
    specs = {"builder": dataclasses.replace(spec, fast=None), "fast path": spec}
    batches = [(first + 1, lines[first:first + BATCH]) for first in range(0, len(lines), BATCH)]
    best: dict[str, tuple[float, int, int]] = {}
    for _ in range(repeats):
        for name, each in specs.items():
            rejects = RejectList(RAW_TABLE)
            started = time.process_time()
            for _chunk in copy_text(each, batches, rejects):
                pass
            seconds = time.process_time() - started
            if name not in best or seconds < best[name][0]:
                best[name] = (seconds, len(rejects.items), len(rejects.notes))
    return best


def digest(conn: Any) -> tuple[Any, ...]:
    """Row counts and order-free hashes of raw.verifyplus and the rejects (load ids and times, and a reject's
    detail, which names the time window ending "now + 1 day", left out)."""
    out: list[Any] = []
    with conn.cursor() as cur:
        for table in (RAW_TABLE, "ops.rejected_records", "ops.quarantined_fields"):
            cur.execute(f"SELECT count(*), sum(hashtext((to_jsonb(t) - '_load_id' - '_loaded_at' - 'load_id' "
                        f"- 'rejected_id' - 'rejected_at' - 'quarantined_id' - 'quarantined_at' - 'detail')::text)"
                        f"::numeric) FROM {table} t")
            out.append(cur.fetchone())
    conn.rollback()
    return tuple(out)


def snapshot_lines(s3: Any, key: str) -> list[bytes]:
    return gzip.decompress(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()).splitlines()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    from scripts.stack import local_pg

    server_dsn = local_pg.admin_dsn("postgres")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.pop("AWS_ENDPOINT_URL", None)
    dataset = VerifyPlusDataset(SyntheticConfig(records=args.records, seed=args.seed))
    started = time.perf_counter()
    for _record in dataset.records():
        pass
    generate_s = time.perf_counter() - started
    with mock_aws(), QuickbaseSimulator(dataset) as sim:
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        os.environ[MAC_KEY_ENV] = ensure_local_keys(boto3.client("kms"))["verifyplus"]  # signs and verifies
        settings = load_settings(ExtractSettings, {
            "landing_bucket": BUCKET, "qb_realm": sim.realm, "qb_table_id": sim.table_id,
            "qb_report_id": sim.report_id, "qb_base_url": sim.base_url, "qb_token": sim.token, "env": "local"},
            environ={})
        session = build_quickbase_session(settings, sim.token)
        waits: list[float] = []  # per call: request sent → the answer's headers read (the server's time)
        session.hooks["response"].append(lambda response, *_a, **_k: waits.append(response.elapsed.total_seconds()))
        report = QuickbaseReport.from_settings(settings, session)
        t0 = time.perf_counter()
        summary = extract_report(report, s3, BUCKET, "bench")
        extract_s = time.perf_counter() - t0
        ref = ObjectRef(BUCKET, summary["manifest_key"])
        lines = snapshot_lines(s3, summary["data_key"])
        builds = build_seconds(lines)
        loads: dict[str, tuple[float, dict[str, Any], tuple[Any, ...]]] = {}
        heap_peak = 0
        for name, fast, measure_heap in (*((n, f, False) for n, f in PATHS), ("fast path", "1", True)):
            os.environ[FAST_ENV] = fast
            db_name, dsn = create_database(server_dsn, name=f"itc_bench_vp_{uuid.uuid4().hex[:8]}", migrate=True)
            conn = psycopg2.connect(dsn)
            try:
                if measure_heap:
                    tracemalloc.start()
                t0 = time.perf_counter()
                result = load_verifyplus(conn, s3, ref)
                elapsed = time.perf_counter() - t0
                if measure_heap:
                    heap_peak = tracemalloc.get_traced_memory()[1]
                    tracemalloc.stop()
                else:
                    loads[name] = (elapsed, result, digest(conn))
            finally:
                conn.close()
                drop_database(server_dsn, db_name)
        os.environ.pop(FAST_ENV, None)
    n = args.records
    load_avg = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    (b_build, b_rej, b_notes), (f_build, f_rej, f_notes) = builds["builder"], builds["fast path"]
    (b_load, b_result, b_digest), (f_load, f_result, f_digest) = loads["builder"], loads["fast path"]
    same = (b_digest == f_digest and (b_rej, b_notes) == (f_rej, f_notes)
            and [b_result[k] for k in ("loaded", "rejected", "quarantined")]
            == [f_result[k] for k in ("loaded", "rejected", "quarantined")])
    print(f"verifyplus bench: {n:,} records (seed {args.seed}); {os.cpu_count()} cores, load average {load_avg}")
    print(f"  extract  {extract_s:7.2f} s  {n / extract_s:10,.0f} records/s  "
          f"{summary['pages']} pages, {summary['bytes'] / 1e6:.1f} MB gzip JSONL")
    wait_s = sum(waits)
    print(f"    of which waiting for the Quickbase stand-in's answers {wait_s:.2f} s ({wait_s / extract_s:.0%}; "
          f"it runs in this process: generating the records alone takes {generate_s:.2f} s)")
    print(f"  {'':<26}{'builder':>12}{'fast path':>12}{'ratio':>8}")
    print(f"  {'build records/s':<26}{n / b_build:>12,.0f}{n / f_build:>12,.0f}{b_build / f_build:>7.1f}x"
          f"   (CPU, in memory, no database; target >= 10x)")
    print(f"  {'load records/s end to end':<26}{n / b_load:>12,.0f}{n / f_load:>12,.0f}{b_load / f_load:>7.1f}x"
          f"   (loaded {f_result['loaded']:,}, rejected {f_result['rejected']:,}, "
          f"quarantined {f_result['quarantined']:,})")
    phases: dict[str, float] = {}
    for name, (_s, result, _d) in loads.items():
        counts = result["tables"]["requests"]
        rest_ms = result["duration_ms"] - counts["read_ms"] - counts["apply_ms"]
        label = "builder" if name == "builder" else "fast"
        phases |= {f"load_read_s_{label}": counts["read_ms"] / 1000, f"load_apply_s_{label}": counts["apply_ms"] / 1000,
                   f"load_rest_s_{label}": rest_ms / 1000}
        print(f"    {name}: read + build + COPY {counts['read_ms'] / 1000:.2f} s, apply (insert/upsert, delete, "
              f"reconcile) {counts['apply_ms'] / 1000:.2f} s, the rest (run row, ANALYZE, finishing the run) "
              f"{rest_ms / 1000:.2f} s")
    print(f"  builder and fast path loaded the same raw rows, rejects and quarantined fields: {same}")
    print(f"  load Python heap peak (tracemalloc, fast path, separate run): {heap_peak / 1e6:.1f} MB")
    results.record("verifyplus", {
        "records": n, "extract_records_per_s": round(n / extract_s),
        "extract_server_wait_share": round(wait_s / extract_s, 2),
        "build_records_per_s_builder": round(n / b_build), "build_records_per_s_fast": round(n / f_build),
        "build_ratio": round(b_build / f_build, 2),
        "load_records_per_s_builder": round(n / b_load), "load_records_per_s": round(n / f_load),
        "load_ratio": round(b_load / f_load, 2), "fast_and_builder_same_rows": same,
        **{name: round(seconds, 2) for name, seconds in phases.items()},
        "loaded": f_result["loaded"], "rejected": f_result["rejected"], "quarantined": f_result["quarantined"],
        "load_heap_peak_mb": round(heap_peak / 1e6, 1)},
        {"records": n, "seed": args.seed})
    return 0


if __name__ == "__main__":
    sys.exit(main())
