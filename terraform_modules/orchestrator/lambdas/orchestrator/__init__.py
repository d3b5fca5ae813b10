"""ITC orchestrator Lambda: migrate the warehouse, refresh the materialized views, run quality checks."""
