"""Extract: parallel-scan the four Exchange DynamoDB tables into one immutable landing snapshot.

``s3://<landing>/demand/run=<run_id>/<table>.jsonl.gz`` per table, then ``_manifest.json`` LAST, so a manifest
event always finds complete files. Segments are scanned by threads feeding a bounded queue, so
memory stays flat however large a table grows: at most ``2 × segments`` pages are in flight.
Items are written as plain JSON (DynamoDB typing removed with :func:`values.deep_plain`; binary
values as base64 text): the snapshot is readable, and the load's hot path meets the cheap plain
shape. Values the source itself stores as JSON text stay text (the builders parse them).
Throttling (``ProvisionedThroughputExceededException``, ``ThrottlingException``,
``RequestLimitExceeded``) is retried with exponential backoff and full jitter; when the retries run
out the error is a :class:`TransientError` (Step Functions retries the run).

Past one Lambda (docs/adr/0013-segmented-scan-extract.md): :func:`plan_parts` reads each table's size
(DescribeTable) and splits a large table into parts; :func:`scan_part` scans one part (its own range of the
table's parallel-scan segments) into its own part file ``<table>/part-00003-of-00008.jsonl.gz``, one Lambda call
per part (the ingest state machine's Distributed Map). A part ``p`` of ``P`` scanned with ``k`` threads scans
segments ``p*k`` .. ``p*k+k-1`` of ``TotalSegments = P*k``: the parts of a table cover every segment once, so
their union is one full scan. One part (a small table) is exactly the scan in one Lambda.
"""

from __future__ import annotations

import base64
import math
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
from botocore.exceptions import ClientError

from demand_pipeline.builders.values import deep_plain
from itc_common_utilities.errors import TerminalError, TransientError
from itc_common_utilities.manifest import Manifest, ManifestFile, data_key, part_key, validate_run_id
from itc_common_utilities.s3 import JsonlGzS3Writer, refuse_existing_snapshot, write_manifest
from itc_common_utilities.signature import ManifestMac

SOURCE = "demand"
THROTTLE_CODES = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
})
AUDIT_ACTION = "DemandArchived"
MAX_PARTS_PER_TABLE = 100  # the Map's results (about 200 bytes a part) stay far below Step Functions' 256 KiB
PART_SCAN_BYTES = 4 * 1024**3  # ... and at most about this much table (DescribeTable TableSizeBytes) per part
_DONE = object()


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"cannot write a {type(value).__name__} to JSON")


def item_line(item: dict[str, Any]) -> bytes:
    """One DynamoDB item as a plain JSON Lines line."""
    return orjson.dumps(deep_plain({"M": item}), default=_json_default, option=orjson.OPT_NON_STR_KEYS) + b"\n"


