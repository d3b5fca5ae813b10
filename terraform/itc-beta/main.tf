locals {
  name_prefix = "itc-${var.environment}"

  tags = merge(var.tags, {
    Project     = "itc"
    Application = "invoice-transactions-collector"
    Environment = var.environment
    Owner       = var.owner
    ManagedBy   = "terraform"
    Compliance  = "hipaa-soc"
  })

  dist = abspath("${path.root}/${var.dist_dir}")

  lambda_network = {
    vpc_id            = module.vpc.vpc_id
    vpc_cidr_block    = module.vpc.vpc_cidr_block
    subnet_ids        = module.vpc.private_subnet_ids
    s3_prefix_list_id = module.vpc.s3_prefix_list_id
  }
}

module "vpc" {
  source = "../../terraform_modules/itc_vpc"

  name_prefix             = local.name_prefix
  cidr_block              = var.vpc_cidr_block
  availability_zones      = var.availability_zones
  public_subnet_cidrs     = var.public_subnet_cidrs
  private_subnet_cidrs    = var.private_subnet_cidrs
  single_nat_gateway      = var.single_nat_gateway
  flow_log_retention_days = var.log_retention_days

  tags = local.tags
}

module "warehouse" {
  source = "../../terraform_modules/itc_data_warehouse"

  name_prefix         = local.name_prefix
  vpc_id              = module.vpc.vpc_id
  subnet_ids          = module.vpc.private_subnet_ids
  instance_class      = var.db_instance_class
  multi_az            = var.db_multi_az
  deletion_protection = var.db_deletion_protection
  analyst_cidr_blocks = var.analyst_cidr_blocks
  log_retention_days  = var.log_retention_days

  tags = local.tags
}

module "monitoring" {
  source = "../../terraform_modules/monitoring"

  name_prefix  = local.name_prefix
  alert_emails = var.alert_emails

  lambda_function_names = {
    demand_pipeline     = module.demand_pipeline.function_name
    verifyplus_pipeline = module.verifyplus_pipeline.function_name
    orchestrator        = module.orchestrator.function_name
    migrate             = module.orchestrator.migrate_function_name
  }
  lambda_timeouts_seconds = {
    demand_pipeline     = 900
    verifyplus_pipeline = 900
    orchestrator        = 900
    migrate             = 900
  }
  state_machine_arns = module.orchestrator.state_machine_arns
  dlq_names = {
    demand_pipeline     = module.demand_pipeline.dlq_name
    verifyplus_pipeline = module.verifyplus_pipeline.dlq_name
    orchestrator        = module.orchestrator.dlq_name
    orchestration_event = module.orchestrator.events_dlq_name
  }
  db_instance_identifier = module.warehouse.db_instance_identifier

  tags = local.tags
}

module "demand_pipeline" {
  source = "../../terraform_modules/demand_pipeline"

  name_prefix        = local.name_prefix
  environment        = var.environment
  package_path       = "${local.dist}/demand_pipeline.zip"
  layer_package_path = "${local.dist}/demand_pipeline-layer.zip"
  log_retention_days = var.log_retention_days

  vpc_id                        = local.lambda_network.vpc_id
  vpc_cidr_block                = local.lambda_network.vpc_cidr_block
  subnet_ids                    = local.lambda_network.subnet_ids
  s3_prefix_list_id             = local.lambda_network.s3_prefix_list_id
  dynamodb_prefix_list_id       = module.vpc.dynamodb_prefix_list_id
  additional_security_group_ids = [module.warehouse.db_client_security_group_id]

  landing_bucket_name = module.orchestrator.landing_bucket_name
  landing_bucket_arn  = module.orchestrator.landing_bucket_arn
  landing_kms_key_arn = module.orchestrator.kms_key_arn

  db_host        = module.warehouse.db_instance_address
  db_port        = module.warehouse.db_instance_port
  db_name        = module.warehouse.db_instance_database_name
  db_resource_id = module.warehouse.db_instance_resource_id

  exchange_env         = var.exchange_env
  exchange_region      = var.exchange_region
  exchange_role_arn    = var.exchange_role_arn
  exchange_external_id = var.exchange_external_id

  tags = local.tags
}

module "verifyplus_pipeline" {
  source = "../../terraform_modules/verifyplus_pipeline"

  name_prefix        = local.name_prefix
  environment        = var.environment
  package_path       = "${local.dist}/verifyplus_pipeline.zip"
  layer_package_path = "${local.dist}/verifyplus_pipeline-layer.zip"
  log_retention_days = var.log_retention_days

  vpc_id                        = local.lambda_network.vpc_id
  vpc_cidr_block                = local.lambda_network.vpc_cidr_block
  subnet_ids                    = local.lambda_network.subnet_ids
  s3_prefix_list_id             = local.lambda_network.s3_prefix_list_id
  additional_security_group_ids = [module.warehouse.db_client_security_group_id]

  landing_bucket_name = module.orchestrator.landing_bucket_name
  landing_bucket_arn  = module.orchestrator.landing_bucket_arn
  landing_kms_key_arn = module.orchestrator.kms_key_arn

  db_host        = module.warehouse.db_instance_address
  db_port        = module.warehouse.db_instance_port
  db_name        = module.warehouse.db_instance_database_name
  db_resource_id = module.warehouse.db_instance_resource_id

  qb_realm             = var.qb_realm
  qb_table_id          = var.qb_table_id
  qb_report_id         = var.qb_report_id
  qb_token_secret_arn  = var.qb_token_secret_arn
  qb_token_kms_key_arn = var.qb_token_kms_key_arn

  tags = local.tags
}

module "orchestrator" {
  source = "../../terraform_modules/orchestrator"

  name_prefix        = local.name_prefix
  environment        = var.environment
  package_path       = "${local.dist}/orchestrator.zip"
  layer_package_path = "${local.dist}/orchestrator-layer.zip"
  log_retention_days = var.log_retention_days

  vpc_id                        = local.lambda_network.vpc_id
  vpc_cidr_block                = local.lambda_network.vpc_cidr_block
  subnet_ids                    = local.lambda_network.subnet_ids
  s3_prefix_list_id             = local.lambda_network.s3_prefix_list_id
  additional_security_group_ids = [module.warehouse.db_client_security_group_id]

  db_host                   = module.warehouse.db_instance_address
  db_port                   = module.warehouse.db_instance_port
  db_name                   = module.warehouse.db_instance_database_name
  db_resource_id            = module.warehouse.db_instance_resource_id
  db_master_username        = module.warehouse.db_instance_master_username
  db_master_user_secret_arn = module.warehouse.db_instance_master_user_secret_arn
  db_kms_key_arn            = module.warehouse.kms_key_arn

  demand_function_arn     = module.demand_pipeline.function_arn
  verifyplus_function_arn = module.verifyplus_pipeline.function_arn
  alert_topic_arn         = module.monitoring.alert_topic_arn
  alert_topic_kms_key_arn = module.monitoring.alert_topic_kms_key_arn

  ingest_schedule_expression = var.ingest_schedule_expression
  ingest_schedule_timezone   = "America/New_York"
  ingest_schedule_enabled    = var.ingest_schedule_enabled
  run_migrations_on_apply    = var.run_migrations_on_apply

  tags = local.tags
}
