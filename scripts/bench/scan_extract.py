"""The scan extract's per-item cost (no assertions), the input of docs/scale-model.md.

    .venv/bin/python -m scripts.bench.scan_extract --demands 5000 --scan-demands 1000

Two figures, both on moto in this process (no network):

1. **per-item work**: the synthetic generator's DynamoDB items (scripts/synthetic/exchange.py, the low-level
   client's typed form a Scan page returns) through exactly what the extract does to each item:
   ``extract.item_line`` (typing removed, orjson) + gzip level 6 + ``JsonlGzS3Writer`` (multipart to moto S3).
   Items/s per table and overall, and the plain-JSON bytes per item (DynamoDB bills a read by item size).
2. **moto scan end to end**: the same items put into moto DynamoDB, then ``extract.scan_tables`` (parallel scan,
   4 segments). moto serves the pages in this same process on the same cores, so this is a floor, not
   DynamoDB's speed; the scale model takes DynamoDB's read side from AWS's documented limits instead.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections import defaultdict
from typing import Any

import boto3
from moto import mock_aws

from demand_pipeline.extract import AUDIT_ACTION, item_line, scan_tables
from itc_common_utilities.s3 import JsonlGzS3Writer
from scripts.bench import results
from scripts.synthetic.exchange import ExchangeConfig, fill_dynamodb, iter_records

BUCKET = "itc-bench"
REGION = "us-east-1"


def _items(demands: int, seed: int) -> dict[str, list[dict[str, Any]]]:
    by_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for table, item in iter_records(ExchangeConfig(demands=demands, seed=seed), dynamo=True):
        if table == "documents_audit" and item.get("actionType", {}).get("S") != AUDIT_ACTION:
            continue  # the extract's filter drops these server-side
        by_table[table].append(item)
    return by_table


def per_item_work(s3: Any, by_table: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    print("1. per-item work: item_line + gzip + JsonlGzS3Writer (moto S3), one thread")
    print(f"   {'table':<20} {'items':>8} {'seconds':>8} {'items/s':>9} {'µs/item':>8} {'JSON B/item':>11} "
          f"{'gzip B/item':>11}")
    total_items, total_s = 0, 0.0
    figures: dict[str, Any] = {}
    for table, items in by_table.items():
        line_bytes = 0
        t0 = time.perf_counter()
        with JsonlGzS3Writer(s3, BUCKET, f"bench/{table}.jsonl.gz") as writer:
            for item in items:
                line = item_line(item)
                line_bytes += len(line)
                writer.write_line(line)
        seconds = time.perf_counter() - t0
        total_items += len(items)
        total_s += seconds
        figures[f"{table}_json_bytes_per_item"] = round(line_bytes / len(items))
        print(f"   {table:<20} {len(items):>8,} {seconds:>8.2f} {len(items) / seconds:>9,.0f} "
              f"{seconds / len(items) * 1e6:>8.1f} {line_bytes / len(items):>11,.0f} "
              f"{writer.bytes / len(items):>11,.0f}")
    print(f"   {'all':<20} {total_items:>8,} {total_s:>8.2f} {total_items / total_s:>9,.0f} "
          f"{total_s / total_items * 1e6:>8.1f}")
    figures["item_us"] = round(total_s / total_items * 1e6, 1)
    figures["items"] = total_items
    return figures


def moto_scan(dynamodb: Any, s3: Any, demands: int, seed: int) -> None:
    print(f"2. moto scan end to end ({demands:,} demands; moto serves pages in this process: a floor)")
    t0 = time.perf_counter()
    fill_dynamodb(ExchangeConfig(demands=demands, seed=seed), dynamodb, env="bench")
    print(f"   fill (batch_write_item): {time.perf_counter() - t0:.1f} s")
    names = {t: f"exchange-bench-{s}" for t, s in (("documents", "documents"), ("documents_metadata",
             "documents-metadata"), ("templates", "templates"), ("documents_audit", "documents-audit"))}
    t0 = time.perf_counter()
    _files, tables = scan_tables(dynamodb, s3, bucket=BUCKET, run_id="bench-scan", table_names=names, segments=4,
                                 page_limit=500, logger=logging.getLogger("bench"))
    seconds = time.perf_counter() - t0
    records = sum(t["records"] for t in tables.values())
    print(f"   scan_tables, 4 segments: {records:,} items in {seconds:.2f} s = {records / seconds:,.0f} items/s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demands", type=int, default=5_000, help="demands for the per-item work")
    parser.add_argument("--scan-demands", type=int, default=1_000, help="demands put into moto DynamoDB (0: skip)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "bench")
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        figures = per_item_work(s3, _items(args.demands, args.seed))
        if args.scan_demands:
            moto_scan(boto3.client("dynamodb", region_name=REGION), s3, args.scan_demands, args.seed)
    results.record("scan_extract", figures, {"demands": args.demands, "seed": args.seed})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
