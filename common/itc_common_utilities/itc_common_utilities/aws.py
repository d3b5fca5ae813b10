"""AWS clients for the Lambdas: botocore's, without importing boto3.

Every call the project makes is a plain client call (``get_object``, ``scan``, ``export_table_to_point_in_time``,
``generate_mac``, ...); boto3 adds resources and the S3 transfer manager on top of the same botocore clients, and
importing it costs a cold start about a quarter of a second (``s3transfer`` alone ~0.2 s on the bench machine).
:func:`client` gives the same client ``boto3.client`` would (same credential and region chain, same endpoint
settings such as ``AWS_ENDPOINT_URL``), from one botocore session per process.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import botocore.session

_lock = threading.Lock()


@functools.cache
def _session() -> botocore.session.Session:
    """One session per process, as boto3's default session (credentials resolved once, models loaded once)."""
    return botocore.session.get_session()


def client(service: str, **kwargs: Any) -> Any:
    """A botocore client of ``service`` (keyword arguments as for ``boto3.client``: ``region_name``,
    ``aws_access_key_id``, ``aws_secret_access_key``, ``aws_session_token``, ``config``, ``endpoint_url``)."""
    with _lock:  # a session must not create clients from two threads at once
        return _session().create_client(service, **kwargs)
