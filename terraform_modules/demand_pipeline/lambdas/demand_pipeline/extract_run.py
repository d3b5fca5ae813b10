"""One demand extract run whose tables mix modes (``ITC_EXTRACT_MODE``): scan tables in the Lambda, export tables
by DynamoDB (demand_pipeline.export). The manifest is written last, once every table's file is written.

The steps (the ``step`` of an extract event; the ingest state machine calls them in order, waiting between polls):

- ``start``: refuse a landed run id, plan the scan-mode tables (:func:`extract.plan_parts`: DescribeTable's size
  → how many parts), start every export-mode table's export (first, so DynamoDB works while the Lambda scans),
  scan the scan-mode tables when each fits one part. With no export-mode table and no table in parts it writes
  the manifest at once and the run is over (``pending`` false): exactly the scan extract. When a table needs
  more than one part, no table is scanned here: ``segments`` lists one item per part of every scan-mode table.
- ``scan`` (one part, an item of ``segments``): the part's file (:func:`extract.scan_part`); the state machine's
  Distributed Map runs one call per item.
- ``poll`` (one export): its status; a FAILED export fails the run.
- ``convert`` (one export): the table's snapshot file from its completed export.
- ``finish``: the signed manifest of every file, then each exported table's export state. It signs only what
  it reads itself (:func:`reread_files`): each table's file (or its parts) under the run's folder, its size,
  sha256, line count and S3 version as read back from S3, and its own clock for ``extracted_at``. A table's parts
  must be exactly ``part-0..N-1-of-N``, and each must match what its scan call reported (``scanned``, the Map's
  results): a part missing, extra or changed is refused and nothing is signed. The file lists, counts and times
  in the event (the start step's output, as the state machine passes it on) are never signed: whoever may
  invoke the function cannot make it sign a file, a count or a date it did not find.

Without a ``step`` (local runs, ``itc``), :func:`run_all` runs them in one process.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from demand_pipeline import export as ddb_export
from demand_pipeline.export import ExportFailedError, file_dict
from demand_pipeline.extract import (
    MAX_PARTS_PER_TABLE,
    SOURCE,
    finish_snapshot,
    part_items,
    plan_parts,
    scan_part,
    scan_tables,
)
from demand_pipeline.settings import SNAPSHOT_TABLES, DemandSettings
from itc_common_utilities.errors import TerminalError
from itc_common_utilities.manifest import (
    ManifestFile,
    ManifestPart,
    data_key,
    parse_part_key,
    parts_folder,
    snapshot_prefix,
    validate_run_id,
)
from itc_common_utilities.s3 import JsonlGzReader, refuse_existing_snapshot
from itc_common_utilities.signature import ManifestMac

STEPS = ("start", "scan", "poll", "convert", "finish")
POLL_SECONDS = 60     # the state machine's Wait between polls (ingest.asl.json)
MAX_POLLS = 240       # ... and how many polls before the run fails (4 hours)


class PartsError(TerminalError):
    """A table's parts are not one complete scan (a part missing, extra, changed, or from another plan)."""


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
    scanned = ctx.settings.tables_in_mode("scan")
    plan = plan_parts(ctx.dynamodb, scanned, part_items=ctx.settings.scan_part_items) if scanned else {}
    segments = part_items(plan, threads=ctx.settings.scan_segments) if any(n > 1 for n in plan.values()) else []
    if plan:
        ctx.logger.info("scan planned", extra={"plan": plan, "parts": len(segments) or len(plan)})
    exports = [ddb_export.start_export(ctx.dynamodb, ctx.s3, bucket=ctx.bucket, bucket_owner=ctx.bucket_owner,
                            kms_key_arn=ctx.settings.landing_kms_key_arn, table=table, dynamo_table=name,
                            run_id=ctx.run_id, now=now)
               for table, name in ctx.settings.tables_in_mode("export").items()]
    for export in exports:
        ctx.logger.info("export started", extra={k: export[k] for k in ("table", "export_type", "reason")})
    files: list[ManifestFile] = []
    tables: dict[str, dict[str, int]] = {}
    if not segments:  # every scan-mode table fits one Lambda: scanned here, as before parts
        files, tables = scan_tables(ctx.dynamodb, ctx.s3, bucket=ctx.bucket, run_id=ctx.run_id, table_names=scanned,
                                    segments=ctx.settings.scan_segments, page_limit=ctx.settings.scan_page_limit,
                                    logger=ctx.logger)
    if not exports and not segments:
        summary = finish_snapshot(ctx.s3, bucket=ctx.bucket, run_id=ctx.run_id, extracted_at=now.isoformat(),
                                  files=files, tables=tables, logger=ctx.logger, started=started, mac=ctx.mac)
        return {**summary, "step": "start", "pending": False, "segments": [], "exports": []}
    return {"mode": "extract", "step": "start", "source": SOURCE, "run_id": ctx.run_id, "pending": True,
            "extracted_at": now.isoformat(), "files": [file_dict(f) for f in files], "tables": tables,
            "segments": segments, "exports": exports}


