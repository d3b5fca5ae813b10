"""Shared building blocks of the ITC pipelines (one copy, used by every Lambda)."""

__version__ = "0.1.0"
