"""Lambda handler of the demand pipeline: ``demand_pipeline.main.handler``.

Modes (``event["mode"]``; an S3 / EventBridge "Object Created" event without a mode means ``load``):

- ``extract`` with ``{"run_id": "..."}``: scan the Exchange tables into a landing snapshot.
- ``load`` with an S3 ObjectCreated notification, an EventBridge "Object Created" event (as the load
  state machine passes it), or ``{"bucket", "key"}``: load that manifest's snapshot into raw. A key
  that is not a demand ``_manifest.json`` is ignored (and said so in the result).

Returns a small JSON summary. Errors a retry can fix are raised as ``TransientError``.
"""

from __future__ import annotations

from typing import Any

import boto3

from demand_pipeline.extract import assume_exchange_session, extract
from demand_pipeline.load import is_demand_manifest, load
from demand_pipeline.settings import DemandSettings, load_demand_settings
from itc_common_utilities.db import connect
from itc_common_utilities.logger.logger_setup import set_run_id, setup_logger
from itc_common_utilities.manifest import validate_run_id
from itc_common_utilities.s3 import parse_object_event
from itc_common_utilities.settings import DatabaseSettings, load_settings

logger = setup_logger("demand_pipeline")


class BadEventError(ValueError):
    """The event is not one this handler understands."""


def _client(service: str, settings: DemandSettings, **kwargs: Any) -> Any:
    if settings.endpoint_url:
        kwargs.setdefault("endpoint_url", settings.endpoint_url)
    if settings.region:
        kwargs.setdefault("region_name", settings.region)
    return boto3.client(service, **kwargs)


def exchange_client(settings: DemandSettings) -> Any:
    """DynamoDB client for the Exchange tables (in the Exchange account when a role is configured)."""
    kwargs: dict[str, Any] = {}
    if settings.exchange_region:
        kwargs["region_name"] = settings.exchange_region
    if settings.exchange_role_arn:
        kwargs.update(assume_exchange_session(_client("sts", settings), settings.exchange_role_arn,
                                              settings.exchange_external_id))
    return _client("dynamodb", settings, **kwargs)


def run_extract(event: dict[str, Any], settings: DemandSettings) -> dict[str, Any]:
    run_id = event.get("run_id")
    if not isinstance(run_id, str):
        raise BadEventError("mode extract needs a string run_id")
    validate_run_id(run_id)
    set_run_id(logger, run_id)
    return extract(exchange_client(settings), _client("s3", settings), bucket=settings.landing_bucket,
                   run_id=run_id, table_names=settings.table_names(), segments=settings.scan_segments,
                   page_limit=settings.scan_page_limit, logger=logger)


def run_load(event: dict[str, Any], settings: DemandSettings) -> dict[str, Any]:
    try:
        refs = parse_object_event(event)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadEventError(f"mode load needs an S3/EventBridge event or {{'bucket', 'key'}}: {exc}") from None
    db_settings = load_settings(DatabaseSettings)
    results: list[dict[str, Any]] = []
    s3 = _client("s3", settings)
    for ref in refs:
        if not is_demand_manifest(ref):
            logger.info("not a demand manifest: ignored", extra={"key": ref.key})
            results.append({"status": "ignored", "manifest_key": ref.key})
            continue
        conn = connect(db_settings, application_name="itc-demand-load")
        try:
            results.append(load(conn, s3, ref, logger=logger).to_dict())
        finally:
            conn.close()
    return {"mode": "load", "source": "demand", "results": results} if len(results) != 1 else {
        "mode": "load", **results[0]}


def handler(event: dict[str, Any], context: Any = None, **overrides: Any) -> dict[str, Any]:
    """Lambda entry point; ``overrides`` (tests, local CLI) win over environment variables."""
    if not isinstance(event, dict):
        raise BadEventError("the event must be a JSON object")
    mode = event.get("mode")
    if mode is None and ("Records" in event or "detail" in event or ("bucket" in event and "key" in event)):
        mode = "load"
    settings = load_demand_settings(**overrides)
    if mode == "extract":
        return run_extract(event, settings)
    if mode == "load":
        return run_load(event, settings)
    raise BadEventError(f"unknown mode {mode!r}: expected 'extract' or 'load'")
