"""Deterministic synthetic Exchange data: the four DynamoDB tables of docs/design.md §2, 100 … 1,000,000+ demands.

API::

    from scripts.synthetic.exchange import ExchangeConfig, expected_counts, fill_dynamodb, write_snapshot

    config = ExchangeConfig(demands=1_000, seed=7, firms=12, months=4, malformed_share=0.02)
    # the demo path: create and fill exchange-{env}-* tables in a moto server (or under mock_aws)
    counts = fill_dynamodb(config, boto3.client("dynamodb", endpoint_url=...), env="local")
    # the benchmark path: a landing snapshot (four .jsonl.gz + _manifest.json), local folder or S3
    manifest = write_snapshot(config, run_id="bench-1", directory=Path(".local/bench"))
    manifest = write_snapshot(config, run_id="r1", s3_client=s3, bucket="landing")
    # what the invoices must say, computed from the generated data alone (not from the warehouse)
    expected = expected_counts(config)  # {("2026-10", "Firm name"): ExpectedCount(uploaded, archived)}

Everything is a pure function of the config (seed included): each demand draws from its own
``random.Random`` seeded by (seed, demand number), so the same config always gives the same records,
and :func:`expected_counts` replays the demand model without serialising anything.

What the data contains:

- documents: 1–``max_versions`` versions per demand; earlier versions may name another firm (the
  LATEST version's firm is the billing firm), firm names sometimes carry trailing spaces (billing
  right-strips them), quotes and SQL-looking text; case managers with duplicates and blank names.
- times (``createdTs`` of documents, metadata and audits, status-history ``timestamp``) are epoch
  SECONDS by default (the form the original system read), or epoch milliseconds, or a per-value mix
  (``time_unit="s" | "ms" | "mixed"``, CLI ``--time-unit``); the answer keys are the same in all three.
- documents-metadata: ``createdTs`` (= upload time; an epoch number, sometimes ISO 8601 text with the
  New York offset), uploads spread over ``months`` calendar months in America/New_York with a share
  placed on month boundaries (23:xx on the last day / 00:xx on the first day, New York time),
  ``DocumentReceived`` entries, archived demands with one or two ``DocumentArchived`` entries (the
  last by time wins; entries not always in time order), template ids that are client-level, missing
  from the templates table, or absent (no template: billed).
- templates: several versions per template; client-level ones have "client" in the name (any case).
- documents-audit: ``DemandArchived`` records with ``payload{archiveReason, archiveComments}``
  (sometimes no payload or no comments); the DynamoDB fill also adds other actions (``DemandViewed``)
  that the extract's filter must drop.
- values in plain nested JSON, raw DynamoDB typed form (``{"S": …}``/``{"M": …}``/…) and JSON text
  inside strings, by configurable shares.
- a ``malformed_share`` of demands whose documents (every version) or metadata record is malformed:
  missing key, wrong type, impossible timestamp, NUL byte, megabyte string (``big_string_chars``;
  200,000 in DynamoDB, whose items are limited to 400 KB). Builders reject these; the business counts
  exclude such demands. A few malformed template and audit records are added too (no effect on counts).

CLI: ``python -m scripts.synthetic.exchange snapshot --demands 1000 --out .local/snap [--time-unit ms]`` or
``python -m scripts.synthetic.exchange dynamodb --demands 1000 --endpoint-url http://127.0.0.1:5000``.
"""

# ruff: noqa: S311 - seeded pseudo-random test data, not cryptography
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from scripts.synthetic.exchange_model import (
    BUSINESS_TZ,
    LAST_NAMES,
    TABLES,
    TIME_UNITS,
    Demand,
    ExchangeConfig,
    ExpectedCount,
    client_template_ids,
    firm_name,
    iter_demands,
    template_rows,
)

SOURCE = "demand"
DYNAMO_SUFFIX = {"documents": "documents", "documents_metadata": "documents-metadata", "templates": "templates",
                 "documents_audit": "documents-audit"}
