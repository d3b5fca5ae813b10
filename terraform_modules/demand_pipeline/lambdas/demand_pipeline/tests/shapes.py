"""The three shapes an Exchange record can arrive in, made from one plain record (test helper)."""

from __future__ import annotations

import json
from typing import Any


def to_dynamo(value: Any) -> Any:
    """A plain JSON value as a raw DynamoDB attribute value."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, list):
        return {"L": [to_dynamo(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {k: to_dynamo(v) for k, v in value.items()}}
    raise TypeError(type(value).__name__)


def dynamo_item(record: dict[str, Any]) -> dict[str, Any]:
    """A whole record as DynamoDB returns an item: every attribute typed."""
    return {k: to_dynamo(v) for k, v in record.items()}


def json_strings(record: dict[str, Any]) -> dict[str, Any]:
    """A record whose nested objects and lists arrive as JSON text."""
    return {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in record.items()}


SHAPES = {"plain": lambda r: r, "dynamo": dynamo_item, "json_string": json_strings}
