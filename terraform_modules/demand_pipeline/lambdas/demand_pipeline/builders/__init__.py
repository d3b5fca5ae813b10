"""Pure builders: one Exchange record (any of the three shapes) -> one raw row, or RecordRejected."""

from demand_pipeline.builders.audit_builder import AUDIT_COLUMNS, build_audit
from demand_pipeline.builders.case_builder import CASE_COLUMNS, build_case
from demand_pipeline.builders.metadata_builder import METADATA_COLUMNS, build_metadata
from demand_pipeline.builders.templates_builder import TEMPLATE_COLUMNS, build_template

__all__ = [
    "AUDIT_COLUMNS",
    "CASE_COLUMNS",
    "METADATA_COLUMNS",
    "TEMPLATE_COLUMNS",
    "build_audit",
    "build_case",
    "build_metadata",
    "build_template",
]
