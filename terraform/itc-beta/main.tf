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

  # The three function modules' object inputs; each module declares the fields it uses.
  network = {
    vpc_id                  = module.vpc.vpc_id
    vpc_cidr_block          = module.vpc.vpc_cidr_block
    subnet_ids              = module.vpc.private_subnet_ids
    s3_prefix_list_id       = module.vpc.s3_prefix_list_id
    dynamodb_prefix_list_id = module.vpc.dynamodb_prefix_list_id
  }

  database = {
    host                     = module.warehouse.db_instance_address
    port                     = module.warehouse.db_instance_port
    name                     = module.warehouse.db_instance_database_name
    resource_id              = module.warehouse.db_instance_resource_id
    client_security_group_id = module.warehouse.db_client_security_group_id
  }

  # The Exchange account (from the Exchange role's ARN): the VPC endpoints let the demand extract
  # reach its DynamoDB tables and assume its role; no role means the tables are in this account.
  exchange_account_id = var.exchange_role_arn == null ? null : regex("^arn:[a-z-]+:iam::([0-9]{12}):", var.exchange_role_arn)[0]
  exchange_region     = coalesce(var.exchange_region, var.aws_region)

  # Who may write / read / administer the landing bucket: the extract roles write, the load roles
  # read (through S3 with the landing key).
  landing_writer_role_arns = [module.demand_pipeline.extract_role_arn, module.verifyplus_pipeline.extract_role_arn]
  landing_reader_role_arns = [module.demand_pipeline.load_role_arn, module.verifyplus_pipeline.load_role_arn]
  # Cross-account DynamoDB exports are written by the Exchange role that starts them (demand_extract_modes).
  landing_export_writer_role_arns = var.exchange_role_arn != null && contains(values(var.demand_extract_modes), "export") ? [var.exchange_role_arn] : []
  # The admin roles: alone may change the buckets' configuration and delete landing versions, and the
  # warehouse and Quickbase-token keys name them. Default: the role applying this configuration (it must
  # keep changing the buckets' policy, lifecycle and lock settings on later applies).
  admin_role_arns = length(var.admin_role_arns) > 0 ? var.admin_role_arns : [data.aws_iam_session_context.current.issuer_arn]

  # Trust boundaries (manifest_mac.tf, break_glass.tf, audit.tf): per source, the extract role signs its
  # manifests, the load role verifies them; the load function is invoked by the load state machine only
  # (and break glass).
  pipeline_roles = {
    demand     = { extract_role_arn = module.demand_pipeline.extract_role_arn, load_role_arn = module.demand_pipeline.load_role_arn }
    verifyplus = { extract_role_arn = module.verifyplus_pipeline.extract_role_arn, load_role_arn = module.verifyplus_pipeline.load_role_arn }
  }
  # (separate from the roles: the functions depend on the keys that name the roles)
  load_functions = {
    demand     = { name = module.demand_pipeline.load_function_name, arn = module.demand_pipeline.load_function_arn }
    verifyplus = { name = module.verifyplus_pipeline.load_function_name, arn = module.verifyplus_pipeline.load_function_arn }
  }
  load_state_machine_role_arn = module.orchestrator.state_machine_role_arns["load"]
  # Every role ITC creates but the auditor and break glass: each carries the audit-log guard; all but the
  # load state machine's also the load-invoke guard.
  itc_role_names = merge(module.orchestrator.role_names, {
    demand_extract     = module.demand_pipeline.extract_role_name
    demand_load        = module.demand_pipeline.load_role_name
    verifyplus_extract = module.verifyplus_pipeline.extract_role_name
    verifyplus_load    = module.verifyplus_pipeline.load_role_name
  })
  roles_without_load_invoke = merge({ for k, v in local.itc_role_names : k => v if k != "load_state_machine" }, { auditor = aws_iam_role.auditor.name })

  # Audit logs (audit.tf): six years for every log of who did what (the trail, pgAudit, Session Manager
  # sessions), read by the auditor role only. A new audit log group joins audit_log_group_arns and uses
  # audit_log_retention_days.
  audit_log_retention_days = var.audit_log_retention_days
  audit_log_group_arns     = module.warehouse.audit_log_group_arns
  audit_bucket_arns        = compact([module.landing_bucket.trail_bucket_arn, module.landing_bucket.access_log_bucket_arn])
  trail_kms_key_arn        = module.landing_bucket.trail_kms_key_arn

  landing = {
    bucket_name = module.landing_bucket.bucket_name
    bucket_arn  = module.landing_bucket.bucket_arn
    kms_key_arn = module.landing_bucket.bucket_kms_key_arn
  }
}

