"""One demand extract run whose tables mix modes (``ITC_EXTRACT_MODE``): scan tables in the Lambda, export tables
by DynamoDB (demand_pipeline.export). The manifest is written last, once every table's file is written.

The steps (the ``step`` of an extract event; the ingest state machine calls them in order, waiting between polls):

- ``start``: refuse a landed run id, start every export-mode table's export (first, so DynamoDB works while the
  Lambda scans), scan the scan-mode tables. With no export-mode table it writes the manifest at once and the run
  is over (``pending`` false): exactly the scan extract.
- ``poll`` (one export): its status; a FAILED export fails the run.
- ``convert`` (one export): the table's snapshot file from its completed export.
- ``finish``: the signed manifest of every file, then each exported table's export state. It signs only what
  it reads itself (:func:`reread_files`): each table's file under the run's folder, its size, sha256, line count
  and S3 version as read back from S3, and its own clock for ``extracted_at``. The file lists, counts and times
  in the event (the start step's output, as the state machine passes it on) are never signed: whoever may
  invoke the function cannot make it sign a file, a count or a date it did not find.

Without a ``step`` (local runs, ``itc``), :func:`run_all` runs them in one process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from demand_pipeline import export as ddb_export
from demand_pipeline.export import ExportFailedError, file_dict
from demand_pipeline.extract import SOURCE, finish_snapshot, scan_tables
from demand_pipeline.settings import SNAPSHOT_TABLES, DemandSettings
from itc_common_utilities.manifest import ManifestFile, data_key, snapshot_prefix, validate_run_id
from itc_common_utilities.s3 import JsonlGzReader, refuse_existing_snapshot
from itc_common_utilities.signature import ManifestMac

STEPS = ("start", "poll", "convert", "finish")
POLL_SECONDS = 60     # the state machine's Wait between polls (ingest.asl.json)
MAX_POLLS = 240       # ... and how many polls before the run fails (4 hours)


@dataclass(frozen=True)
class ExtractContext:
    """What every step needs: the Exchange client, ITC's S3 client, the settings, the run."""

    dynamodb: Any
    s3: Any
    settings: DemandSettings
    run_id: str
    logger: Any
    bucket_owner: str = ""
    mac: ManifestMac | None = None

    @property
    def bucket(self) -> str:
        return self.settings.landing_bucket


def start(ctx: ExtractContext, *, now: datetime | None = None) -> dict[str, Any]:
    validate_run_id(ctx.run_id)
    refuse_existing_snapshot(ctx.s3, ctx.bucket, SOURCE, ctx.run_id)
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    exports = [ddb_export.start_export(ctx.dynamodb, ctx.s3, bucket=ctx.bucket, bucket_owner=ctx.bucket_owner,
                            kms_key_arn=ctx.settings.landing_kms_key_arn, table=table, dynamo_table=name,
                            run_id=ctx.run_id, now=now)
               for table, name in ctx.settings.tables_in_mode("export").items()]
    for export in exports:
        ctx.logger.info("export started", extra={k: export[k] for k in ("table", "export_type", "reason")})
    files, tables = scan_tables(ctx.dynamodb, ctx.s3, bucket=ctx.bucket, run_id=ctx.run_id,
                                table_names=ctx.settings.tables_in_mode("scan"), segments=ctx.settings.scan_segments,
                                page_limit=ctx.settings.scan_page_limit, logger=ctx.logger)
    if not exports:
        summary = finish_snapshot(ctx.s3, bucket=ctx.bucket, run_id=ctx.run_id, extracted_at=now.isoformat(),
                                  files=files, tables=tables, logger=ctx.logger, started=started, mac=ctx.mac)
        return {**summary, "step": "start", "pending": False, "exports": []}
    return {"mode": "extract", "step": "start", "source": SOURCE, "run_id": ctx.run_id, "pending": True,
            "extracted_at": now.isoformat(), "files": [file_dict(f) for f in files], "tables": tables,
            "exports": exports}


def poll(ctx: ExtractContext, export: dict[str, Any]) -> dict[str, Any]:
    return {"mode": "extract", "step": "poll", **ddb_export.poll_export(ctx.dynamodb, export)}


