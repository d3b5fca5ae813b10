"""templates (one row per template version) -> ``raw.templates``."""

from __future__ import annotations

from typing import Any

from demand_pipeline.builders.values import ident, integer, json_document, record_object, text
from itc_common_utilities.loader.quarantine import kept

TEMPLATE_COLUMNS: tuple[str, ...] = ("template_id", "version", "template_name", "default_demand_config")
TEMPLATE_KEY: tuple[str, ...] = ("template_id", "version")


def build_template(record: Any) -> tuple[Any, ...]:
    rec = record_object(record)
    return (
        ident(rec.get("templateId"), "templateId", required=True),
        integer(rec.get("version"), "version", required=True),
        text(rec.get("templateName"), "templateName"),
        kept("raw.templates", "defaultDemandConfig", json_document, rec.get("defaultDemandConfig"),
             "defaultDemandConfig"),
    )


def template_record_key(record: Any) -> str | None:
    rec = record_object(record)
    return f"{ident(rec.get('templateId'), 'templateId')}/{integer(rec.get('version'), 'version')}"
