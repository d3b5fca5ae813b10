"""Fixtures of the shared package's tests (the database fixtures come from the repository's conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from common_testkit import BUCKET
from moto import mock_aws

from itc_common_utilities.signature import ensure_local_keys


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto S3 client with the versioned landing bucket ``BUCKET`` (and the key that signs manifests)."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # the clients the code under test creates
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        ensure_local_keys(boto3.client("kms"))
        yield client
