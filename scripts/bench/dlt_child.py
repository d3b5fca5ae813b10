"""The dlt peer's child: runs with the dlt virtual environment's Python (stdlib + dlt only, no project code).

``python dlt_child.py JOB.json`` loads the snapshot tables the job names into PostgreSQL with dlt's
``merge`` write disposition and each table's natural key as the primary key, dlt's defaults otherwise
(its own schema inference, nested objects to child tables, the default ``delete-insert`` merge); records in
DynamoDB's typed form are deserialized first (:func:`unwrap`: a dlt user would, and ITC reads both forms), and
prints one JSON line: ``{"ok", "seconds", "records", "ru_maxrss_mb"}`` and, on a failure, ``"error"``:
the exception classes of the chain and dlt's failed step, never a message (it may quote a record value).

The job (written by :mod:`scripts.bench.dlt_peer`): ``{"credentials": URL, "pipelines_dir": DIR,
"tables": [{"name", "path", "primary_key": [snapshot field, ...], "skip_lines": [1-based line, ...]}]}``.
"""

from __future__ import annotations

import gzip
import json
import re
import resource
import sys
import time
from collections.abc import Iterator
from typing import Any

BATCH = 1000  # records per yielded page (dlt's guidance: yield lists, not single items)


def snake(name: str) -> str:
    """dlt's default (snake_case) naming of a field, for the primary-key hint: documentId → document_id."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


DYNAMO_TYPES = {"S", "N", "BOOL", "NULL", "M", "L", "SS", "NS", "BS", "B"}


def plain(value: Any) -> Any:
    """A DynamoDB typed attribute value ({"S": ...}, {"M": {...}}, ...) as plain JSON; anything else as is."""
    if isinstance(value, dict) and len(value) == 1:
        (kind, inner), = value.items()
        if kind in ("S", "B", "BOOL"):
            return inner
        if kind == "NULL":
            return None
        if kind == "N":
            return float(inner) if any(c in inner for c in ".eE") else int(inner)
        if kind == "M" and isinstance(inner, dict):
            return {k: plain(v) for k, v in inner.items()}
        if kind in ("L", "SS", "NS", "BS") and isinstance(inner, list):
            return [plain(v) for v in inner]
    return value


def unwrap(record: Any) -> Any:
    """A record in DynamoDB's typed form (every attribute a typed value) as plain JSON, as a dlt user would
    deserialize an export before loading it (the snapshot holds both forms; ITC reads both)."""
    if isinstance(record, dict) and record and all(
            isinstance(v, dict) and len(v) == 1 and next(iter(v)) in DYNAMO_TYPES for v in record.values()):
        return {k: plain(v) for k, v in record.items()}
    return record


def records(path: str, skip: set[int], counter: list[int]) -> Iterator[list[dict[str, Any]]]:
    page: list[dict[str, Any]] = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if number in skip:
                continue
            page.append(unwrap(json.loads(line)))
            if len(page) >= BATCH:
                counter[0] += len(page)
                yield page
                page = []
    if page:
        counter[0] += len(page)
        yield page


def error_summary(exc: BaseException) -> dict[str, Any]:
    """The exception chain's classes, dlt's failed step, the database's SQLSTATE and the schema names its first
    line quotes (``column "x" of relation "y"``); never a message's rest (its DETAIL holds the row's values)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    database = next((e for e in chain if getattr(e, "pgcode", None)), None)
    found = re.search(r'column "(\w+)" of relation "(\w+)"', str(database).split("\n", 1)[0]) if database else None
    return {"classes": [f"{type(e).__module__}.{type(e).__name__}" for e in chain], "step": getattr(exc, "step", None),
            "sqlstate": getattr(database, "pgcode", None),
            "names": f"column {found.group(1)} of {found.group(2)}" if found else None}


def main(job_path: str) -> int:
    import dlt

    job = json.loads(open(job_path, encoding="utf-8").read())
    counter = [0]
    resources = []
    for table in job["tables"]:
        resources.append(dlt.resource(records(table["path"], set(table["skip_lines"]), counter), name=table["name"],
                                      write_disposition="merge",
                                      primary_key=[snake(k) for k in table["primary_key"]]))
    pipeline = dlt.pipeline(pipeline_name=job.get("pipeline_name", "itc_bench"), pipelines_dir=job["pipelines_dir"],
                            destination=dlt.destinations.postgres(credentials=job["credentials"]),
                            dataset_name="exchange")
    started = time.perf_counter()
    out: dict[str, Any] = {"ok": True}
    try:
        pipeline.run(resources)
    except Exception as exc:  # noqa: BLE001 - the outcome is the measurement
        out = {"ok": False, "error": error_summary(exc)}
    out.update(seconds=time.perf_counter() - started, records=counter[0],
               ru_maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
