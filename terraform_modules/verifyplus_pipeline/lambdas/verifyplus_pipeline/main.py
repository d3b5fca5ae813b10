"""Lambda handler of the Verify+ pipeline: ``verifyplus_pipeline.main.handler``.

The shape every ITC handler shares (:mod:`itc_common_utilities.handler`):

- ``{"mode": "extract", "run_id": "..."}``: read the Quickbase report, land the snapshot and its
  manifest in the landing bucket (the run id defaults to the current UTC time).
- ``{"mode": "load", ...}`` with an S3 notification, an EventBridge "Object Created" event, an SQS
  message of either, or ``{"bucket", "key"}``: load each ``_manifest.json`` into ``raw.verifyplus``.
  Without a ``mode`` such an object event means ``load``. A key that is not a Verify+ ``_manifest.json``
  is ignored (and said so in its entry of ``loads``).
- ``"overrides"``: ``{"<ExtractSettings field>": value}``, winning over the environment.

The handler only builds settings and clients; the work is in :mod:`extract` / :mod:`load`, each imported by
its mode's function at its first call, not at cold start (docs/adr/0016-mode-code-imported-by-its-mode.md): the
extract function never loads the loader or psycopg2, the load function never loads requests or the Quickbase
client.
Returns ``{"mode": "extract", ...}`` or ``{"mode": "load", "loads": [...]}``. A bad event raises
``BadEventError``; errors a retry can fix surface as ``TransientError`` (Step Functions retries those),
others as ``TerminalError`` / ``SettingsError`` / ``ManifestError``.
"""

from __future__ import annotations

from typing import Any

from itc_common_utilities import aws
from itc_common_utilities.handler import Invocation, handle, load_manifests
from itc_common_utilities.logger.logger_setup import set_run_id, setup_logger
from itc_common_utilities.signature import ManifestMac
from verifyplus_pipeline import settings as settings_module
from verifyplus_pipeline.settings import ExtractSettings

SERVICE = "verifyplus_pipeline"
logger = setup_logger(SERVICE)


def run_extract(invocation: Invocation) -> dict[str, Any]:
    from verifyplus_pipeline.extract import extract_report
    from verifyplus_pipeline.quickbase import QuickbaseReport, build_quickbase_session, resolve_token

    run_id = invocation.snapshot_run_id()
    settings = settings_module.load(invocation.overrides)
    set_run_id(logger, run_id)
    mac = ManifestMac.from_environment()  # before the read: a missing key fails now, not after it
    secrets = aws.client("secretsmanager") if settings.qb_token_secret_arn else None
    session = build_quickbase_session(settings, resolve_token(settings, secrets))
    try:
        report = QuickbaseReport.from_settings(settings, session, log=logger)
        return extract_report(report, aws.client("s3"), settings.landing_bucket, run_id,
                              allow_empty=settings.allow_empty, log=logger, mac=mac)
    finally:
        session.close()


def run_load(invocation: Invocation) -> dict[str, Any]:
    from verifyplus_pipeline.load import SOURCE, load_verifyplus

    return load_manifests(invocation, source=SOURCE, logger=logger,
                          load_one=lambda conn, s3, ref: load_verifyplus(conn, s3, ref, log=logger))


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Lambda entry point: event → mode, settings (event ``overrides`` win), the mode's function."""
    return handle(event, context, service=SERVICE, logger=logger, settings=[ExtractSettings], object_mode="load",
                  runs={"extract": run_extract, "load": run_load})
