"""Helpers of the shared package's tests: a landing bucket, small stand-in specs for the load engine,
records to feed them, and read-back helpers.

The specs are small stand-ins over ``raw.templates`` / ``raw.audit`` so the engine is tested on its
own; the demand and Verify+ pipelines test their own builders through it.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from itc_common_utilities.loader import RecordRejected, TableSpec
from itc_common_utilities.s3 import ObjectRef, write_snapshot
from itc_common_utilities.settings import LoadGuardSettings

BUCKET = "landing"
EXTRACTED_AT = datetime(2026, 11, 1, tzinfo=UTC)
_LANDED = itertools.count()  # each landed snapshot is extracted a second after the one before (the ordering guard)


def build_template(rec: dict[str, Any]) -> tuple[Any, ...]:
    if not isinstance(rec, dict) or "templateId" not in rec:
        raise RecordRejected("missing_key", "templateId", None, "templateId is missing")
    version = rec.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise RecordRejected("bad_type", "version", version, "version must be an integer")
    return (rec["templateId"], version, rec.get("templateName"), rec.get("config"))


def build_audit(rec: dict[str, Any]) -> tuple[Any, ...]:
    payload = rec.get("payload") or {}
    return (rec.get("auditRecordId"), rec.get("documentId"), None, rec.get("actionType"),
            payload.get("archiveReason"), payload.get("archiveComments"))


TEMPLATES = TableSpec("templates", "raw.templates", ("template_id", "version", "template_name",
                                                   "default_demand_config"),
                      ("template_id", "version"), build_template, record_key=lambda r: r.get("templateId"))
AUDIT = TableSpec("documents_audit", "raw.audit", ("audit_record_id", "document_id", "created_at", "action_type",
                                                   "archive_reason", "archive_comments"),
                  ("audit_record_id",), build_audit, record_key=lambda r: r.get("auditRecordId"))
SPECS = (TEMPLATES, AUDIT)
# for tests of the engine's mechanics (upsert + delete, quarantine) on snapshots of a few records, where one
# record is a large share; the guards themselves, with their defaults, are tested in test_loader_guards.py
UNGUARDED_SHARES = LoadGuardSettings(max_delete_share=1.0, max_reject_share=1.0)


def land(s3: Any, run_id: str, tables: dict[str, list[Any]], *, source: str = "demand",
         extracted_at: datetime | None = None) -> ObjectRef:
    """Land a snapshot of ``tables`` (files + manifest) in ``BUCKET``; the manifest's reference. Unless
    ``extracted_at`` is given, each snapshot is extracted a second after the one landed before it."""
    extracted_at = extracted_at or EXTRACTED_AT + timedelta(seconds=next(_LANDED))
    return write_snapshot(s3, BUCKET, source, run_id, tables, extracted_at=extracted_at.isoformat())


def templates(n: int, name: str = "Standard") -> list[dict[str, Any]]:
    return [{"templateId": f"t{i}", "version": 1, "templateName": f"{name} {i}", "config": {"a": i}}
            for i in range(n)]


def audits(n: int) -> list[dict[str, Any]]:
    return [{"auditRecordId": f"a{i}", "documentId": f"d{i}", "actionType": "DemandArchived",
             "payload": {"archiveReason": "Settled", "archiveComments": f"claimant Jane Doe {i}"}} for i in range(n)]


def table_digest(conn: Any, table: str, order: str) -> tuple[int, str]:
    """(row count, md5 of every row in ``order``) of ``table``: equal digests mean equal contents."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY {order}), '')) FROM {table} t")
        count, digest = cur.fetchone()
    conn.rollback()
    return count, digest


def rows(conn: Any, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with conn.cursor() as cur:
        cur.execute(query, params)
        out = cur.fetchall()
    conn.rollback()
    return out
