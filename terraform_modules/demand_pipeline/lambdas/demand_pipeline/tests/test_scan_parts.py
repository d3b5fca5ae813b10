"""The segmented scan (demand_pipeline.extract.plan_parts / scan_part, extract_run's scan and finish steps) on moto
DynamoDB and S3: real parallel-scan segments, real part files, the signed manifest that lists them."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from typing import Any

import boto3
import orjson
import pytest

from demand_pipeline import extract_run, main
from demand_pipeline.extract import item_line, part_items, plan_parts, scan_part, scan_table
from demand_pipeline.extract_run import ExtractContext, PartsError
from demand_pipeline.settings import load as load_demand_settings
from demand_pipeline.tests.conftest import BUCKET
from itc_common_utilities.errors import TerminalError
from itc_common_utilities.logger.logger_setup import setup_logger
from itc_common_utilities.manifest import Manifest, ManifestError, part_key
from itc_common_utilities.signature import ManifestMac

logger = setup_logger("demand_pipeline_test")
DOCS = "exchange-test-documents"


def lines_of(s3: Any, key: str) -> list[bytes]:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return gzip.decompress(body).splitlines()


def context(aws: dict[str, Any], run_id: str, **overrides: Any) -> ExtractContext:
    settings = load_demand_settings(overrides)
    return ExtractContext(aws["ddb"], aws["s3"], settings, run_id, logger, mac=ManifestMac.from_environment())


@pytest.mark.parametrize(("parts", "threads"), [(1, 1), (2, 1), (3, 2), (5, 1), (8, 3)])
def test_part_files_together_hold_one_full_scan(aws: dict[str, Any], fill, parts: int, threads: int) -> None:
    """GIVEN a table of 46 items WHEN each of its ``parts`` parts is scanned (``threads`` segments each) into its
    own part file THEN the parts' lines together are exactly one full scan's lines: none lost, none doubled."""
    fill(n_docs=23)
    full = Counter(item_line(i) for i in scan_table(aws["ddb"], DOCS, segments=1, page_limit=1000))

    written = [scan_part(aws["ddb"], aws["s3"], bucket=BUCKET, run_id="r-union", table="documents", dynamo_table=DOCS,
                         part=p, parts=parts, threads=threads, page_limit=3, logger=logger) for p in range(parts)]

    union = Counter(line + b"\n" for w in written for line in lines_of(aws["s3"], w["key"]))
    assert sum(full.values()) == 46 and max(full.values()) == 1
    assert union == full
    assert [w["key"] for w in written] == [part_key("demand", "r-union", "documents", p, parts) for p in range(parts)]
    assert sum(w["records"] for w in written) == 46


def test_plan_splits_only_a_table_over_the_part_size(aws: dict[str, Any], fill) -> None:
    """GIVEN 30 documents items, 15 metadata, 1 template, 30 audit records WHEN planned with 8 items a part
    THEN documents and audit get 4 parts, metadata 2, templates 1; with a large part size every table gets 1."""
    fill(n_docs=15)
    names = load_demand_settings().table_names()

    assert plan_parts(aws["ddb"], names, part_items=8) == {"documents": 4, "documents_metadata": 2, "templates": 1,
                                                           "documents_audit": 4}
    assert set(plan_parts(aws["ddb"], names, part_items=1_000_000).values()) == {1}
    assert part_items({"templates": 2}, threads=3) == [{"table": "templates", "part": 0, "parts": 2, "threads": 3},
                                                      {"table": "templates", "part": 1, "parts": 2, "threads": 3}]


def test_small_tables_are_scanned_in_start_as_before(aws: dict[str, Any], fill) -> None:
    """GIVEN small tables (each under the part size) WHEN the start step runs THEN it scans them itself and writes
    the manifest: one file per table, no parts, no segments (today's scan extract)."""
    fill(n_docs=3)

    started = extract_run.start(context(aws, "r-small"))

    manifest = Manifest.from_bytes(aws["s3"].get_object(Bucket=BUCKET, Key=started["manifest_key"])["Body"].read())
    assert started["pending"] is False and started["segments"] == []
    assert [f.parts for f in manifest.files] == [(), (), (), ()]
    assert manifest.file_for("documents").key == "demand/run=r-small/documents.jsonl.gz"


def test_a_run_in_parts_lands_a_signed_manifest_listing_every_part(aws: dict[str, Any], fill) -> None:
    """GIVEN tables over the part size (ITC_SCAN_PART_ITEMS=4) WHEN the extract runs through the handler
    THEN the signed manifest lists each table's parts in order, their counts add up to the full tables, and the
    single-file extract of the same tables has the same lines."""
    fill(n_docs=10)
    one = main.handler({"mode": "extract", "run_id": "r-one"})
    parted = main.handler({"mode": "extract", "run_id": "r-parts", "overrides": {"scan_part_items": 4}})

    data = aws["s3"].get_object(Bucket=BUCKET, Key=parted["manifest_key"])["Body"].read()
    ManifestMac.from_environment().verify(data, where="test")
    manifest = Manifest.from_bytes(data)
    docs = manifest.file_for("documents")
    assert docs.key == "demand/run=r-parts/documents/"
    assert [p.key.rsplit("/", 1)[1] for p in docs.parts] == [f"part-0000{i}-of-00005.jsonl.gz" for i in range(5)]
    assert all(p.version_id for p in docs.parts) and docs.version_id is None
    assert {t: v["records"] for t, v in parted["tables"].items()} == {t: v["records"] for t, v in one["tables"].items()}
    for table in ("documents", "documents_audit"):
        single = sorted(lines_of(aws["s3"], f"demand/run=r-one/{table}.jsonl.gz"))
        in_parts = sorted(line for p in manifest.file_for(table).parts for line in lines_of(aws["s3"], p.key))
        assert in_parts == single and len(single) == manifest.file_for(table).records


def scanned_run(aws: dict[str, Any], fill, run_id: str) -> tuple[ExtractContext, dict[str, Any], list[dict[str, Any]]]:
    """start + every scan call of a run in parts (3 parts of documents), without finish."""
    fill(n_docs=6)
    ctx = context(aws, run_id, scan_part_items=5)
    started = extract_run.start(ctx)
    return ctx, started, [extract_run.scan(ctx, s) for s in started["segments"]]


def test_finish_refuses_a_missing_part(aws: dict[str, Any], fill) -> None:
    """GIVEN a run scanned in parts WHEN one part file is gone before finish THEN finish refuses, naming the part
    number, and writes no manifest."""
    ctx, started, scanned = scanned_run(aws, fill, "r-missing")
    aws["s3"].delete_object(Bucket=BUCKET, Key=part_key("demand", "r-missing", "documents", 1, 3))

    with pytest.raises(PartsError, match=r"documents: part\(s\) 1 of 3 missing"):
        extract_run.finish(ctx, started, [], scanned)
    assert "Contents" not in aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix="demand/run=r-missing/_manifest")