def assume_exchange_session(sts_client: Any, role_arn: str, external_id: str | None, *,
                            session_name: str = "itc-demand-extract") -> dict[str, str]:
    """Credentials (for a boto3 client) of the cross-account Exchange role."""
    kwargs: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": session_name, "DurationSeconds": 3600}
    if external_id:
        kwargs["ExternalId"] = external_id
    creds = sts_client.assume_role(**kwargs)["Credentials"]
    return {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"]}


def backoff_delay(attempt: int, *, base: float = 0.05, cap: float = 20.0) -> float:
    """Exponential backoff with full jitter: uniform(0, min(cap, base × 2^attempt))."""
    return random.uniform(0, min(cap, base * 2**attempt))  # noqa: S311 - jitter, not cryptography


def scan_page(client: Any, kwargs: dict[str, Any], *, max_attempts: int = 10,
              sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """One Scan call, retried on throttling."""
    for attempt in range(max_attempts):
        try:
            return client.scan(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code not in THROTTLE_CODES:
                raise TerminalError(f"scanning {kwargs['TableName']} failed: {code or exc}") from None
            if attempt == max_attempts - 1:
                raise TransientError(f"scanning {kwargs['TableName']}: still throttled after "
                                     f"{max_attempts} attempts ({code})") from None
            sleep(backoff_delay(attempt))
    raise AssertionError("unreachable")


def scan_table(client: Any, table: str, *, segments: int, page_limit: int,
               filter_action: str | None = None, sleep: Callable[[float], None] = time.sleep,
               first_segment: int = 0, total_segments: int | None = None) -> Iterator[dict[str, Any]]:
    """Every item of ``table`` (parallel scan), streamed through a bounded queue: ``segments`` threads scan
    segments ``first_segment`` .. ``first_segment + segments - 1`` of ``total_segments`` (default ``segments``:
    the whole table)."""
    total = total_segments or segments
    if not 0 <= first_segment or first_segment + segments > total:
        raise ValueError(f"segments {first_segment}..{first_segment + segments - 1} are not within {total}")
    pages: queue.Queue[Any] = queue.Queue(maxsize=2 * segments)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                pages.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def worker(segment: int) -> None:
        kwargs: dict[str, Any] = {"TableName": table, "Segment": first_segment + segment, "TotalSegments": total,
                                  "Limit": page_limit, "ConsistentRead": False}
        if filter_action is not None:
            kwargs["FilterExpression"] = "actionType = :action"
            kwargs["ExpressionAttributeValues"] = {":action": {"S": filter_action}}
        try:
            while not stop.is_set():
                page = scan_page(client, kwargs, sleep=sleep)
                if page.get("Items") and not put(page["Items"]):
                    return
                last = page.get("LastEvaluatedKey")
                if not last:
                    break
                kwargs["ExclusiveStartKey"] = last
            put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
            put(exc)

    threads = [threading.Thread(target=worker, args=(s,), name=f"scan-{table}-{s}", daemon=True)
               for s in range(segments)]
    for t in threads:
        t.start()
    try:
        finished = 0
        while finished < segments:
            got = pages.get()
            if got is _DONE:
                finished += 1
            elif isinstance(got, BaseException):
                raise got
            else:
                yield from got
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)


def scan_tables(dynamodb: Any, s3_client: Any, *, bucket: str, run_id: str, table_names: dict[str, str],
                segments: int, page_limit: int, logger: Any, s3_extra_args: dict[str, Any] | None = None,
                ) -> tuple[list[ManifestFile], dict[str, dict[str, int]]]:
    """Scan each table into its file of the snapshot of ``run_id``; return the manifest entries and per-table stats."""
    files: list[ManifestFile] = []
    tables: dict[str, dict[str, int]] = {}
    for snapshot_table, dynamo_table in table_names.items():
        t0 = time.perf_counter()
        key = data_key(SOURCE, run_id, snapshot_table)
        action = AUDIT_ACTION if snapshot_table == "documents_audit" else None
        with JsonlGzS3Writer(s3_client, bucket, key, extra_args=s3_extra_args) as writer:
            for item in scan_table(dynamodb, dynamo_table, segments=segments, page_limit=page_limit,
                                   filter_action=action):
                writer.write_line(item_line(item))
        files.append(writer.manifest_file(snapshot_table))
        duration_ms = int((time.perf_counter() - t0) * 1000)
        tables[snapshot_table] = {"records": writer.records, "bytes": writer.bytes, "duration_ms": duration_ms}
        logger.info("table extracted", extra={"table": snapshot_table, "dynamodb_table": dynamo_table,
                                              "rows": writer.records, "bytes": writer.bytes,
                                              "duration_ms": duration_ms})
    return files, tables


def plan_parts(dynamodb: Any, table_names: dict[str, str], *, part_items: int,
               part_bytes: int = PART_SCAN_BYTES) -> dict[str, int]:
    """How many parts each table is scanned in: enough that no part holds more than ``part_items`` items or
    ``part_bytes`` bytes by DescribeTable's ItemCount and TableSizeBytes (DynamoDB refreshes them about every
    six hours: the margin in ``part_items`` covers the growth in between), at most ``MAX_PARTS_PER_TABLE``."""
    plan = {}
    for snapshot_table, dynamo_table in table_names.items():
        try:
            described = dynamodb.describe_table(TableName=dynamo_table)["Table"]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in THROTTLE_CODES:
                raise TransientError(f"DynamoDB: cannot describe {dynamo_table} now ({code})") from None
            raise TerminalError(f"DynamoDB: cannot describe {dynamo_table}: {code or exc}") from None
        items, size = int(described.get("ItemCount") or 0), int(described.get("TableSizeBytes") or 0)
        plan[snapshot_table] = max(1, min(MAX_PARTS_PER_TABLE, max(math.ceil(items / part_items),
                                                                    math.ceil(size / part_bytes))))
    return plan


def part_items(plan: dict[str, int], *, threads: int) -> list[dict[str, Any]]:
    """The Map's items: one per part of each table (``threads``: the scan threads in each part's Lambda, so
    every part of a table agrees on ``TotalSegments = parts * threads``)."""
    return [{"table": table, "part": part, "parts": parts, "threads": threads}
            for table, parts in plan.items() for part in range(parts)]


def scan_part(dynamodb: Any, s3_client: Any, *, bucket: str, run_id: str, table: str, dynamo_table: str, part: int,
              parts: int, threads: int, page_limit: int, logger: Any,
              s3_extra_args: dict[str, Any] | None = None) -> dict[str, Any]:
    """Scan part ``part`` of ``parts`` of one table (``threads`` segments of ``parts * threads``) into its own part
    file; what was written (key, records, bytes, sha256, S3 version)."""
    validate_run_id(run_id)
    t0 = time.perf_counter()
    key = part_key(SOURCE, run_id, table, part, parts)
    action = AUDIT_ACTION if table == "documents_audit" else None
    with JsonlGzS3Writer(s3_client, bucket, key, extra_args=s3_extra_args) as writer:
        for item in scan_table(dynamodb, dynamo_table, segments=threads, page_limit=page_limit,
                               filter_action=action, first_segment=part * threads, total_segments=parts * threads):
            writer.write_line(item_line(item))
    duration_ms = int((time.perf_counter() - t0) * 1000)
    logger.info("part extracted", extra={"table": table, "dynamodb_table": dynamo_table, "part": part,
                                         "parts": parts, "rows": writer.records, "bytes": writer.bytes,
                                         "duration_ms": duration_ms})
    return {"table": table, "part": part, "parts": parts, "key": key, "records": writer.records,
            "bytes": writer.bytes, "sha256": writer.sha256, "version_id": writer.version_id,
            "duration_ms": duration_ms}


def finish_snapshot(s3_client: Any, *, bucket: str, run_id: str, extracted_at: str, files: list[ManifestFile],
                    tables: dict[str, dict[str, int]], logger: Any, started: float,
                    s3_extra_args: dict[str, Any] | None = None, mac: ManifestMac | None = None) -> dict[str, Any]:
    """Write the snapshot's signed manifest (last, once every table's file is written); return the summary."""
    manifest = Manifest(source=SOURCE, run_id=run_id, extracted_at=extracted_at, files=tuple(files))
    manifest_key = write_manifest(s3_client, bucket, manifest, mac=mac, **(s3_extra_args or {}))
    summary = {"mode": "extract", "source": SOURCE, "run_id": run_id, "bucket": bucket,
               "manifest_key": manifest_key, "tables": tables,
               "records": sum(t["records"] for t in tables.values()),
               "duration_ms": int((time.perf_counter() - started) * 1000)}
    logger.info("snapshot written", extra={k: v for k, v in summary.items() if k != "tables"})
    return summary


def extract(dynamodb: Any, s3_client: Any, *, bucket: str, run_id: str, table_names: dict[str, str],
            segments: int, page_limit: int, logger: Any, s3_extra_args: dict[str, Any] | None = None,
            mac: ManifestMac | None = None) -> dict[str, Any]:
    """Scan every table into the landing snapshot of ``run_id`` and write its manifest last. A run id
    that already has a manifest is refused: snapshots are immutable. ``mac`` signs the manifest (default: the
    key of ``ITC_MANIFEST_MAC_KEY_ID``, :mod:`itc_common_utilities.signature`)."""
    validate_run_id(run_id)
    refuse_existing_snapshot(s3_client, bucket, SOURCE, run_id)
    started = time.perf_counter()
    extracted_at = datetime.now(UTC).isoformat()
    files, tables = scan_tables(dynamodb, s3_client, bucket=bucket, run_id=run_id, table_names=table_names,
                                segments=segments, page_limit=page_limit, logger=logger, s3_extra_args=s3_extra_args)
    return finish_snapshot(s3_client, bucket=bucket, run_id=run_id, extracted_at=extracted_at, files=files,
                           tables=tables, logger=logger, started=started, s3_extra_args=s3_extra_args, mac=mac)
