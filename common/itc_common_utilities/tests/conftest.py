"""Fixtures of the shared package's tests (the database fixtures come from the repository's conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from common_testkit import BUCKET
from moto import mock_aws


@pytest.fixture
def s3() -> Iterator[Any]:
    """A moto S3 client with the versioned landing bucket ``BUCKET``."""
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield client