data "aws_caller_identity" "current" {}

data "aws_iam_session_context" "current" {
  arn = data.aws_caller_identity.current.arn
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
  exchange_account_id     = local.exchange_account_id
  quickbase_domains       = distinct([var.qb_api_host, var.qb_realm])
  additional_aws_regions  = local.exchange_region == var.aws_region ? [] : [local.exchange_region]
  # The analysts' Session Manager route reaches the agent through these (analyst_access.tf).
  session_manager_endpoints = var.analyst_route == "ssm"

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
  # PostgreSQL from the analysts' route only (analyst_access.tf), no CIDR.
  analyst_security_group_ids = { route = module.analyst_access.security_group_id }
  log_retention_days         = var.log_retention_days

  audit_log_retention_days = local.audit_log_retention_days
  key_admin_role_arns      = local.admin_role_arns
  secret_reader_role_arns  = [module.orchestrator.migrate_role_arn]

  tags = local.tags
}

module "monitoring" {
  source = "../../terraform_modules/monitoring"

  name_prefix  = local.name_prefix
  alert_emails = var.alert_emails

  lambda_function_names = {
    demand_extract     = module.demand_pipeline.extract_function_name
    demand_load        = module.demand_pipeline.load_function_name
    verifyplus_extract = module.verifyplus_pipeline.extract_function_name
    verifyplus_load    = module.verifyplus_pipeline.load_function_name
    orchestrator       = module.orchestrator.function_name
    migrate            = module.orchestrator.migrate_function_name
  }
  lambda_timeouts_seconds = {
    demand_extract     = module.demand_pipeline.extract_function_timeout_seconds
    demand_load        = module.demand_pipeline.load_function_timeout_seconds
    verifyplus_extract = module.verifyplus_pipeline.extract_function_timeout_seconds
    verifyplus_load    = module.verifyplus_pipeline.load_function_timeout_seconds
    orchestrator       = module.orchestrator.function_timeout_seconds
    migrate            = module.orchestrator.migrate_function_timeout_seconds
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

# The orchestration key: the orchestrator's log groups, queues, environment, state machine data and
# schedule. The landing bucket has its own key (landing_bucket module), usable by the pipelines only.
module "orchestration_key" {
  source = "../../terraform_modules/kms_key"

  name                  = "${local.name_prefix}-orchestration"
  description           = "${local.name_prefix} orchestration: logs, queues, state machines"
  allow_cloudwatch_logs = true
  service_principals = [
    { sid = "EventBridgeDeadLettersForThisAccount", service = "events", actions = ["kms:Decrypt", "kms:GenerateDataKey"] },
  ]

  tags = local.tags
}

module "landing_bucket" {
  source = "../../terraform_modules/landing_bucket"

  name_prefix             = local.name_prefix
  writer_role_arns        = local.landing_writer_role_arns
  reader_role_arns        = concat(local.landing_reader_role_arns, local.break_glass_role_arns)
  export_writer_role_arns = local.landing_export_writer_role_arns
  break_glass_role_arn    = var.landing_break_glass_role_arn
  admin_role_arns         = local.admin_role_arns
  auditor_role_arn        = aws_iam_role.auditor.arn
  audited_function_arns = [
    module.demand_pipeline.extract_function_arn, module.demand_pipeline.load_function_arn,
    module.verifyplus_pipeline.extract_function_arn, module.verifyplus_pipeline.load_function_arn,
    module.orchestrator.function_arn, module.orchestrator.migrate_function_arn,
  ]
  replay_window_days     = var.landing_replay_window_days
  retention_days         = var.landing_retention_days
  organization_trail_arn = var.landing_organization_trail_arn

  tags = local.tags
}

module "demand_pipeline" {
  source = "../../terraform_modules/demand_pipeline"

  name_prefix          = local.name_prefix
  environment          = var.environment
  package_path         = "${local.dist}/demand_pipeline.zip"
  layer_package_path   = "${local.dist}/demand_pipeline-layer.zip"
  allowed_rds_ca_kinds = var.allowed_rds_ca_kinds
  log_retention_days   = var.log_retention_days

  network  = local.network
  database = local.database
  landing  = local.landing

  exchange_env           = var.exchange_env
  exchange_region        = var.exchange_region
  exchange_role_arn      = var.exchange_role_arn
  exchange_external_id   = var.exchange_external_id
  extract_modes          = var.demand_extract_modes
  manifest_mac_key_arn   = module.manifest_mac_key["demand"].key_arn
  force_approval_key_arn = module.force_approval_key.key_arn

  tags = local.tags
}

module "verifyplus_pipeline" {
  source = "../../terraform_modules/verifyplus_pipeline"

  name_prefix          = local.name_prefix
  environment          = var.environment
  package_path         = "${local.dist}/verifyplus_pipeline.zip"
  layer_package_path   = "${local.dist}/verifyplus_pipeline-layer.zip"
  allowed_rds_ca_kinds = var.allowed_rds_ca_kinds
  log_retention_days   = var.log_retention_days

  network  = local.network
  database = local.database
  landing  = local.landing

  qb_realm               = var.qb_realm
  qb_table_id            = var.qb_table_id
  qb_report_id           = var.qb_report_id
  qb_token_secret_arn    = var.qb_token_secret_arn
  qb_token_kms_key_arn   = var.qb_token_kms_key_arn
  token_admin_role_arns  = local.admin_role_arns
  manifest_mac_key_arn   = module.manifest_mac_key["verifyplus"].key_arn
  force_approval_key_arn = module.force_approval_key.key_arn

  tags = local.tags
}

module "orchestrator" {
  source = "../../terraform_modules/orchestrator"

  name_prefix          = local.name_prefix
  environment          = var.environment
  package_path         = "${local.dist}/orchestrator.zip"
  layer_package_path   = "${local.dist}/orchestrator-layer.zip"
  allowed_rds_ca_kinds = var.allowed_rds_ca_kinds
  log_retention_days   = var.log_retention_days

  kms_key_arn = module.orchestration_key.key_arn
  network     = local.network
  landing     = local.landing
  database = merge(local.database, {
    master_username        = module.warehouse.db_instance_master_username
    master_user_secret_arn = module.warehouse.db_instance_master_user_secret_arn
    kms_key_arn            = module.warehouse.kms_key_arn
  })

  demand_extract_function_arn                 = module.demand_pipeline.extract_function_arn
  demand_extract_function_timeout_seconds     = module.demand_pipeline.extract_function_timeout_seconds
  demand_load_function_arn                    = module.demand_pipeline.load_function_arn
  demand_load_function_timeout_seconds        = module.demand_pipeline.load_function_timeout_seconds
  verifyplus_extract_function_arn             = module.verifyplus_pipeline.extract_function_arn
  verifyplus_extract_function_timeout_seconds = module.verifyplus_pipeline.extract_function_timeout_seconds
  verifyplus_load_function_arn                = module.verifyplus_pipeline.load_function_arn
  verifyplus_load_function_timeout_seconds    = module.verifyplus_pipeline.load_function_timeout_seconds
  alert_topic_arn                             = module.monitoring.alert_topic_arn
  alert_topic_kms_key_arn                     = module.monitoring.alert_topic_kms_key_arn

  ingest_schedule_expression = var.ingest_schedule_expression
  ingest_schedule_timezone   = "America/New_York"
  ingest_schedule_enabled    = var.ingest_schedule_enabled
  run_migrations_on_apply    = var.run_migrations_on_apply

  tags = local.tags
}
