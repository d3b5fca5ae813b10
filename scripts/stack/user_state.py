"""A fingerprint of what a user of the checkout keeps: the demo's reports, warehouse and landing bucket.

The test suite takes one when it starts and another when it ends (the repository's ``conftest.py``),
and fails when they differ: tests write only to temporary folders and throw-away databases, never
into ``reports/``, the demo's warehouse (the ``itc`` database of the embedded PostgreSQL, or the
database ``ITC_ADMIN_DATABASE_URL`` / ``ITC_DATABASE_URL`` names) or the local stack's landing bucket.

- reports: every file under the folder, by relative path → sha256 of its bytes;
- warehouse: every table of the ITC schemas → its row count and an md5 over its rows in text form
  (a database that does not exist, or has no ITC schema yet, gives an empty fingerprint);
- landing bucket: every object version's key → its ETag, when the local stack's moto is running.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import botocore.exceptions
import psycopg2
from psycopg2 import sql

SCHEMAS = ("raw", "curated", "analytics", "ref", "ops")

Fingerprint = dict[str, str]


def reports(folder: Path) -> Fingerprint:
    """``reports/<relative path>`` → sha256 of the file's bytes, for every file under ``folder``."""
    if not folder.is_dir():
        return {}
    return {f"reports/{p.relative_to(folder)}": hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def warehouse(dsn: str) -> Fingerprint:
    """``<schema>.<table>`` → ``<rows> rows, md5 <digest>`` for every base table of the ITC schemas."""
    try:
        conn = psycopg2.connect(dsn, connect_timeout=5)
    except psycopg2.OperationalError as exc:
        if "does not exist" in str(exc):
            return {}
        raise
    try:
        conn.set_session(readonly=True)
        with conn.cursor() as cur:
            cur.execute("SELECT table_schema, table_name FROM information_schema.tables "
                        "WHERE table_type = 'BASE TABLE' AND table_schema = ANY(%s) ORDER BY 1, 2", (list(SCHEMAS),))
            tables = cur.fetchall()
            found: Fingerprint = {}
            for schema, table in tables:
                cur.execute(sql.SQL("SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') "
                                    "FROM {}.{} AS t").format(sql.Identifier(schema), sql.Identifier(table)))
                rows, digest = cur.fetchone()
                found[f"{schema}.{table}"] = f"{rows} rows, md5 {digest}"
        return found
    finally:
        conn.close()


def bucket(s3: object, name: str) -> Fingerprint:
    """``s3://<name>/<key>@<version>`` → ETag of every object version in the bucket (none when it is absent)."""
    found: Fingerprint = {}
    try:
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=name)  # type: ignore[attr-defined]
        for page in pages:
            for version in page.get("Versions", []):
                found[f"s3://{name}/{version['Key']}@{version['VersionId']}"] = version["ETag"]
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
            return {}
        raise
    return found


def differences(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """One line per thing added, removed or changed between two fingerprints, sorted."""
    lines = []
    for key in sorted(set(before) | set(after)):
        if key not in after:
            lines.append(f"{key}: removed (was {before[key]})")
        elif key not in before:
            lines.append(f"{key}: added ({after[key]})")
        elif before[key] != after[key]:
            lines.append(f"{key}: changed ({before[key]} -> {after[key]})")
    return lines
