# One Python 3.12 arm64 Lambda in private subnets, with everything it needs of its own: an explicit
# KMS-encrypted log group with retention, X-Ray, reserved concurrency, a dead-letter queue that is
# also the on-failure destination of asynchronous invocations, an execution role (iam.tf) and a
# security group (security_group.tf). A second function running the same code can share the
# layer and queue (and the security group, unless it needs other egress) of the first through
# `shared_resources`.
data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  own_resources      = var.shared_resources == null ? 1 : 0
  own_security_group = var.shared_resources == null || !var.share_security_group

  layer_version_arn     = var.shared_resources == null ? aws_lambda_layer_version.this[0].arn : var.shared_resources.layer_version_arn
  security_group_id     = local.own_security_group ? aws_security_group.this[0].id : var.shared_resources.security_group_id
  dead_letter_queue_arn = var.shared_resources == null ? aws_sqs_queue.dlq[0].arn : var.shared_resources.dead_letter_queue_arn

  # The build record of the layer (scripts/build/package_lambdas.py): which RDS CA bundle it carries.
  layer_zip_name      = var.layer_package_path == null ? "" : basename(var.layer_package_path)
  build_manifest_path = var.layer_package_path == null ? "" : coalesce(var.build_manifest_path, "${dirname(var.layer_package_path)}/manifest.json")
  build_manifest      = try(jsondecode(file(local.build_manifest_path)), {}) # missing or unreadable: no record
  layer_build_record  = try(one([for zip in local.build_manifest.zips : zip if zip.file == local.layer_zip_name && zip.kind == "layer"]), null)
  layer_rds_ca_kind   = try(local.layer_build_record.rds_ca_bundle.kind, "none")
  package_command     = "download AWS's RDS global bundle (global-bundle.pem) and run: ITC_DEPLOYMENT_BUILD=1 ITC_RDS_CA_BUNDLE=/path/to/global-bundle.pem make package (terraform/itc-beta/README.md, step 3)"
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

resource "aws_lambda_layer_version" "this" {
  count = local.own_resources

  layer_name               = "${var.name}-deps"
  description              = coalesce(var.layer_description, "Third-party dependencies and itc_common_utilities for ${var.name}")
  filename                 = var.layer_package_path
  source_code_hash         = filebase64sha256(var.layer_package_path)
  compatible_runtimes      = ["python3.12"]
  compatible_architectures = ["arm64"]

  lifecycle {
    # The layer is what `make package` recorded: the manifest describes this very zip.
    precondition {
      condition     = try(local.layer_build_record.base64sha256 == filebase64sha256(var.layer_package_path), false)
      error_message = "${local.build_manifest_path} has no record of ${local.layer_zip_name} as it is now (its sha256): build the zips and their manifest together with `make package`; for a deployment, ${local.package_command}."
    }
    # Every function connects with sslmode=verify-full and trusts only /opt/python/rds-ca/global-bundle.pem.
    precondition {
      condition     = contains(var.allowed_rds_ca_kinds, local.layer_rds_ca_kind)
      error_message = "The layer ${local.layer_zip_name} carries RDS CA bundle kind \"${local.layer_rds_ca_kind}\" (${local.build_manifest_path}), and this environment allows only ${join(", ", var.allowed_rds_ca_kinds)}: a deployed function connects to RDS with sslmode=verify-full and needs AWS's bundle in its layer. To build it, ${local.package_command}."
    }
  }
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_272:Code signing needs AWS Signer jobs over S3-hosted artifacts; zips are built reproducibly by `make package` in CI and pinned here by source_code_hash.
  function_name = var.name
  description   = var.description
  role          = aws_iam_role.this.arn
  handler       = var.handler
  runtime       = "python3.12"
  architectures = ["arm64"]

  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  layers           = [local.layer_version_arn]

  memory_size                    = var.memory_size_mb
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = var.environment_variables
  }

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = concat(aws_security_group.this[*].id, local.own_security_group ? [] : [var.shared_resources.security_group_id], var.additional_security_group_ids)
  }

  tracing_config {
    mode = "Active"
  }

  dead_letter_config {
    target_arn = local.dead_letter_queue_arn
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  tags = merge(var.tags, { Name = var.name })

  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.this,
    aws_iam_role_policy_attachment.vpc_access,
    aws_iam_role_policy_attachment.xray,
  ]
}

# Asynchronous invocations (an S3/EventBridge event, a manual replay) that still fail after the
# retries land in the dead-letter queue; Step Functions invocations are synchronous and fail the
# execution instead, which alerts through SNS.
resource "aws_sqs_queue" "dlq" {
  count = local.own_resources

  name                              = "${var.name}-dlq"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300

  tags = var.tags
}

resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 3600

  destination_config {
    on_failure {
      destination = local.dead_letter_queue_arn
    }
  }
}
