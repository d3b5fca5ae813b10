"""Extract an Exchange table with DynamoDB's own engine: ExportTableToPointInTime into the landing bucket, then
convert the export into the table's file of the landing snapshot (the same contract as the scan).

Three steps, each a short Lambda call (the ingest state machine waits between them, so no Lambda waits for
DynamoDB; locally :func:`demand_pipeline.extract_run.run_all` runs them in one process):

1. :func:`start_export`: a **full** export the first time (or when the previous one is too old, see
   :func:`plan_export`), afterwards an **incremental** export of the changes since the previous export's end
   (``NEW_AND_OLD_IMAGES``). It writes to ``s3://<landing>/exports/<table>/<run_id>/AWSDynamoDB/<ExportId>/``
   with ``S3BucketOwner`` = ITC's account, ``DYNAMODB_JSON`` and SSE-KMS with the landing key. The client token
   is derived from the run and table, so a retried start within 8 hours returns the same export.
2. :func:`poll_export`: ``DescribeExport``; ``IN_PROGRESS`` / ``COMPLETED``; ``FAILED`` raises
   :class:`ExportFailedError` (terminal: the run fails with DynamoDB's failure code and message).
3. :func:`convert_export`: streams the export's ``data/*.json.gz`` (DynamoDB JSON lines ``{"Item": {...}}``) into
   ``demand/run=<run_id>/<table>.jsonl.gz`` through the scan's own line writer (:func:`extract.item_line`), so an
   exported table's file is byte-for-byte the file a scan of the same items would write (up to line order).
   An incremental export is merged with the table's previous snapshot file (:mod:`demand_pipeline.export_merge`):
   the load contract is a FULL snapshot per table (the load deletes keys a snapshot lacks).

Which export a table's next run continues from is recorded in ``exports/<table>/_state.json`` (export ARN, the
time the export reflects, the snapshot file holding the full state then, its sha256), written by
:func:`record_export_state` only after the run's manifest is written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from botocore.exceptions import ClientError

from demand_pipeline.extract import AUDIT_ACTION, SOURCE, item_line
from itc_common_utilities.errors import TerminalError, TransientError
from itc_common_utilities.manifest import ManifestFile, data_key
from itc_common_utilities.s3 import JsonlGzReader, JsonlGzS3Writer, parse_json_line

EXPORT_PREFIX = "exports"
STATE_NAME = "_state.json"
FULL, INCREMENTAL = "FULL_EXPORT", "INCREMENTAL_EXPORT"
MIN_WINDOW = timedelta(minutes=15)   # AWS: an incremental export covers at least 15 minutes ...
MAX_WINDOW = timedelta(hours=24)     # ... and at most 24 hours
PITR_LAG = timedelta(minutes=5)      # an incremental export ends this long before now (PITR's latest restorable time)
MAX_STALENESS = timedelta(hours=1)   # a window longer than 24 h by at most this ends at from + 24 h; beyond: full
_TRANSIENT_CODES = frozenset({"ThrottlingException", "LimitExceededException", "InternalServerError",
                              "RequestLimitExceeded", "ProvisionedThroughputExceededException"})


class ExportFailedError(TerminalError):
    """DynamoDB reports the export FAILED (or it cannot be started or read): the run fails, nothing is landed."""


def _dynamo_call(call: Any, doing: str) -> Any:
    try:
        return call()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "?")
        message = exc.response.get("Error", {}).get("Message", "")
        if code in _TRANSIENT_CODES:
            raise TransientError(f"DynamoDB: cannot {doing} now ({code})") from None
        raise ExportFailedError(f"DynamoDB: cannot {doing}: {code}: {message}"[:500]) from None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def state_key(table: str) -> str:
    return f"{EXPORT_PREFIX}/{table}/{STATE_NAME}"


def export_prefix(table: str, run_id: str) -> str:
    """The export's S3Prefix (DynamoDB adds ``/AWSDynamoDB/<ExportId>/...``)."""
    return f"{EXPORT_PREFIX}/{table}/{run_id}"


def read_export_state(s3_client: Any, bucket: str, table: str) -> dict[str, Any] | None:
    """The table's previous export (``exports/<table>/_state.json``), or None when no export was recorded."""
    try:
        body = s3_client.get_object(Bucket=bucket, Key=state_key(table))["Body"].read(1 << 16)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return None
        raise
    state = json.loads(body)
    if not isinstance(state, dict) or not {"export_to", "snapshot_key", "sha256"} <= set(state):
        raise TerminalError(f"s3://{bucket}/{state_key(table)} is not an export state (delete it to start over "
                            "with a full export)")
    return state