def scan(ctx: ExtractContext, segment: dict[str, Any]) -> dict[str, Any]:
    """One part of one scan-mode table (an item of the start step's ``segments``) into its part file. The table's
    DynamoDB name comes from the settings, never from the event; a run that already has its manifest is refused."""
    scanned = ctx.settings.tables_in_mode("scan")
    table = segment.get("table")
    if table not in scanned:
        raise TerminalError(f"segment table {table!r} is not a scan-mode table ({', '.join(scanned) or 'none'})")
    numbers = {k: segment.get(k) for k in ("part", "parts", "threads")}
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in numbers.values()) or not (
            0 <= numbers["part"] < numbers["parts"] <= MAX_PARTS_PER_TABLE and 1 <= numbers["threads"] <= 64):
        raise TerminalError(f"segment {numbers} is not a part: expected 0 <= part < parts <= {MAX_PARTS_PER_TABLE} "
                            "and 1 <= threads <= 64")
    refuse_existing_snapshot(ctx.s3, ctx.bucket, SOURCE, ctx.run_id)  # never a part into a landed snapshot
    written = scan_part(ctx.dynamodb, ctx.s3, bucket=ctx.bucket, run_id=ctx.run_id, table=table,
                        dynamo_table=scanned[table], part=numbers["part"], parts=numbers["parts"],
                        threads=numbers["threads"], page_limit=ctx.settings.scan_page_limit, logger=ctx.logger)
    return {"mode": "extract", "step": "scan", "run_id": ctx.run_id, **written}


def poll(ctx: ExtractContext, export: dict[str, Any]) -> dict[str, Any]:
    return {"mode": "extract", "step": "poll", **ddb_export.poll_export(ctx.dynamodb, export)}


def convert(ctx: ExtractContext, export: dict[str, Any]) -> dict[str, Any]:
    converted = ddb_export.convert_export(ctx.dynamodb, ctx.s3, bucket=ctx.bucket, run_id=ctx.run_id, export=export,
                               logger=ctx.logger)
    return {"mode": "extract", "step": "convert", **converted}


class _Tee:
    """A stream that also hashes every byte read through it (the sha256 of a table's parts read in order)."""

    def __init__(self, raw: Any, whole: Any) -> None:
        self.raw, self.whole = raw, whole

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.whole.update(data)
        return data


def _reread(s3_client: Any, bucket: str, key: str, whole: Any = None) -> tuple[JsonlGzReader, str | None]:
    obj = s3_client.get_object(Bucket=bucket, Key=key)
    body = obj["Body"] if whole is None else _Tee(obj["Body"], whole)
    reader = JsonlGzReader(body, name=key, compressed_bytes=obj.get("ContentLength"))
    for _ in reader.batches():
        pass
    return reader, obj.get("VersionId") or None


def _reread_parts(s3_client: Any, bucket: str, run_id: str, table: str, keys: list[str]) -> ManifestFile:
    """A table's parts as one manifest entry; refused unless they are exactly part 0..N-1 of N."""
    folder = parts_folder(SOURCE, run_id, table)
    numbered = {key: parse_part_key(key, folder) for key in keys}
    strays = sorted(k for k, n in numbered.items() if n is None)
    if strays:
        raise PartsError(f"{table}: {', '.join(strays)} in s3://{bucket}/{folder} is not a part file: the manifest "
                         "is not written")
    totals = sorted({n[1] for n in numbered.values() if n})
    if len(totals) != 1:
        raise PartsError(f"{table}: parts of {' and of '.join(map(str, totals))} under s3://{bucket}/{folder} "
                         "(parts of two plans): the manifest is not written")
    total = totals[0]
    missing = sorted(set(range(total)) - {n[0] for n in numbered.values() if n})
    if missing:
        raise PartsError(f"{table}: part(s) {', '.join(map(str, missing))} of {total} missing under "
                         f"s3://{bucket}/{folder}: the manifest is not written")
    whole = hashlib.sha256()
    parts = []
    for key in sorted(keys):
        reader, version = _reread(s3_client, bucket, key, whole)
        parts.append(ManifestPart(key=key, records=reader.records, bytes=reader.bytes, sha256=reader.sha256,
                                  version_id=version))
    return ManifestFile(table=table, key=folder, records=sum(p.records for p in parts),
                        bytes=sum(p.bytes for p in parts), sha256=whole.hexdigest(), parts=tuple(parts))