DYNAMO_KEYS = {
    "documents": [("documentId", "S"), ("version", "N")],
    "documents_metadata": [("documentId", "S")],
    "templates": [("templateId", "S"), ("version", "N")],
    "documents_audit": [("auditRecordId", "S")],
}
_FIRST = ("Ann", "Bo", "Carla", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "June", "Kai", "Lena", "Mo", "Nia")
_STATES = ("NY", "NJ", "CA", "TX", "FL", "IL", "PA", "GA")
_CARRIERS = ("Big Insurance", "Acme Mutual", "Liberty-ish", "State \"Farm\"", "Keystone Casualty")
_REASONS = ("Settled", "Duplicate", "Client withdrew", "Sent in error", "Policy limits tendered")



@dataclass
class _Counts:
    records: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))



# ----------------------------------------------------------------------------------- the records

def _person(rng: random.Random) -> dict[str, str]:
    return {"firstName": rng.choice(_FIRST), "lastName": rng.choice(LAST_NAMES)}


def epoch(ms: int, unit: str) -> int:
    """An epoch-ms model time as the records carry it: seconds (floored), milliseconds, or per value
    (``mixed``: odd milliseconds stay milliseconds, even ones become seconds; no random draw, so the rest
    of the data is the same whatever the unit). Flooring to the second never moves a time across a New
    York month boundary (those fall on whole seconds), so the answer keys do not depend on the unit."""
    if unit == "ms" or (unit == "mixed" and ms % 2):
        return ms
    return ms // 1000


def _document(d: Demand, version: int, firm: int, rng: random.Random, unit: str) -> dict[str, Any]:
    managers = [_person(rng) for _ in range(rng.randint(0, 3))]
    if managers and rng.random() < 0.3:
        managers.append(dict(managers[0]))  # a duplicate
    if rng.random() < 0.1:
        managers.append({"firstName": " ", "lastName": ""})
    name = firm_name(firm) + ("  " if rng.random() < 0.15 else "")
    return {
        "documentId": d.document_id, "customerId": f"cust-{firm:05d}", "version": version,
        "createdTs": epoch(d.uploaded_ms - (len(d.versions) - version) * 3_600_000, unit),
        "sendingFirm": {"firmName": name, "primaryContact": _person(rng), "attorney": _person(rng),
                        "caseManagers": managers},
        "claimInfo": {"claimCoverage": rng.choice(("BI", "PD", "UM")), "claimNumber": f"CLM-{rng.randrange(10**9)}",
                      "lossState": rng.choice(_STATES), "claimant": _person(rng)},
        "recipientCarrier": {"carrierCommonName": rng.choice(_CARRIERS)},
        "caseManagementMetadata": {"relatedInsuranceId": f"ri-{rng.randrange(10**6)}",
                                   "clientId": rng.randrange(10**6), "matterId": f"m-{d.number}",
                                   "matterTechId": f"mt-{d.number}",
                                   "matterName": f"{rng.choice(LAST_NAMES)} v. {rng.choice(_CARRIERS)}"},
    }


