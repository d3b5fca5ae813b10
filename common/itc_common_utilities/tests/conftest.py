"""Fixtures of the shared package's tests (the database fixtures come from the repository's conftest.py)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from common_testkit import BUCKET


@pytest.fixture
def s3(moto: None) -> Any:
    """On the shared moto (the repository's conftest.py, with the keys that sign manifests): an S3 client
    with the versioned landing bucket ``BUCKET``."""
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return client
