locals {
  function_name = "${var.name_prefix}-verifyplus-pipeline"

  # Names exactly as docs/CONTRACTS.md; no secret is ever passed as a value.
  environment = { for k, v in {
    ITC_ENV                      = var.environment
    LOG_LEVEL                    = var.log_level
    POWERTOOLS_SERVICE_NAME      = "verifyplus_pipeline"
    POWERTOOLS_METRICS_NAMESPACE = "ITC"
    ITC_DB_HOST                  = var.database.host
    ITC_DB_PORT                  = tostring(var.database.port)
    ITC_DB_NAME                  = var.database.name
    ITC_DB_USER                  = var.db_user
    ITC_DB_IAM_AUTH              = "true"
    ITC_DB_SSLMODE               = "verify-full"
    ITC_DB_SSLROOTCERT           = "/opt/python/rds-ca/global-bundle.pem"
    ITC_DB_STATEMENT_TIMEOUT_MS  = tostring(var.db_statement_timeout_ms)
    ITC_LANDING_BUCKET           = var.landing.bucket_name
    ITC_QB_BASE_URL              = var.qb_base_url
    ITC_QB_REALM                 = var.qb_realm
    ITC_QB_TABLE_ID              = var.qb_table_id
    ITC_QB_REPORT_ID             = var.qb_report_id
    ITC_QB_TOKEN_SECRET_ARN      = local.qb_token_secret_arn
    ITC_QB_PAGE_SIZE             = tostring(var.qb_page_size)
    ITC_QB_TIMEOUT_S             = tostring(var.qb_timeout_seconds)
  } : k => v if v != null }
}

# The function, its log group, layer, dead-letter queue, role and security group
# (terraform_modules/lambda_function); its scoped permissions are in iam.tf, its key in kms.tf.
module "function" {
  source = "../lambda_function"

  name                  = local.function_name
  description           = "ITC Verify+ pipeline: extract the Quickbase report to S3, load snapshots into the warehouse"
  handler               = "verifyplus_pipeline.main.handler"
  package_path          = var.package_path
  layer_package_path    = var.layer_package_path
  environment_variables = local.environment
  memory_size_mb        = var.memory_size_mb
  timeout_seconds       = var.timeout_seconds
  reserved_concurrency  = var.reserved_concurrency
  log_retention_days    = var.log_retention_days
  kms_key_arn           = module.kms.key_arn

  vpc_id                        = var.network.vpc_id
  vpc_cidr_block                = var.network.vpc_cidr_block
  subnet_ids                    = var.network.subnet_ids
  additional_security_group_ids = [var.database.client_security_group_id]
  security_group_description    = "${local.function_name}: HTTPS to VPC endpoints, S3 and Quickbase only"
  gateway_prefix_list_ids       = { s3 = var.network.s3_prefix_list_id }
  https_egress_cidr_blocks      = var.https_egress_cidr_blocks

  landing_prefix_access  = { bucket_arn = var.landing.bucket_arn, prefix = "verifyplus", kms_key_arn = var.landing.kms_key_arn }
  warehouse_iam_user     = { db_resource_id = var.database.resource_id, db_user = var.db_user }
  additional_policy_json = data.aws_iam_policy_document.quickbase.json

  tags = var.tags
}