def reread_files(s3_client: Any, bucket: str, run_id: str) -> list[ManifestFile]:
    """The manifest entry of each table's file (or parts) of the run, from S3 itself: listed under the run's
    folder, read back whole (bytes, sha256, lines = records) at the version read. A table without its file or
    parts, or with both, fails the run."""
    listed: set[str] = set()
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                     Prefix=snapshot_prefix(SOURCE, run_id)):
        listed |= {o["Key"] for o in page.get("Contents", [])}
    in_parts = {t: sorted(k for k in listed if k.startswith(parts_folder(SOURCE, run_id, t))) for t in SNAPSHOT_TABLES}
    missing = [t for t in SNAPSHOT_TABLES if data_key(SOURCE, run_id, t) not in listed and not in_parts[t]]
    if missing:
        raise ExportFailedError(f"no snapshot file for {', '.join(missing)} under s3://{bucket}/"
                                f"{snapshot_prefix(SOURCE, run_id)}: the manifest is not written")
    both = [t for t in SNAPSHOT_TABLES if data_key(SOURCE, run_id, t) in listed and in_parts[t]]
    if both:
        raise PartsError(f"both a file and parts for {', '.join(both)} under s3://{bucket}/"
                         f"{snapshot_prefix(SOURCE, run_id)}: the manifest is not written")
    files = []
    for table in SNAPSHOT_TABLES:
        if in_parts[table]:
            files.append(_reread_parts(s3_client, bucket, run_id, table, in_parts[table]))
            continue
        key = data_key(SOURCE, run_id, table)
        reader, version = _reread(s3_client, bucket, key)
        files.append(ManifestFile(table=table, key=key, records=reader.records, bytes=reader.bytes,
                                  sha256=reader.sha256, version_id=version))
    return files


def check_scanned(files: list[ManifestFile], scanned: list[Any]) -> None:
    """Refuse parts that differ from what the run's scan calls reported (the Map's results): a call without a
    result (a failed iteration), a part no call wrote, a part a call wrote that is not found, or changed since."""
    failed = [i + 1 for i, r in enumerate(scanned) if not (isinstance(r, dict) and isinstance(r.get("key"), str))]
    if failed:
        raise PartsError(f"segment scan(s) #{', #'.join(map(str, failed))} of {len(scanned)} returned no result (a "
                         "failed iteration): the manifest is not written")
    reported = {r["key"]: r for r in scanned}
    found = {p.key: p for f in files for p in f.parts}
    for problem, keys in (("was not written by this run's scans", sorted(set(found) - set(reported))),
                          ("was reported by a scan but is not in the run's folder", sorted(set(reported) - set(found))),
                          ("differs from what its scan wrote (sha256)",
                           sorted(k for k in reported if k in found and reported[k].get("sha256") != found[k].sha256))):
        if keys:
            raise PartsError(f"part {keys[0]} {problem}" + (f" (and {len(keys) - 1} more)" if len(keys) > 1 else "")
                             + ": the manifest is not written")


def finish(ctx: ExtractContext, started: dict[str, Any], converted: list[dict[str, Any]],
           scanned: list[Any] | None = None, *, now: datetime | None = None) -> dict[str, Any]:
    """The manifest of every table's file as read back from S3 (:func:`reread_files`), dated by this step's own
    clock (``now``), then the export states. The event's files, counts and ``extracted_at`` (``started``, each
    ``converted["file"]``) are ignored: only which exports were converted is taken from it. ``scanned`` (the
    scan calls' results, when the run scanned in parts) can only refuse: :func:`check_scanned`."""
    t0 = time.perf_counter()
    refuse_existing_snapshot(ctx.s3, ctx.bucket, SOURCE, ctx.run_id)
    extracted_at = (now or datetime.now(UTC)).isoformat()
    files = reread_files(ctx.s3, ctx.bucket, ctx.run_id)
    if scanned is not None or any(f.parts for f in files):
        check_scanned(files, scanned or [])
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
    """Every step in this process (local runs): start, scan each part, poll each export until it completes,
    convert, finish."""
    started = start(ctx)
    if not started["pending"]:
        return {k: v for k, v in started.items() if k not in ("step", "pending", "segments", "exports")}
    scanned = [scan(ctx, segment) for segment in started["segments"]]
    converted = []
    for export in started["exports"]:
        for attempt in range(max_polls):
            if poll(ctx, export)["status"] == "COMPLETED":
                break
            if attempt == max_polls - 1:
                raise ExportFailedError(f"the export of {export['table']} did not complete after {max_polls} polls")
            sleep(poll_seconds)
        converted.append(convert(ctx, export))
    return finish(ctx, started, converted, scanned if started["segments"] else None)
