# The orchestrator module: the orchestrator and migrate functions (this file, iam.tf), the
# ingest/load state machines (state_machines.tf), the daily schedule and the manifest rule
# (events.tf), and the migration step (migration.tf). The landing bucket is its own module
# (../landing_bucket); the orchestration key (var.kms_key_arn) comes from the environment.
data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name

  function_name         = "${var.name_prefix}-orchestrator"
  migrate_function_name = "${var.name_prefix}-migrate"

  common_environment = {
    ITC_ENV                      = var.environment
    LOG_LEVEL                    = var.log_level
    POWERTOOLS_METRICS_NAMESPACE = "ITC"
    ITC_DB_HOST                  = var.database.host
    ITC_DB_PORT                  = tostring(var.database.port)
    ITC_DB_NAME                  = var.database.name
    ITC_DB_SSLMODE               = "verify-full"
    ITC_DB_SSLROOTCERT           = "/opt/python/rds-ca/global-bundle.pem"
    ITC_DB_STATEMENT_TIMEOUT_MS  = tostring(var.db_statement_timeout_ms)
    ITC_LANDING_BUCKET           = var.landing.bucket_name
    ITC_BUSINESS_TZ              = var.business_timezone
  }

  # refresh / quality: IAM-authenticated refresher role.
  orchestrator_environment = merge(local.common_environment, {
    POWERTOOLS_SERVICE_NAME = "orchestrator"
    ITC_DB_USER             = var.db_refresher_user
    ITC_DB_IAM_AUTH         = "true"
  })

  # migrate: the schema owner, through the RDS-managed master secret (by ARN, never by value); pinned
  # to its one mode like the pipeline functions, so the owner's credentials never run another mode.
  migrate_environment = merge(local.common_environment, {
    POWERTOOLS_SERVICE_NAME = "orchestrator-migrate"
    ITC_FUNCTION_MODE       = "migrate"
    ITC_DB_USER             = var.database.master_username
    ITC_DB_IAM_AUTH         = "false"
    ITC_DB_SECRET_ARN       = var.database.master_user_secret_arn
  })
}

# Both functions run the orchestrator code (terraform_modules/lambda_function): each with its own
# log group and role; the migrate function shares the orchestrator's layer, security group and
# dead-letter queue. The scoped permissions are in iam.tf.
module "orchestrator" {
  source = "../lambda_function"

  name                  = local.function_name
  description           = "ITC orchestrator: refresh materialized views and run quality checks"
  handler               = "orchestrator.main.handler"
  package_path          = var.package_path
  layer_package_path    = var.layer_package_path
  allowed_rds_ca_kinds  = var.allowed_rds_ca_kinds
  layer_description     = "Third-party dependencies and itc_common_utilities for the orchestrator"
  environment_variables = local.orchestrator_environment
  memory_size_mb        = var.memory_size_mb
  timeout_seconds       = var.timeout_seconds
  reserved_concurrency  = var.reserved_concurrency
  log_retention_days    = var.log_retention_days
  kms_key_arn           = var.kms_key_arn

  vpc_id                        = var.network.vpc_id
  vpc_cidr_block                = var.network.vpc_cidr_block
  subnet_ids                    = var.network.subnet_ids
  additional_security_group_ids = [var.database.client_security_group_id]
  security_group_description    = "${local.function_name} and ${local.migrate_function_name}: HTTPS to VPC endpoints and S3 only"
  gateway_prefix_list_ids       = { s3 = var.network.s3_prefix_list_id }

  warehouse_iam_user     = { db_resource_id = var.database.resource_id, db_user = var.db_refresher_user }
  additional_policy_json = data.aws_iam_policy_document.landing_read.json

  tags = var.tags
}

# Migrations run one at a time: reserved concurrency 1.
module "migrate" {
  source = "../lambda_function"

  name                  = local.migrate_function_name
  description           = "ITC migrate: apply the numbered warehouse SQL scripts (orchestrator code, mode migrate)"
  handler               = "orchestrator.main.handler"
  package_path          = var.package_path
  environment_variables = local.migrate_environment
  memory_size_mb        = var.memory_size_mb
  timeout_seconds       = var.timeout_seconds
  reserved_concurrency  = 1
  log_retention_days    = var.log_retention_days
  kms_key_arn           = var.kms_key_arn

  vpc_id                        = var.network.vpc_id
  vpc_cidr_block                = var.network.vpc_cidr_block
  subnet_ids                    = var.network.subnet_ids
  additional_security_group_ids = [var.database.client_security_group_id]
  shared_resources              = module.orchestrator.shared_resources

  additional_policy_json = data.aws_iam_policy_document.master_secret.json

  tags = var.tags
}
