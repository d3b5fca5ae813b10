"""Lambda handler of the demand pipeline: ``demand_pipeline.main.handler``.

The shape every ITC handler shares (:mod:`itc_common_utilities.handler`):

- ``{"mode": "extract", "run_id": "..."}``: extract the Exchange tables into a landing snapshot (the run id
  defaults to the current UTC time), each table by a scan or by a DynamoDB export (``ITC_EXTRACT_MODE``). An
  optional ``"step"`` (``start``, ``scan``, ``poll``, ``convert``, ``finish``: demand_pipeline.extract_run) runs one
  step of the run, as the ingest state machine does; without it every step runs here.
- ``{"mode": "load", ...}`` with an S3 notification, an EventBridge "Object Created" event (as the load
  state machine passes it), an SQS message of either, or ``{"bucket", "key"}``: load each manifest's
  snapshot into raw. Without a ``mode`` such an object event means ``load``. A key that is not a demand
  ``_manifest.json`` is ignored (and said so in its entry of ``loads``).
- ``"overrides"``: ``{"<DemandSettings field>": value}``, winning over the environment.

Returns ``{"mode": "extract", ...}`` or ``{"mode": "load", "loads": [...]}``. A bad event raises
``BadEventError``; errors a retry can fix are raised as ``TransientError``.

Each mode's code is imported by its function at its first call, not at cold start
(docs/adr/0016-mode-code-imported-by-its-mode.md): the load function never loads the extract and export
code, and the extract function loads the load's code only as far as the extract needs it.
"""

from __future__ import annotations

from typing import Any

from demand_pipeline import settings as settings_module
from demand_pipeline.settings import DemandSettings
from itc_common_utilities import aws
from itc_common_utilities.handler import Invocation, handle, load_manifests
from itc_common_utilities.logger.logger_setup import set_run_id, setup_logger
from itc_common_utilities.signature import ManifestMac

SERVICE = "demand_pipeline"
logger = setup_logger(SERVICE)


def exchange_client(settings: DemandSettings) -> Any:
    """DynamoDB client for the Exchange tables (in the Exchange account when a role is configured)."""
    from demand_pipeline.extract import assume_exchange_session

    kwargs: dict[str, Any] = {}
    if settings.exchange_region:
        kwargs["region_name"] = settings.exchange_region
    if settings.exchange_role_arn:
        kwargs.update(assume_exchange_session(aws.client("sts"), settings.exchange_role_arn,
                                              settings.exchange_external_id))
    return aws.client("dynamodb", **kwargs)


def run_extract(invocation: Invocation) -> dict[str, Any]:
    from demand_pipeline import extract_run

    run_id = invocation.snapshot_run_id()
    settings = settings_module.load(invocation.overrides)
    set_run_id(logger, run_id)
    step = invocation.event.get("step")
    if step is not None and step not in extract_run.STEPS:
        raise invocation.bad(f"'step' must be one of {', '.join(extract_run.STEPS)} (got {step!r})")
    mac = None if step in ("scan", "poll", "convert") else ManifestMac.from_environment()  # before any work: fail now
    owner = ""
    if step in (None, "start") and settings.tables_in_mode("export"):
        owner = settings.landing_bucket_owner or aws.client("sts").get_caller_identity()["Account"]
    ctx = extract_run.ExtractContext(exchange_client(settings), aws.client("s3"), settings, run_id, logger,
                                     bucket_owner=owner, mac=mac)
    if step is None:
        return extract_run.run_all(ctx)
    if step == "start":
        return extract_run.start(ctx)
    if step == "finish":
        scanned = invocation.event.get("scanned")
        if scanned is not None and not isinstance(scanned, list):
            raise invocation.bad("step 'finish' needs 'scanned' as a list: the segment Map's results")
        return extract_run.finish(ctx, _event_object(invocation, "start"), invocation.event.get("converted") or [],
                                  scanned)
    if step == "scan":
        return extract_run.scan(ctx, _event_object(invocation, "segment"))
    export = _event_object(invocation, "export")
    return extract_run.poll(ctx, export) if step == "poll" else extract_run.convert(ctx, export)


def _event_object(invocation: Invocation, name: str) -> dict[str, Any]:
    value = invocation.event.get(name)
    if not isinstance(value, dict):
        raise invocation.bad(f"step {invocation.event.get('step')!r} needs {name!r}: the start step's output")
    return value


def run_load(invocation: Invocation) -> dict[str, Any]:
    from demand_pipeline.load import SOURCE, load

    return load_manifests(invocation, source=SOURCE, logger=logger,
                          load_one=lambda conn, s3, ref: load(conn, s3, ref, logger=logger).to_dict())


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Lambda entry point: event → mode, settings (event ``overrides`` win), the mode's function."""
    return handle(event, context, service=SERVICE, logger=logger, settings=[DemandSettings], object_mode="load",
                  runs={"extract": run_extract, "load": run_load})