def convert(ctx: ExtractContext, export: dict[str, Any]) -> dict[str, Any]:
    converted = ddb_export.convert_export(ctx.dynamodb, ctx.s3, bucket=ctx.bucket, run_id=ctx.run_id, export=export,
                               logger=ctx.logger)
    return {"mode": "extract", "step": "convert", **converted}


def reread_files(s3_client: Any, bucket: str, run_id: str) -> list[ManifestFile]:
    """The manifest entry of each table's file of the run, from S3 itself: listed under the run's folder, read
    back whole (bytes, sha256, lines = records) at the version read. A table without its file fails the run."""
    listed: set[str] = set()
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                     Prefix=snapshot_prefix(SOURCE, run_id)):
        listed |= {o["Key"] for o in page.get("Contents", [])}
    missing = [t for t in SNAPSHOT_TABLES if data_key(SOURCE, run_id, t) not in listed]
    if missing:
        raise ExportFailedError(f"no snapshot file for {', '.join(missing)} under s3://{bucket}/"
                                f"{snapshot_prefix(SOURCE, run_id)}: the manifest is not written")
    files = []
    for table in SNAPSHOT_TABLES:
        key = data_key(SOURCE, run_id, table)
        obj = s3_client.get_object(Bucket=bucket, Key=key)
        reader = JsonlGzReader(obj["Body"], name=key, compressed_bytes=obj.get("ContentLength"))
        for _ in reader.batches():
            pass
        files.append(ManifestFile(table=table, key=key, records=reader.records, bytes=reader.bytes,
                                  sha256=reader.sha256, version_id=obj.get("VersionId") or None))
    return files


def finish(ctx: ExtractContext, started: dict[str, Any], converted: list[dict[str, Any]], *,
           now: datetime | None = None) -> dict[str, Any]:
    """The manifest of every table's file as read back from S3 (:func:`reread_files`), dated by this step's own
    clock (``now``), then the export states. The event's files, counts and ``extracted_at`` (``started``, each
    ``converted["file"]``) are ignored: only which exports were converted is taken from it."""
    t0 = time.perf_counter()
    refuse_existing_snapshot(ctx.s3, ctx.bucket, SOURCE, ctx.run_id)
    extracted_at = (now or datetime.now(UTC)).isoformat()
    files = reread_files(ctx.s3, ctx.bucket, ctx.run_id)
    tables = {f.table: {"records": f.records, "bytes": f.bytes} for f in files}
    summary = finish_snapshot(ctx.s3, bucket=ctx.bucket, run_id=ctx.run_id, extracted_at=extracted_at,
                              files=files, tables=tables, logger=ctx.logger, started=t0, mac=ctx.mac)
    by_table = {f.table: f for f in files}
    exported = ctx.settings.tables_in_mode("export")
    states = [c["state"] | {"table": c["table"], "snapshot_key": by_table[c["table"]].key,
                            "sha256": by_table[c["table"]].sha256}
              for c in converted if c.get("table") in exported and isinstance(c.get("state"), dict)]
    for state in states:  # after the manifest: a run that never lands is never continued from
        ddb_export.record_export_state(ctx.s3, ctx.bucket, state)
    return {**summary, "step": "finish", "exports": [{"table": s["table"], "export_type": s.get("export_type")}
                                                     for s in states]}


def run_all(ctx: ExtractContext, *, sleep: Callable[[float], None] = time.sleep, poll_seconds: float = 1.0,
            max_polls: int = MAX_POLLS) -> dict[str, Any]:
    """Every step in this process (local runs): start, poll each export until it completes, convert, finish."""
    started = start(ctx)
    if not started["pending"]:
        return {k: v for k, v in started.items() if k not in ("step", "pending", "exports")}
    converted = []
    for export in started["exports"]:
        for attempt in range(max_polls):
            if poll(ctx, export)["status"] == "COMPLETED":
                break
            if attempt == max_polls - 1:
                raise ExportFailedError(f"the export of {export['table']} did not complete after {max_polls} polls")
            sleep(poll_seconds)
        converted.append(convert(ctx, export))
    return finish(ctx, started, converted)
