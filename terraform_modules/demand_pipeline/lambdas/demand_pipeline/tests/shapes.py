"""The three shapes an Exchange record can arrive in, made from one plain record (test helper)."""

from __future__ import annotations

import json
from typing import Any

from scripts.synthetic.exchange import to_dynamo


def dynamo_item(record: dict[str, Any]) -> dict[str, Any]:
    """A whole record as DynamoDB returns an item: every attribute typed."""
    return {k: to_dynamo(v) for k, v in record.items()}


def json_strings(record: dict[str, Any]) -> dict[str, Any]:
    """A record whose nested objects and lists arrive as JSON text."""
    return {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in record.items()}


SHAPES = {"plain": lambda r: r, "dynamo": dynamo_item, "json_string": json_strings}
