"""The landing bucket's grant to a cross-account DynamoDB export writer (the demand pipeline's README,
"Extract by DynamoDB export"), read from a real plan.

GIVEN the landing_bucket module with export_writer_role_arns = [the Exchange role] (how itc-beta calls it when a
demand table is in export mode), `terraform plan` against a moto STS (as test_landing_and_network_controls.py
does) renders the bucket and key policies exactly as AWS would receive them. A cross-account principal may do only
what the bucket policy Allows, so the Allow's resources are the whole of what the Exchange role may write.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from scripts.stack.local_stack import threaded_moto
from tests.terraform.conftest import MODULES, moto_provider_block, plan_json
from tests.terraform.test_landing_and_network_controls import (
    ADMIN,
    REGION,
    WRITERS,
    data_source,
    denied,
    planned,
)

EXCHANGE_ROLE = "arn:aws:iam::444455556666:role/exchange-beta-itc-read"

# This root's one module call (after the test provider block: moto STS only).
ROOT_TF = """module "landing" {{
  source                  = "{landing}"
  name_prefix             = "itc-exp"
  writer_role_arns        = {writers}
  export_writer_role_arns = ["{exchange}"]
  admin_role_arns         = ["{admin}"]
}}
"""


@pytest.fixture(scope="module")
def plan(terraform_cli: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with threaded_moto() as sts:
        root = tmp_path_factory.mktemp("export_writers")
        (root / "main.tf").write_text(moto_provider_block(sts, region=REGION) + ROOT_TF.format(
            landing=os.path.relpath(MODULES / "landing_bucket", root),
            writers=json.dumps(WRITERS), exchange=EXCHANGE_ROLE, admin=ADMIN))
        yield plan_json(terraform_cli, root)


def allowed_resources(policy_json: str, principal: str, action: str) -> list[str]:
    return [r for st in json.loads(policy_json)["Statement"] if st["Effect"] == "Allow"
            and principal in (st["Principal"]["AWS"] if isinstance(st["Principal"]["AWS"], list)
                              else [st["Principal"]["AWS"]])
            and action in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
            for r in (st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]])]


def test_export_writer_writes_under_exports_only(plan) -> None:
    """GIVEN the Exchange role as export writer WHEN it puts an export file THEN no deny applies and the bucket
    policy allows it under exports/ only: a snapshot or manifest key is outside every Allow it has."""
    policy = data_source(plan, "module.landing.data.aws_iam_policy_document.access_control")["json"]
    resources = allowed_resources(policy, EXCHANGE_ROLE, "s3:PutObject")
    assert len(resources) == 1 and resources[0].endswith("/exports/*"), resources
    bucket_arn = resources[0].removesuffix("/exports/*")
    assert bucket_arn.startswith("arn:aws:s3:::itc-exp-")
    export_file = f"{bucket_arn}/exports/documents/r1/AWSDynamoDB/0170-abc/data/part-0.json.gz"
    assert denied(policy, EXCHANGE_ROLE, "s3:PutObject", export_file) == []
    for key in ("demand/run=r1/_manifest.json", "demand/run=r1/documents.jsonl.gz"):
        assert not any(fnmatch.fnmatchcase(f"{bucket_arn}/{key}", r) for r in resources), key
    assert set(allowed_resources(policy, EXCHANGE_ROLE, "s3:AbortMultipartUpload")) == set(resources)


def test_export_writer_uses_landing_key_via_s3_only(plan) -> None:
    """GIVEN an export writer
    WHEN planned
    THEN the landing key serves it only through S3."""
    (key,) = planned(plan, "module.landing.module.kms", "aws_kms_key").values()
    [grant] = [st for st in json.loads(key["policy"])["Statement"] if st.get("Sid") == "DynamoDbExportWritersThroughS3"]
    assert grant["Principal"]["AWS"] in (EXCHANGE_ROLE, [EXCHANGE_ROLE])
    assert sorted(grant["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert grant["Condition"] == {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}