def plan_export(previous: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    """Full or incremental, and the incremental's window, from the previous export and the current time.

    - no previous export: full;
    - ``end - from`` in 15 min .. 24 h (``end`` = now - 5 min, PITR's latest restorable time): incremental
      ``from .. end``;
    - longer than 24 h by at most 1 h (a daily schedule that started a little late): incremental
      ``from .. from + 24 h`` (the snapshot then reflects the table up to an hour before the run);
    - shorter than 15 minutes or longer than 25 h (a missed day): full. A full export is always a correct
      full snapshot; an incremental one only saves cost.
    """
    if previous is None:
        return {"export_type": FULL, "reason": "no previous export recorded"}
    start = _time(previous["export_to"])
    end = now - PITR_LAG
    window = end - start
    if window < MIN_WINDOW:
        return {"export_type": FULL, "reason": f"only {window} since the previous export (minimum {MIN_WINDOW})"}
    if window > MAX_WINDOW + MAX_STALENESS:
        return {"export_type": FULL, "reason": f"{window} since the previous export (maximum {MAX_WINDOW})"}
    return {"export_type": INCREMENTAL, "export_from": _iso(start), "export_to": _iso(min(end, start + MAX_WINDOW)),
            "base_key": previous["snapshot_key"], "base_sha256": previous["sha256"],
            "reason": "changes since the previous export"}


def table_arn(dynamodb: Any, dynamo_table: str) -> str:
    return _dynamo_call(lambda: dynamodb.describe_table(TableName=dynamo_table), f"describe {dynamo_table}")[
        "Table"]["TableArn"]


def start_export(dynamodb: Any, s3_client: Any, *, bucket: str, bucket_owner: str, kms_key_arn: str | None,
                 table: str, dynamo_table: str, run_id: str, now: datetime | None = None) -> dict[str, Any]:
    """Start the table's export; return the JSON-able description the poll and convert steps take."""
    now = now or datetime.now(UTC)
    plan = plan_export(read_export_state(s3_client, bucket, table), now)
    kwargs: dict[str, Any] = {
        "TableArn": table_arn(dynamodb, dynamo_table), "S3Bucket": bucket, "S3BucketOwner": bucket_owner,
        "S3Prefix": export_prefix(table, run_id), "ExportFormat": "DYNAMODB_JSON", "ExportType": plan["export_type"],
        "ClientToken": hashlib.sha256(f"itc:{run_id}:{table}".encode()).hexdigest()[:64],
    }
    if kms_key_arn:
        kwargs.update(S3SseAlgorithm="KMS", S3SseKmsKeyId=kms_key_arn)
    if plan["export_type"] == INCREMENTAL:
        kwargs["IncrementalExportSpecification"] = {
            "ExportFromTime": _time(plan["export_from"]), "ExportToTime": _time(plan["export_to"]),
            "ExportViewType": "NEW_AND_OLD_IMAGES"}
    answer = _dynamo_call(lambda: dynamodb.export_table_to_point_in_time(**kwargs), f"export {dynamo_table}")
    return {"table": table, "dynamodb_table": dynamo_table, "export_arn": answer["ExportDescription"]["ExportArn"],
            "started_at": _iso(now), **plan}


def poll_export(dynamodb: Any, export: dict[str, Any]) -> dict[str, Any]:
    """``{"status": "IN_PROGRESS" | "COMPLETED"}``; a FAILED export raises :class:`ExportFailedError`."""
    description = describe_export(dynamodb, export)
    refuse_failed(export, description)
    return {"table": export["table"], "status": description["ExportStatus"]}


def refuse_failed(export: dict[str, Any], description: dict[str, Any]) -> None:
    if description["ExportStatus"] == "FAILED":
        raise ExportFailedError(f"the DynamoDB export of {export['table']} ({export['dynamodb_table']}, "
                                f"{export['export_type']}) FAILED: {description.get('FailureCode') or '?'}: "
                                f"{description.get('FailureMessage') or 'no message'}"[:500])


def describe_export(dynamodb: Any, export: dict[str, Any]) -> dict[str, Any]:
    return _dynamo_call(lambda: dynamodb.describe_export(ExportArn=export["export_arn"]),
                        f"describe the export of {export['dynamodb_table']}")["ExportDescription"]


def _read_small(s3_client: Any, bucket: str, key: str) -> bytes:
    return s3_client.get_object(Bucket=bucket, Key=key)["Body"].read(64 << 20)


def export_data_files(s3_client: Any, bucket: str, description: dict[str, Any]) -> list[tuple[str, int | None]]:
    """``(key, item count or None)`` of every data file of a completed export.

    AWS names them in ``manifest-files.json`` (JSON lines ``{"itemCount", "dataFileS3Key", ...}``), found through
    ``manifest-summary.json`` (``ExportManifest`` of DescribeExport). An export that has no manifest (moto writes
    only the data file) is read from its ``data/`` objects under the export's prefix.
    """
    summary_key = description.get("ExportManifest")
    if summary_key:
        summary = json.loads(_read_small(s3_client, bucket, summary_key))
        lines = _read_small(s3_client, bucket, summary["manifestFilesS3Key"]).splitlines()
        entries = [json.loads(line) for line in lines if line.strip()]
        return [(e["dataFileS3Key"], int(e["itemCount"])) for e in entries]
    prefix = f"{description['S3Prefix'].rstrip('/')}/AWSDynamoDB/"
    keys: list[tuple[str, int | None]] = []
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [(o["Key"], None) for o in page.get("Contents", []) if "/data/" in o["Key"]]
    return sorted(keys)


def export_lines(s3_client: Any, bucket: str, description: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every JSON line of the export's data files, one at a time (a data file is gzip JSON Lines); each file's
    line count is checked against the export manifest's ``itemCount``."""
    for key, expected in export_data_files(s3_client, bucket, description):
        obj = s3_client.get_object(Bucket=bucket, Key=key)
        reader = JsonlGzReader(obj["Body"], name=key, compressed_bytes=obj.get("ContentLength"))
        for number, line in reader:
            if line.strip():
                yield parse_json_line(key, number, line)
        if expected is not None and reader.records != expected:
            raise ExportFailedError(f"{key}: the export manifest says {expected} items, the file has {reader.records}")


def keep_item(table: str, item: dict[str, Any]) -> bool:
    """The scan's filter, applied to exported items: documents_audit keeps only ``DemandArchived`` records."""
    return table != "documents_audit" or item.get("actionType") == {"S": AUDIT_ACTION}


def convert_export(dynamodb: Any, s3_client: Any, *, bucket: str, run_id: str, export: dict[str, Any],
                   s3_extra_args: dict[str, Any] | None = None, logger: Any = None,
                   description: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write the table's snapshot file from its completed export; return its manifest entry and next state.

    ``description`` is DescribeExport's answer (read when not given)."""
    from demand_pipeline.export_merge import merge_incremental  # the merge's own module (sqlite, temp files)

    description = description or describe_export(dynamodb, export)
    refuse_failed(export, description)
    if description["ExportStatus"] != "COMPLETED":
        raise ExportFailedError(f"the export of {export['table']} is {description['ExportStatus']}, not COMPLETED")
    table = export["table"]
    key = data_key(SOURCE, run_id, table)
    with JsonlGzS3Writer(s3_client, bucket, key, extra_args=s3_extra_args) as writer:
        if export["export_type"] == INCREMENTAL:
            merge_incremental(s3_client, bucket, export, export_lines(s3_client, bucket, description), writer,
                              keep=lambda item: keep_item(table, item))
        else:
            exported = 0
            for line in export_lines(s3_client, bucket, description):
                exported += 1
                if keep_item(table, line["Item"]):
                    writer.write_line(item_line(line["Item"]))
            count = description.get("ItemCount")
            if count is not None and count != exported:
                raise ExportFailedError(f"the export of {table} says {count} items, its files hold {exported}")
    file = writer.manifest_file(table)
    export_to = (description.get("IncrementalExportSpecification", {}).get("ExportToTime")
                 or description.get("ExportTime") or export.get("export_to") or export["started_at"])
    state = {"table": table, "export_arn": export["export_arn"], "export_type": export["export_type"],
             "export_to": _iso(_time(export_to)), "run_id": run_id, "snapshot_key": file.key,
             "sha256": file.sha256}
    if logger is not None:
        logger.info("table exported", extra={"table": table, "export_type": export["export_type"],
                                             "rows": file.records, "bytes": file.bytes})
    return {"table": table, "file": file_dict(file), "state": state}


def file_dict(file: ManifestFile) -> dict[str, Any]:
    return {"table": file.table, "key": file.key, "records": file.records, "bytes": file.bytes, "sha256": file.sha256}


def record_export_state(s3_client: Any, bucket: str, state: dict[str, Any], **extra_args: Any) -> None:
    """Remember the export a table's next run continues from (after the run's manifest is written)."""
    s3_client.put_object(Bucket=bucket, Key=state_key(state["table"]), ContentType="application/json",
                         Body=orjson.dumps(state, option=orjson.OPT_INDENT_2), **extra_args)
