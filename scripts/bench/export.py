"""The export extract's conversion and merge rates (no assertions), inputs of docs/scale-model.md.

    .venv/bin/python -m scripts.bench.export --demands 20000

On moto S3 in this process, with the synthetic generator's documents items (DynamoDB's typed form):

1. **full export conversion**: the items written as a full DynamoDB export writes them (``{"Item": …}`` gzip
   JSON Lines under ``AWSDynamoDB/<id>/data/``), then ``export.convert_export`` streams them into the
   snapshot file a scan would write. Items/s.
2. **incremental merge**: that snapshot file as the base, an incremental export (AWS's documented files:
   manifest-summary.json, manifest-files.json, ``{"Metadata", "Keys", "NewImage"/"OldImage"}`` lines) changing
   ``--change-share`` of the items (updates, plus as many inserts and deletes as a tenth of them), then
   ``convert_export`` merges it through the on-disk change index. Base items/s.

Both run on one thread, as the convert Lambda does; figures go to docs/bench/results.json (``export``).
"""

from __future__ import annotations

import argparse
import gzip
import os
import time
from typing import Any

import boto3
import orjson
from moto import mock_aws

from demand_pipeline import export as ddb_export
from itc_common_utilities.s3 import JsonlGzS3Writer
from scripts.bench import results
from scripts.synthetic.exchange import ExchangeConfig, iter_records

BUCKET = "itc-bench-export"
REGION = "us-east-1"
TABLE = "documents"


def _documents(demands: int, seed: int) -> list[dict[str, Any]]:
    return [item for table, item in iter_records(ExchangeConfig(demands=demands, seed=seed), dynamo=True)
            if table == TABLE]


def _export(run_id: str, export_type: str, **extra: Any) -> dict[str, Any]:
    return {"table": TABLE, "dynamodb_table": f"exchange-bench-{TABLE}", "export_arn": f"arn:bench:{run_id}",
            "export_type": export_type, "started_at": "2026-12-02T05:00:00+00:00", **extra}


def full_conversion(s3: Any, items: list[dict[str, Any]]) -> tuple[float, dict[str, Any]]:
    """Seconds to convert a full export of ``items``, and the converted file's manifest entry."""
    prefix = ddb_export.export_prefix(TABLE, "full")
    with JsonlGzS3Writer(s3, BUCKET, f"{prefix}/AWSDynamoDB/01700000000000-full/data/part-0.json.gz") as writer:
        for item in items:
            writer.write_line(orjson.dumps({"Item": item}) + b"\n")
    description = {"ExportStatus": "COMPLETED", "S3Prefix": prefix, "ItemCount": len(items)}
    started = time.perf_counter()
    converted = ddb_export.convert_export(None, s3, bucket=BUCKET, run_id="full", export=_export("full", "FULL_EXPORT"),
                                          description=description)
    return time.perf_counter() - started, converted["file"]


def _changes(items: list[dict[str, Any]], share: float) -> list[dict[str, Any]]:
    step = max(1, round(1 / share)) if share > 0 else len(items) + 1
    micros = {"WriteTimestampMicros": {"N": "1764651600000000"}}
    changes = []
    for n, item in enumerate(items[::step]):
        keys = {"documentId": item["documentId"], "version": item["version"]}
        if n % 10 == 0:  # a delete, and an insert of a new version
            changes.append({"Metadata": micros, "Keys": keys, "OldImage": item})
            new = {**item, "version": {"N": str(int(item["version"]["N"]) + 1000)}}
            changes.append({"Metadata": micros, "Keys": {**keys, "version": new["version"]}, "NewImage": new})
        else:
            changes.append({"Metadata": micros, "Keys": keys, "OldImage": item,
                            "NewImage": {**item, "customerId": {"S": f"bench-{n}"}}})
    return changes


def incremental_merge(s3: Any, base: dict[str, Any], changes: list[dict[str, Any]]) -> float:
    """Seconds to merge ``changes`` (an incremental export as AWS writes it) onto the ``base`` snapshot file."""
    prefix = f"{ddb_export.export_prefix(TABLE, 'incr')}/AWSDynamoDB/01700000000000-incr"
    data, files, summary = f"{prefix}/data/part-0.json.gz", f"{prefix}/manifest-files.json", \
        f"{prefix}/manifest-summary.json"
    s3.put_object(Bucket=BUCKET, Key=data, Body=gzip.compress(b"".join(orjson.dumps(c) + b"\n" for c in changes)))
    s3.put_object(Bucket=BUCKET, Key=files, Body=orjson.dumps(
        {"itemCount": len(changes), "dataFileS3Key": data}) + b"\n")
    s3.put_object(Bucket=BUCKET, Key=summary, Body=orjson.dumps(
        {"exportType": "INCREMENTAL_EXPORT", "itemCount": len(changes), "manifestFilesS3Key": files}))
    description = {"ExportStatus": "COMPLETED", "ExportManifest": summary, "S3Prefix": prefix,
                   "ExportType": "INCREMENTAL_EXPORT",
                   "IncrementalExportSpecification": {"ExportToTime": "2026-12-03T05:00:00+00:00"}}
    export = _export("incr", "INCREMENTAL_EXPORT", base_key=base["key"], base_sha256=base["sha256"])
    started = time.perf_counter()
    ddb_export.convert_export(None, s3, bucket=BUCKET, run_id="incr", export=export, description=description)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demands", type=int, default=int(os.environ.get("ITC_BENCH_EXPORT_DEMANDS", "20000")))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--change-share", type=float, default=0.05, help="share of items an incremental changes")
    args = parser.parse_args(argv)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "bench")
    items = _documents(args.demands, args.seed)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        convert_s, base = full_conversion(s3, items)
        changes = _changes(items, args.change_share)
        merge_s = incremental_merge(s3, base, changes)
    convert_rate, merge_rate = len(items) / convert_s, len(items) / merge_s
    print(f"export bench: {args.demands:,} demands, {len(items):,} {TABLE} items (seed {args.seed})")
    print(f"  full export conversion   {convert_s:7.2f} s  {convert_rate:10,.0f} items/s")
    print(f"  incremental merge        {merge_s:7.2f} s  {merge_rate:10,.0f} base items/s  "
          f"({len(changes):,} change lines, {args.change_share:.0%} of the items)")
    results.record("export", {"items": len(items), "convert_items_per_s": round(convert_rate),
                              "merge_base_items_per_s": round(merge_rate), "change_lines": len(changes)},
                   {"demands": args.demands, "seed": args.seed, "change_share": args.change_share})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
