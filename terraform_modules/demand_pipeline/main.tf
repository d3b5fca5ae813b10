locals {
  name_prefix           = "${var.name_prefix}-demand"
  extract_function_name = "${local.name_prefix}-extract"
  load_function_name    = "${local.name_prefix}-load"
  key_name              = "${local.name_prefix}-pipeline"

  # Names exactly as docs/CONTRACTS.md; no secret is ever passed as a value. Each function gets only
  # what its step reads: the extract no database settings, the load no Exchange settings.
  common_environment = {
    ITC_ENV                      = var.environment
    LOG_LEVEL                    = var.log_level
    POWERTOOLS_SERVICE_NAME      = "demand_pipeline"
    POWERTOOLS_METRICS_NAMESPACE = "ITC"
  }

  extract_environment = merge(local.common_environment, { for k, v in {
    ITC_FUNCTION_MODE        = "extract"
    ITC_LANDING_BUCKET       = var.landing.bucket_name
    ITC_MANIFEST_MAC_KEY_ID  = var.manifest_mac_key_arn
    ITC_EXCHANGE_ENV         = var.exchange_env
    ITC_EXCHANGE_REGION      = local.exchange_region
    ITC_EXCHANGE_ROLE_ARN    = var.exchange_role_arn
    ITC_EXCHANGE_EXTERNAL_ID = var.exchange_external_id
    ITC_SCAN_SEGMENTS        = tostring(var.scan_segments)
    ITC_SCAN_PAGE_LIMIT      = tostring(var.scan_page_limit)
    ITC_SCAN_PART_ITEMS      = tostring(var.scan_part_items)
    ITC_EXTRACT_MODE         = length(local.export_tables) == 0 ? null : jsonencode(var.extract_modes)
    ITC_LANDING_BUCKET_OWNER = length(local.export_tables) == 0 ? null : local.account_id
    ITC_LANDING_KMS_KEY_ARN  = length(local.export_tables) == 0 ? null : var.landing.kms_key_arn
  } : k => v if v != null })

  load_environment = merge(local.common_environment, { for k, v in {
    ITC_FUNCTION_MODE           = "load"
    ITC_MANIFEST_MAC_KEY_ID     = var.manifest_mac_key_arn
    ITC_FORCE_APPROVAL_KEY_ID   = var.force_approval_key_arn
    ITC_DB_HOST                 = var.database.host
    ITC_DB_PORT                 = tostring(var.database.port)
    ITC_DB_NAME                 = var.database.name
    ITC_DB_USER                 = var.db_user
    ITC_DB_IAM_AUTH             = "true"
    ITC_DB_SSLMODE              = "verify-full"
    ITC_DB_SSLROOTCERT          = "/opt/python/rds-ca/global-bundle.pem"
    ITC_DB_STATEMENT_TIMEOUT_MS = tostring(var.db_statement_timeout_ms)
  } : k => v if v != null })
}

# Two functions from one code package, each with its own role (terraform_modules/lambda_function);
# the handler refuses any mode but its ITC_FUNCTION_MODE. The extract scans the Exchange tables
# and writes demand/ of the landing bucket; it is not in the warehouse client security group and
# has no rds-db:connect, so it cannot reach the database. The load reads demand/ and connects as
# itc_loader_demand; it cannot assume the Exchange role or scan DynamoDB. Scoped permissions: iam.tf.
module "extract" {
  source = "../lambda_function"

  name                  = local.extract_function_name
  description           = "ITC demand extract: scan the Exchange DynamoDB tables into a signed S3 snapshot (no database access)"
  handler               = "demand_pipeline.main.handler"
  package_path          = var.package_path
  layer_package_path    = var.layer_package_path
  allowed_rds_ca_kinds  = var.allowed_rds_ca_kinds
  environment_variables = local.extract_environment
  memory_size_mb        = var.memory_size_mb
  timeout_seconds       = var.timeout_seconds
  reserved_concurrency  = var.reserved_concurrency
  log_retention_days    = var.log_retention_days
  kms_key_arn           = module.kms.key_arn

  vpc_id                     = var.network.vpc_id
  vpc_cidr_block             = var.network.vpc_cidr_block
  subnet_ids                 = var.network.subnet_ids
  security_group_description = "${local.extract_function_name}: HTTPS to VPC endpoints, S3 and DynamoDB only"
  gateway_prefix_list_ids    = { s3 = var.network.s3_prefix_list_id, dynamodb = var.network.dynamodb_prefix_list_id }
  https_egress_cidr_blocks   = var.https_egress_cidr_blocks

  landing_prefix_access  = { bucket_arn = var.landing.bucket_arn, prefix = "demand", kms_key_arn = var.landing.kms_key_arn, access = "write" }
  additional_policy_json = data.aws_iam_policy_document.extract.json

  tags = var.tags
}

module "load" {
  source = "../lambda_function"

  name                  = local.load_function_name
  description           = "ITC demand load: verify and load demand snapshots into raw as itc_loader_demand"
  handler               = "demand_pipeline.main.handler"
  package_path          = var.package_path
  environment_variables = local.load_environment
  memory_size_mb        = var.memory_size_mb
  timeout_seconds       = var.timeout_seconds
  reserved_concurrency  = var.reserved_concurrency
  log_retention_days    = var.log_retention_days
  kms_key_arn           = module.kms.key_arn

  vpc_id                        = var.network.vpc_id
  vpc_cidr_block                = var.network.vpc_cidr_block
  subnet_ids                    = var.network.subnet_ids
  additional_security_group_ids = [var.database.client_security_group_id]
  security_group_description    = "${local.load_function_name}: HTTPS to VPC endpoints and S3 only (PostgreSQL through the warehouse client group)"
  gateway_prefix_list_ids       = { s3 = var.network.s3_prefix_list_id }
  shared_resources              = module.extract.shared_resources
  share_security_group          = false

  landing_prefix_access  = { bucket_arn = var.landing.bucket_arn, prefix = "demand", kms_key_arn = var.landing.kms_key_arn, access = "read" }
  warehouse_iam_user     = { db_resource_id = var.database.resource_id, db_user = var.db_user }
  additional_policy_json = var.manifest_mac_key_arn == null && var.force_approval_key_arn == null ? null : data.aws_iam_policy_document.load.json

  tags = var.tags
}