def test_finish_refuses_a_part_of_another_plan(aws: dict[str, Any], fill) -> None:
    """GIVEN a run scanned in 3 parts WHEN a stray part-00000-of-00002 is in the table's folder THEN finish refuses:
    parts of two plans."""
    ctx, started, scanned = scanned_run(aws, fill, "r-extra")
    aws["s3"].put_object(Bucket=BUCKET, Key=part_key("demand", "r-extra", "documents", 0, 2),
                         Body=gzip.compress(b"{}\n"))

    with pytest.raises(PartsError, match=r"documents: parts of 2 and of 3"):
        extract_run.finish(ctx, started, [], scanned)


def test_finish_refuses_a_part_changed_after_its_scan(aws: dict[str, Any], fill) -> None:
    """GIVEN a run scanned in parts WHEN a part is overwritten after its scan call reported it THEN finish refuses:
    the part differs from what its scan wrote."""
    ctx, started, scanned = scanned_run(aws, fill, "r-changed")
    key = part_key("demand", "r-changed", "documents", 2, 3)
    aws["s3"].put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(orjson.dumps({"documentId": "forged"}) + b"\n"))

    with pytest.raises(PartsError, match=rf"part {key} differs from what its scan wrote"):
        extract_run.finish(ctx, started, [], scanned)


