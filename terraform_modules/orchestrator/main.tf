# The orchestrator module: the landing bucket (landing_bucket.tf), the orchestrator and migrate
# functions (this file, iam.tf), the ingest/load state machines (state_machines.tf), the daily
# schedule and the manifest rule (events.tf), and the migration step (migration.tf).
locals {
  function_name         = "${var.name_prefix}-orchestrator"
  migrate_function_name = "${var.name_prefix}-migrate"
  handler               = "orchestrator.main.handler"

  common_environment = {
    ITC_ENV                      = var.environment
    LOG_LEVEL                    = var.log_level
    POWERTOOLS_METRICS_NAMESPACE = "ITC"
    ITC_DB_HOST                  = var.db_host
    ITC_DB_PORT                  = tostring(var.db_port)
    ITC_DB_NAME                  = var.db_name
    ITC_DB_SSLMODE               = "verify-full"
    ITC_DB_SSLROOTCERT           = "/opt/python/rds-ca/global-bundle.pem"
    ITC_DB_STATEMENT_TIMEOUT_MS  = tostring(var.db_statement_timeout_ms)
    ITC_LANDING_BUCKET           = aws_s3_bucket.landing.id
    ITC_BUSINESS_TZ              = var.business_timezone
  }

  # refresh / quality: IAM-authenticated refresher role.
  orchestrator_environment = merge(local.common_environment, {
    POWERTOOLS_SERVICE_NAME = "orchestrator"
    ITC_DB_USER             = var.db_refresher_user
    ITC_DB_IAM_AUTH         = "true"
  })

  # migrate: the schema owner, through the RDS-managed master secret (by ARN, never by value).
  migrate_environment = merge(local.common_environment, {
    POWERTOOLS_SERVICE_NAME = "orchestrator-migrate"
    ITC_DB_USER             = var.db_master_username
    ITC_DB_IAM_AUTH         = "false"
    ITC_DB_SECRET_ARN       = var.db_master_user_secret_arn
  })

  functions = {
    orchestrator = {
      name        = local.function_name
      description = "ITC orchestrator: refresh materialized views and run quality checks"
      environment = local.orchestrator_environment
      concurrency = var.reserved_concurrency
    }
    migrate = {
      name        = local.migrate_function_name
      description = "ITC migrate: apply the numbered warehouse SQL scripts (orchestrator code, mode migrate)"
      environment = local.migrate_environment
      concurrency = 1
    }
  }
}

resource "aws_cloudwatch_log_group" "functions" {
  for_each = local.functions

  name              = "/aws/lambda/${each.value.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn

  tags = var.tags
}

resource "aws_lambda_layer_version" "this" {
  layer_name               = "${local.function_name}-deps"
  description              = "Third-party dependencies and itc_common_utilities for the orchestrator"
  filename                 = var.layer_package_path
  source_code_hash         = filebase64sha256(var.layer_package_path)
  compatible_runtimes      = ["python3.12"]
  compatible_architectures = ["arm64"]
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_272:Code signing needs AWS Signer jobs over S3-hosted artifacts; zips are built reproducibly by `make package` in CI and pinned here by source_code_hash.
  for_each = local.functions

  function_name = each.value.name
  description   = each.value.description
  role          = aws_iam_role.functions[each.key].arn
  handler       = local.handler
  runtime       = "python3.12"
  architectures = ["arm64"]

  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  layers           = [aws_lambda_layer_version.this.arn]

  memory_size                    = var.memory_size_mb
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = each.value.concurrency
  kms_key_arn                    = aws_kms_key.this.arn

  environment {
    variables = each.value.environment
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
    log_group  = aws_cloudwatch_log_group.functions[each.key].name
  }

  tags = merge(var.tags, { Name = each.value.name })

  depends_on = [
    aws_cloudwatch_log_group.functions,
    aws_iam_role_policy.functions,
    aws_iam_role_policy_attachment.vpc_access,
    aws_iam_role_policy_attachment.xray,
  ]
}

resource "aws_sqs_queue" "dlq" {
  name                              = "${local.function_name}-dlq"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300

  tags = var.tags
}

resource "aws_lambda_function_event_invoke_config" "this" {
  for_each = aws_lambda_function.this

  function_name                = each.value.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 3600

  destination_config {
    on_failure {
      destination = aws_sqs_queue.dlq.arn
    }
  }
}
