"""Verify+ pipeline figures (no assertions): extract N records from the Quickbase simulator over HTTP
into S3 (moto, in process), then load them into a fresh database on the embedded PostgreSQL.

    .venv/bin/python -m scripts.bench.verifyplus --records 100000

Prints records/s for extract and load, snapshot size, and the Python heap peak of the load
(tracemalloc, measured on a second, separate load so the timings are not slowed by it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
import uuid

import boto3
import psycopg2
from moto import mock_aws

from itc_common_utilities.s3 import ObjectRef
from itc_common_utilities.settings import load_settings
from itc_common_utilities.signature import MAC_KEY_ENV, ensure_local_keys
from scripts.bench import results
from scripts.stack.quickbase_simulator import QuickbaseSimulator
from scripts.stack.testdb import create_database, drop_database
from scripts.synthetic.verifyplus import SyntheticConfig, VerifyPlusDataset
from verifyplus_pipeline.extract import extract_report
from verifyplus_pipeline.load import load_verifyplus
from verifyplus_pipeline.quickbase import QuickbaseReport, build_quickbase_session
from verifyplus_pipeline.settings import ExtractSettings

BUCKET = "itc-bench"


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
    with mock_aws(), QuickbaseSimulator(dataset) as sim:
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        os.environ[MAC_KEY_ENV] = ensure_local_keys(boto3.client("kms"))["verifyplus"]  # signs and verifies
        settings = load_settings(ExtractSettings, {
            "landing_bucket": BUCKET, "qb_realm": sim.realm, "qb_table_id": sim.table_id,
            "qb_report_id": sim.report_id, "qb_base_url": sim.base_url, "qb_token": sim.token, "env": "local"},
            environ={})
        report = QuickbaseReport.from_settings(settings, build_quickbase_session(settings, sim.token))
        t0 = time.perf_counter()
        summary = extract_report(report, s3, BUCKET, "bench")
        extract_s = time.perf_counter() - t0
        ref = ObjectRef(BUCKET, summary["manifest_key"])
        runs = []
        for measure_heap in (False, True):
            name, dsn = create_database(server_dsn, name=f"itc_bench_vp_{uuid.uuid4().hex[:8]}", migrate=True)
            conn = psycopg2.connect(dsn)
            try:
                if measure_heap:
                    tracemalloc.start()
                t0 = time.perf_counter()
                result = load_verifyplus(conn, s3, ref)
                elapsed = time.perf_counter() - t0
                peak = tracemalloc.get_traced_memory()[1] if measure_heap else 0
                if measure_heap:
                    tracemalloc.stop()
                runs.append((elapsed, peak, result))
            finally:
                conn.close()
                drop_database(server_dsn, name)
    load_s, _, result = runs[0]
    heap_peak = runs[1][1]
    print(f"verifyplus bench: {args.records:,} records (seed {args.seed})")
    print(f"  extract  {extract_s:7.2f} s  {args.records / extract_s:10,.0f} records/s  "
          f"{summary['pages']} pages, {summary['bytes'] / 1e6:.1f} MB gzip JSONL "
          "(includes generating the data in the simulator)")
    print(f"  load     {load_s:7.2f} s  {args.records / load_s:10,.0f} records/s  "
          f"loaded {result['loaded']:,}, rejected {result['rejected']:,}")
    print(f"  load Python heap peak (tracemalloc, separate run): {heap_peak / 1e6:.1f} MB")
    results.record("verifyplus", {
        "records": args.records, "extract_records_per_s": round(args.records / extract_s),
        "load_records_per_s": round(args.records / load_s), "loaded": result["loaded"],
        "rejected": result["rejected"], "load_heap_peak_mb": round(heap_peak / 1e6, 1)},
        {"records": args.records, "seed": args.seed})
    return 0


if __name__ == "__main__":
    sys.exit(main())