def test_finish_refuses_a_failed_iteration(aws: dict[str, Any], fill) -> None:
    """GIVEN a run scanned in parts WHEN one of the Map's results is null (an iteration that failed) THEN finish
    refuses, naming the iteration."""
    ctx, started, scanned = scanned_run(aws, fill, "r-null")

    with pytest.raises(PartsError, match=r"segment scan\(s\) #2 of"):
        extract_run.finish(ctx, started, [], [scanned[0], None, *scanned[2:]])


def test_a_scan_call_for_a_table_not_in_scan_mode_is_refused(aws: dict[str, Any]) -> None:
    """GIVEN documents in export mode WHEN a scan call names documents, or a part past its count THEN refused."""
    ctx = context(aws, "r-bad", extract_modes={"documents": "export"})
    with pytest.raises(TerminalError, match="'documents' is not a scan-mode table"):
        extract_run.scan(ctx, {"table": "documents", "part": 0, "parts": 2, "threads": 1})
    with pytest.raises(TerminalError, match="is not a part"):
        extract_run.scan(ctx, {"table": "templates", "part": 2, "parts": 2, "threads": 1})


def test_a_scan_call_for_a_landed_run_is_refused(aws: dict[str, Any], fill) -> None:
    """GIVEN a run whose manifest is written WHEN a scan call names that run THEN it is refused and no part file is
    added to the landed snapshot's folder."""
    fill(n_docs=2)
    ctx = context(aws, "r-landed")
    extract_run.start(ctx)

    with pytest.raises(TerminalError, match=r"run=r-landed/_manifest.json already exists: snapshots are immutable"):
        extract_run.scan(ctx, {"table": "templates", "part": 0, "parts": 2, "threads": 1})
    assert "Contents" not in aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix="demand/run=r-landed/templates/")


def test_manifest_refuses_parts_missing_or_out_of_order() -> None:
    """GIVEN a manifest whose table lists parts 0 and 2 of 3 (one missing), parts out of order, or sums that differ
    from its parts WHEN read THEN it fails naming the table and the part expected; a complete list reads back."""
    def body(parts: list[tuple[int, int]], records: int) -> dict[str, Any]:
        return {"format": 1, "source": "demand", "run_id": "r1", "extracted_at": "2026-12-01T05:00:00+00:00",
                "files": [{"table": "documents", "key": "demand/run=r1/documents/", "records": records, "bytes": 2,
                           "sha256": "a" * 64,
                           "parts": [{"key": part_key("demand", "r1", "documents", i, n), "records": 1, "bytes": 1,
                                      "sha256": "b" * 64} for i, n in parts]}]}

    with pytest.raises(ManifestError, match=r"\(documents\): part #1 is .*part-00000-of-00003.*expected "
                                            r".*part-00000-of-00002.* \(a part of another count: parts missing"):
        Manifest.from_dict(body([(0, 3), (2, 3)], 2))
    with pytest.raises(ManifestError, match=r"part #1 is .*part-00001-of-00002.*\(a part missing, repeated or out"):
        Manifest.from_dict(body([(1, 2), (0, 2)], 2))
    with pytest.raises(ManifestError, match="records or bytes differ from the sums of its 2 parts"):
        Manifest.from_dict(body([(0, 2), (1, 2)], 5))
    good = Manifest.from_dict(body([(0, 2), (1, 2)], 2))
    assert Manifest.from_dict(json.loads(good.to_bytes())) == good


def test_handler_scan_step_writes_one_part(aws: dict[str, Any], fill) -> None:
    """GIVEN the handler WHEN invoked with step scan and a segment item THEN it writes that part file and returns
    its key, count and sha256 (what the Map passes to finish)."""
    fill(n_docs=4)
    out = main.handler({"mode": "extract", "step": "scan", "run_id": "r-h",
                        "segment": {"table": "templates", "part": 0, "parts": 1, "threads": 2}})
    assert out["key"] == "demand/run=r-h/templates/part-00000-of-00001.jsonl.gz"
    assert out["records"] == 1 and len(out["sha256"]) == 64
    assert boto3.client("s3").head_object(Bucket=BUCKET, Key=out["key"])["ContentLength"] == out["bytes"]