def _iso_ny(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(BUSINESS_TZ).isoformat(timespec="milliseconds")


def _metadata(d: Demand, rng: random.Random, unit: str) -> dict[str, Any]:
    history = [{"documentStatus": "DocumentCreated", "timestamp": epoch(d.uploaded_ms, unit)}]
    history += [{"documentStatus": "DocumentReceived", "timestamp": epoch(t, unit)} for t in d.received_ms]
    history += [{"documentStatus": "DocumentArchived", "timestamp": epoch(t, unit)} for t in d.archived_ms]
    if rng.random() < 0.2:
        rng.shuffle(history)
    record: dict[str, Any] = {
        "documentId": d.document_id, "documentType": "DEMAND",
        "createdTs": _iso_ny(d.uploaded_ms) if rng.random() < 0.1 else epoch(d.uploaded_ms, unit),
        "demandIsDeliverable": rng.random() < 0.9, "documentStatusHistory": history,
    }
    if d.template_id is not None:
        record["demandTemplateId"] = d.template_id
    elif rng.random() < 0.5:
        record["demandTemplateId"] = ""
    return record


def _audits(d: Demand, rng: random.Random, *, others: bool, other_share: float, unit: str) -> list[dict[str, Any]]:
    out = []
    for k, when in enumerate(d.archived_ms):
        rec: dict[str, Any] = {"auditRecordId": f"aud-{d.number:08d}-{k}", "documentId": d.document_id,
                               "createdTs": epoch(when, unit), "actionType": "DemandArchived"}
        roll = rng.random()
        if roll < 0.8:
            rec["payload"] = {"archiveReason": rng.choice(_REASONS),
                              "archiveComments": f"claimant {rng.choice(_FIRST)} said '{rng.choice(LAST_NAMES)}'"}
        elif roll < 0.9:
            rec["payload"] = {"archiveReason": rng.choice(_REASONS)}
        out.append(rec)
    if others and rng.random() < other_share:
        out.append({"auditRecordId": f"aud-{d.number:08d}-v", "documentId": d.document_id,
                    "createdTs": epoch(d.uploaded_ms + 1000, unit), "actionType": "DemandViewed"})
    return out


def _corrupt(record: dict[str, Any], defect: str, *, dynamo: bool, big: int) -> dict[str, Any]:
    record = json.loads(json.dumps(record))
    if defect == "missing_key" and not dynamo:  # DynamoDB cannot hold an item without its key
        del record["documentId"]
    elif defect in ("bad_type", "missing_key"):
        if "sendingFirm" in record:
            record["sendingFirm"] = 12345
        else:
            record["demandIsDeliverable"] = "maybe"
    elif defect == "bad_timestamp":
        record["createdTs"] = random.Random(record["documentId"] if "documentId" in record else 0).choice(
            (-86_400_000, 10**17, "not a time"))
    elif defect == "nul_byte":
        if "sendingFirm" in record:
            record["sendingFirm"]["firmName"] = "Null\x00Byte Law"
        else:
            record["documentType"] = "DEM\x00AND"
    elif defect == "too_long":
        if "sendingFirm" in record:
            record["sendingFirm"]["firmName"] = "M" * big
        else:
            record["documentType"] = "M" * big
    return record


def to_dynamo(value: Any) -> Any:
    """A plain JSON value as a raw DynamoDB attribute value ({"S": …}, {"M": …}, …)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, list):
        return {"L": [to_dynamo(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {k: to_dynamo(v) for k, v in value.items()}}
    raise TypeError(f"no DynamoDB form for {type(value).__name__}")


def _json_strings(record: dict[str, Any]) -> dict[str, Any]:
    return {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in record.items()}


def _shape(record: dict[str, Any], rng: random.Random, config: ExchangeConfig, *, dynamo: bool) -> dict[str, Any]:
    roll = rng.random()
    if roll < config.json_string_share:
        record = _json_strings(record)
    if dynamo or config.json_string_share <= roll < config.json_string_share + config.dynamo_share:
        return {k: to_dynamo(v) for k, v in record.items()}
    return record


def iter_records(config: ExchangeConfig, *, dynamo: bool = False) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(snapshot table, record)`` for every record; ``dynamo=True`` gives DynamoDB items."""
    big = min(config.big_string_chars, 200_000) if dynamo else config.big_string_chars
    for k, row in enumerate(template_rows(config)):
        yield "templates", _shape(row, random.Random(config.seed * 31 + k), config, dynamo=dynamo)
    if config.malformed_share > 0 and not dynamo:
        yield "templates", {"templateName": "no id: malformed", "version": 1}
        yield "documents_audit", {"auditRecordId": "aud-malformed-0", "documentId": "doc-x", "createdTs": -1}
    for d in iter_demands(config):
        rng = random.Random((config.seed << 33) ^ (d.number * 40503))
        for version, firm in enumerate(d.versions, start=1):
            rec = _document(d, version, firm, rng, config.time_unit)
            if d.malformed == "documents":
                rec = _corrupt(rec, d.defect or "bad_type", dynamo=dynamo, big=big)
            yield "documents", _shape(rec, rng, config, dynamo=dynamo)
        rec = _metadata(d, rng, config.time_unit)
        if d.malformed == "metadata":
            rec = _corrupt(rec, d.defect or "bad_type", dynamo=dynamo, big=big)
        yield "documents_metadata", _shape(rec, rng, config, dynamo=dynamo)
        for audit in _audits(d, rng, others=dynamo, other_share=config.other_audit_share, unit=config.time_unit):
            yield "documents_audit", _shape(audit, rng, config, dynamo=dynamo)


# --------------------------------------------------------------------------------- expectations

def expected_counts(config: ExchangeConfig, *, tz: ZoneInfo = BUSINESS_TZ) -> dict[tuple[str, str], ExpectedCount]:
    """Billable uploaded/archived demands per (month ``YYYY-MM`` in ``tz``, firm), by the business rules.

    Latest version's firm name, right-stripped; client-level templates and unknown template ids are
    excluded; demands without a template are kept; malformed demands are excluded when the defect hits a
    field that decides the bill (:attr:`Demand.rejected`), kept otherwise; a demand counts as
    uploaded in its upload month and as archived in the month of its LAST ``DocumentArchived`` entry.
    """
    excluded = client_template_ids(config)
    known = {r["templateId"] for r in template_rows(config)}
    uploaded: dict[tuple[str, str], int] = defaultdict(int)
    archived: dict[tuple[str, str], int] = defaultdict(int)

    def month(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, UTC).astimezone(tz).strftime("%Y-%m")

    for d in iter_demands(config):
        if d.rejected:
            continue
        if d.template_id is not None and (d.template_id in excluded or d.template_id not in known):
            continue
        firm = firm_name(d.versions[-1]).rstrip()
        uploaded[(month(d.uploaded_ms), firm)] += 1
        if d.archived_at_ms is not None:
            archived[(month(d.archived_at_ms), firm)] += 1
    return {key: ExpectedCount(uploaded.get(key, 0), archived.get(key, 0))
            for key in sorted(set(uploaded) | set(archived))}


def expected_record_counts(config: ExchangeConfig, *, dynamo: bool = False) -> dict[str, int]:
    """Records per snapshot table (what a snapshot or an extract must hold)."""
    counts: dict[str, int] = dict.fromkeys(TABLES, 0)
    for table, _ in iter_records(config, dynamo=dynamo):
        counts[table] += 1
    return counts


# ------------------------------------------------------------------------------------- outputs

class _LocalJsonlGzWriter:
    """The local-file twin of JsonlGzS3Writer: gzip JSON Lines, counting records, bytes and sha256."""

    def __init__(self, path: Path, key: str, *, compresslevel: int) -> None:
        self.path, self.key = path, key
        self.records = 0
        self._file = path.open("wb")
        self._gzip = gzip.GzipFile(fileobj=self._file, mode="wb", compresslevel=compresslevel, mtime=0, filename="")

    def write_line(self, line: bytes) -> None:
        self._gzip.write(line)
        self.records += 1

    def close(self) -> Any:
        from itc_common_utilities.manifest import ManifestFile

        self._gzip.close()
        self._file.close()
        digest = hashlib.sha256()
        size = 0
        with self.path.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        return ManifestFile(table=self.path.name.removesuffix(".jsonl.gz"), key=self.key, records=self.records,
                            bytes=size, sha256=digest.hexdigest())


def write_snapshot(config: ExchangeConfig, *, run_id: str, directory: Path | None = None, s3_client: Any = None,
                   bucket: str | None = None, compresslevel: int = 6,
                   extracted_at: str = "2026-11-25T05:00:00+00:00") -> Any:
    """Write the landing snapshot of ``run_id`` (data files, then ``_manifest.json``) and return the Manifest.

    Local: ``directory/demand/run=<run_id>/...`` (the same keys as in S3). S3: ``s3_client`` + ``bucket``.
    """
    from itc_common_utilities.manifest import Manifest, data_key
    from itc_common_utilities.s3 import JsonlGzS3Writer, write_manifest

    if (directory is None) == (s3_client is None):
        raise ValueError("give either directory or s3_client and bucket")
    writers: dict[str, Any] = {}
    for table in TABLES:
        key = data_key(SOURCE, run_id, table)
        if directory is not None:
            path = Path(directory) / key
            path.parent.mkdir(parents=True, exist_ok=True)
            writers[table] = _LocalJsonlGzWriter(path, key, compresslevel=compresslevel)
        else:
            writers[table] = JsonlGzS3Writer(s3_client, bucket, key).__enter__()
    option = orjson.OPT_NON_STR_KEYS
    try:
        for table, record in iter_records(config):
            writers[table].write_line(orjson.dumps(record, option=option) + b"\n")
    except BaseException:
        for w in writers.values():
            if directory is None:
                w.__exit__(RuntimeError, RuntimeError("aborted"), None)
        raise
    files = []
    for table in TABLES:
        if directory is not None:
            files.append(writers[table].close())
        else:
            writers[table].__exit__(None, None, None)
            files.append(writers[table].manifest_file(table))
    manifest = Manifest(source=SOURCE, run_id=run_id, extracted_at=extracted_at, files=tuple(files))
    if directory is not None:
        (Path(directory) / manifest.key).write_bytes(manifest.to_bytes())
    else:
        write_manifest(s3_client, bucket, manifest)
    return manifest


def create_tables(dynamodb: Any, env: str) -> dict[str, str]:
    """Create the four ``exchange-{env}-*`` tables (on-demand) if missing; snapshot table -> name."""
    names = {t: f"exchange-{env}-{DYNAMO_SUFFIX[t]}" for t in TABLES}
    existing = set(dynamodb.list_tables().get("TableNames", []))
    for table, name in names.items():
        if name in existing:
            continue
        keys = DYNAMO_KEYS[table]
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": k, "KeyType": "HASH" if i == 0 else "RANGE"} for i, (k, _) in enumerate(keys)],
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": t} for k, t in keys],
            BillingMode="PAY_PER_REQUEST")
    return names


