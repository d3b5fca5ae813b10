locals {
  function_name = "${var.name_prefix}-demand-pipeline"
  handler       = "demand_pipeline.main.handler"

  # Names exactly as docs/CONTRACTS.md; no secret is ever passed as a value.
  environment = { for k, v in {
    ITC_ENV                      = var.environment
    LOG_LEVEL                    = var.log_level
    POWERTOOLS_SERVICE_NAME      = "demand_pipeline"
    POWERTOOLS_METRICS_NAMESPACE = "ITC"
    ITC_DB_HOST                  = var.db_host
    ITC_DB_PORT                  = tostring(var.db_port)
    ITC_DB_NAME                  = var.db_name
    ITC_DB_USER                  = var.db_user
    ITC_DB_IAM_AUTH              = "true"
    ITC_DB_SSLMODE               = "verify-full"
    ITC_DB_SSLROOTCERT           = "/opt/python/rds-ca/global-bundle.pem"
    ITC_DB_STATEMENT_TIMEOUT_MS  = tostring(var.db_statement_timeout_ms)
    ITC_LANDING_BUCKET           = var.landing_bucket_name
    ITC_EXCHANGE_ENV             = var.exchange_env
    ITC_EXCHANGE_REGION          = coalesce(var.exchange_region, local.region)
    ITC_EXCHANGE_ROLE_ARN        = var.exchange_role_arn
    ITC_EXCHANGE_EXTERNAL_ID     = var.exchange_external_id
    ITC_SCAN_SEGMENTS            = tostring(var.scan_segments)
    ITC_SCAN_PAGE_LIMIT          = tostring(var.scan_page_limit)
  } : k => v if v != null }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn

  tags = var.tags
}

resource "aws_lambda_layer_version" "this" {
  layer_name               = "${local.function_name}-deps"
  description              = "Third-party dependencies and itc_common_utilities for ${local.function_name}"
  filename                 = var.layer_package_path
  source_code_hash         = filebase64sha256(var.layer_package_path)
  compatible_runtimes      = ["python3.12"]
  compatible_architectures = ["arm64"]
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_272:Code signing needs AWS Signer jobs over S3-hosted artifacts; zips are built reproducibly by `make package` in CI and pinned here by source_code_hash.
  function_name = local.function_name
  description   = "ITC demand pipeline: extract Exchange DynamoDB tables to S3, load snapshots into the warehouse"
  role          = aws_iam_role.this.arn
  handler       = local.handler
  runtime       = "python3.12"
  architectures = ["arm64"]

  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  layers           = [aws_lambda_layer_version.this.arn]

  memory_size                    = var.memory_size_mb
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = aws_kms_key.this.arn

  environment {
    variables = local.environment
  }

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = concat([aws_security_group.this.id], var.additional_security_group_ids)
  }

  tracing_config {
    mode = "Active"
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.dlq.arn
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  tags = merge(var.tags, { Name = local.function_name })

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
  name                              = "${local.function_name}-dlq"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300

  tags = var.tags
}

resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 3600

  destination_config {
    on_failure {
      destination = aws_sqs_queue.dlq.arn
    }
  }
}
