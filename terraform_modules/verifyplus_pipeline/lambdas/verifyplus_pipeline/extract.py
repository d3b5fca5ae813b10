"""Extract: the whole Verify+ report → ``s3://<landing>/verifyplus/run=<run_id>/requests.jsonl.gz``, then
the manifest (written last). Extract never touches the warehouse.

Records are keyed by Quickbase label and streamed to S3 as they are read (bounded memory). If the
read fails part-way (persistent errors, a report that changes under the reader), the upload is
aborted and no manifest is written: nothing is landed, so nothing is loaded. A snapshot is
immutable: extracting into a run id that already has a manifest is refused.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import orjson

from itc_common_utilities.errors import TerminalError
from itc_common_utilities.manifest import Manifest, data_key, validate_run_id
from itc_common_utilities.s3 import JsonlGzS3Writer, refuse_existing_snapshot, write_manifest
from itc_common_utilities.signature import ManifestMac
from verifyplus_pipeline.quickbase import QuickbaseReport, logger

SOURCE = "verifyplus"
TABLE = "requests"


def extract_report(report: QuickbaseReport, s3_client: Any, bucket: str, run_id: str, *,
                   allow_empty: bool = False, log: Any = None, mac: ManifestMac | None = None) -> dict[str, Any]:
    """Land every record of ``report`` and the manifest; return a small summary (keys, counts, timings).

    A report that returns no record at all is refused unless ``allow_empty``: a full snapshot
    replaces the source's rows, so landing an empty one (a revoked permission, a changed report
    filter) would delete every Verify+ request from the warehouse. ``mac`` signs the manifest (default: the
    key of ``ITC_MANIFEST_MAC_KEY_ID``, :mod:`itc_common_utilities.signature`).
    """
    log = log or logger
    validate_run_id(run_id)
    started = time.perf_counter()
    extracted_at = datetime.now(UTC).isoformat()  # to the microsecond, as the demand extract: loads are ordered by it
    refuse_existing_snapshot(s3_client, bucket, SOURCE, run_id)
    key = data_key(SOURCE, run_id, TABLE)
    repaired = 0
    with JsonlGzS3Writer(s3_client, bucket, key) as writer:
        for record in report.iter_records():
            try:
                writer.write(record)
            except orjson.JSONEncodeError:
                fixed, changed = make_jsonable(record)
                writer.write(fixed)
                repaired += changed
        if writer.records == 0 and not allow_empty:
            raise TerminalError(f"Quickbase report {report.report_id} returned no records: refusing to land an "
                                "empty snapshot, which would delete every Verify+ row at load "
                                "(set ITC_QB_ALLOW_EMPTY=true if the report is really empty)")
    manifest = Manifest(source=SOURCE, run_id=run_id, extracted_at=extracted_at,
                        files=(writer.manifest_file(TABLE),))
    mkey = write_manifest(s3_client, bucket, manifest, mac=mac)
    stats = report.stats
    summary = {
        "mode": "extract", "source": SOURCE, "run_id": run_id, "bucket": bucket, "data_key": key,
        "manifest_key": mkey, "records": writer.records, "bytes": writer.bytes, "pages": stats.pages,
        "total_records": stats.total_records, "retries": stats.retries, "fields": stats.fields,
        "unknown_fields": stats.unknown_labels, "missing_fields": stats.missing_labels,
        "repaired_values": repaired,
        "duration_ms": int((time.perf_counter() - started) * 1000),
    }
    if repaired:
        log.warning("values JSON Lines cannot hold were repaired (lone surrogates → U+FFFD, integers beyond "
                    "64 bits → text)", extra={"repaired_values": repaired})
    log.info("verifyplus snapshot landed", extra=summary)
    return summary


def make_jsonable(value: Any) -> tuple[Any, int]:
    """``value`` with what UTF-8 JSON Lines cannot hold repaired, and how many values changed.

    Quickbase's JSON can carry lone UTF-16 surrogates (``"\\ud800"``) and integers beyond 64 bits;
    the first become U+FFFD (the rest of the text is kept), the second their decimal text (which the
    load then rejects with a reason if the field needs a number). Only used when a record fails to
    encode, so the common path costs nothing.
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace"), 1
        return value, 0
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value, 0
    if isinstance(value, int):
        return (value, 0) if -(2**63) <= value < 2**64 else (str(value), 1)
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        changed = 0
        for k, v in value.items():
            key, kc = make_jsonable(k)
            out[key], vc = make_jsonable(v)
            changed += kc + vc
        return out, changed
    if isinstance(value, list):
        items = [make_jsonable(v) for v in value]
        return [v for v, _ in items], sum(c for _, c in items)
    return value, 0