def fill_dynamodb(config: ExchangeConfig, dynamodb: Any, *, env: str = "local") -> dict[str, int]:
    """Create and fill the Exchange tables (batch_write_item, 25 at a time); items written per table."""
    names = create_tables(dynamodb, env)
    batches: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
    written = dict.fromkeys(TABLES, 0)

    def flush(table: str) -> None:
        requests = [{"PutRequest": {"Item": item}} for item in batches[table]]
        while requests:
            response = dynamodb.batch_write_item(RequestItems={names[table]: requests})
            requests = response.get("UnprocessedItems", {}).get(names[table], [])
        written[table] += len(batches[table])
        batches[table].clear()

    for table, item in iter_records(config, dynamo=True):
        batches[table].append(item)
        if len(batches[table]) == 25:
            flush(table)
    for table in TABLES:
        if batches[table]:
            flush(table)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("target", choices=("snapshot", "dynamodb", "expected"))
    parser.add_argument("--demands", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--firms", type=int, default=12)
    parser.add_argument("--months", type=int, default=4)
    parser.add_argument("--malformed-share", type=float, default=ExchangeConfig.malformed_share)
    parser.add_argument("--out", type=Path, default=Path(".local/snapshot"))
    parser.add_argument("--run-id", default="synthetic-1")
    parser.add_argument("--endpoint-url", default=None)
    parser.add_argument("--env", default="local")
    parser.add_argument("--time-unit", choices=TIME_UNITS, default="s",
                        help="epoch unit of the records' times: s (default, the original's form), ms, or mixed")
    args = parser.parse_args(argv)
    config = ExchangeConfig(demands=args.demands, seed=args.seed, firms=args.firms, months=args.months,
                            malformed_share=args.malformed_share, time_unit=args.time_unit)
    if args.target == "snapshot":
        manifest = write_snapshot(config, run_id=args.run_id, directory=args.out)
        print(json.dumps({"manifest": str(args.out / manifest.key),
                          "records": {f.table: f.records for f in manifest.files}}))
    elif args.target == "dynamodb":
        import boto3

        client = boto3.client("dynamodb", endpoint_url=args.endpoint_url)
        print(json.dumps(fill_dynamodb(config, client, env=args.env)))
    else:
        for (month, firm), count in expected_counts(config).items():
            print(f"{month}\t{firm}\t{count.uploaded}\t{count.archived}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
