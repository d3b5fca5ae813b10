"""Lambda handler of the Verify+ pipeline: ``verifyplus_pipeline.main.handler``.

Modes (``event["mode"]``; an S3/EventBridge "Object Created" event without a mode means ``load``):

- ``extract`` ``{"mode": "extract", "run_id": "..."}``: read the Quickbase report, land the snapshot
  and its manifest in the landing bucket (run id defaults to the current UTC time).
- ``load`` an S3 notification / EventBridge event of a ``_manifest.json``, or
  ``{"mode": "load", "bucket": ..., "key": ...}``: load that snapshot into ``raw.verifyplus``.

The handler only builds settings and clients; the work is in :mod:`extract` / :mod:`database_handler`.
Errors a retry can fix surface as ``TransientError`` (Step Functions retries those), others as
``TerminalError`` / ``SettingsError`` / ``ManifestError``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3

from itc_common_utilities.db import connect
from itc_common_utilities.errors import TerminalError
from itc_common_utilities.logger.logger_setup import set_run_id, setup_logger
from itc_common_utilities.s3 import parse_object_event
from itc_common_utilities.settings import DatabaseSettings, load_settings
from verifyplus_pipeline.api_handler import QuickbaseReport, build_quickbase_session, resolve_token
from verifyplus_pipeline.database_handler import load_verifyplus
from verifyplus_pipeline.extract import extract_report
from verifyplus_pipeline.settings import ExtractSettings

logger = setup_logger("verifyplus_pipeline")


def _mode(event: dict[str, Any]) -> str:
    mode = event.get("mode")
    if mode:
        return str(mode)
    if "Records" in event or event.get("detail-type") == "Object Created" or ("bucket" in event and "key" in event):
        return "load"
    raise TerminalError("event has no 'mode' and is not an S3/EventBridge object event")


def run_extract(event: dict[str, Any], *, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    settings = load_settings(ExtractSettings, overrides)
    run_id = str(event.get("run_id") or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
    set_run_id(logger, run_id)
    secrets = boto3.client("secretsmanager") if settings.qb_token_secret_arn else None
    session = build_quickbase_session(settings, resolve_token(settings, secrets))
    try:
        report = QuickbaseReport.from_settings(settings, session, log=logger)
        return extract_report(report, boto3.client("s3"), settings.landing_bucket, run_id,
                              allow_empty=settings.allow_empty, log=logger)
    finally:
        session.close()


def run_load(event: dict[str, Any], *, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    db_settings = load_settings(DatabaseSettings, overrides)
    refs = [r for r in parse_object_event(event) if r.key.endswith("/_manifest.json")]
    if not refs:
        raise TerminalError("the event names no verifyplus _manifest.json to load")
    s3 = boto3.client("s3")
    conn = connect(db_settings, application_name="itc-verifyplus-load")
    try:
        results = []
        for ref in refs:
            set_run_id(logger, _run_id_of(ref.key))
            results.append(load_verifyplus(conn, s3, ref, log=logger))
    finally:
        conn.close()
    return {"mode": "load", "loads": results} if len(results) > 1 else {"mode": "load", **results[0]}


def _run_id_of(key: str) -> str:
    """``verifyplus/run=<run_id>/_manifest.json`` → ``<run_id>`` (the key itself if it has no run= part)."""
    for part in key.split("/"):
        if part.startswith("run="):
            return part[len("run="):]
    return key


def handler(event: dict[str, Any] | None, context: Any = None) -> dict[str, Any]:
    event = event or {}
    mode = _mode(event)
    if mode == "extract":
        return run_extract(event)
    if mode == "load":
        return run_load(event)
    raise TerminalError(f"unknown mode {mode!r}: expected 'extract' or 'load'")
