variable "name_prefix" {
  description = "Prefix for every resource name, e.g. `itc-beta`."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name, passed to the code as ITC_ENV."
  type        = string

  validation {
    condition     = contains(["dev", "beta", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, beta, staging, prod."
  }
}

variable "package_path" {
  description = "Path of the code zip built by `make package` (dist/orchestrator.zip); used by both the orchestrator and the migrate function."
  type        = string
}

variable "layer_package_path" {
  description = "Path of the dependency layer zip built by `make package` (dist/orchestrator-layer.zip)."
  type        = string
}

variable "allowed_rds_ca_kinds" {
  description = "RDS CA bundle kinds the layer may carry (dist/manifest.json's record, checked by the lambda_function module at plan time): aws-rds-global (AWS's global bundle) by default; rehearsal-stand-in for moto and the rehearsal only."
  type        = list(string)
  default     = ["aws-rds-global"]
  nullable    = false
}

variable "memory_size_mb" {
  description = "Memory of the orchestrator and migrate functions in MB."
  type        = number
  default     = 1024

  validation {
    condition     = var.memory_size_mb >= 512 && var.memory_size_mb <= 10240
    error_message = "memory_size_mb must be between 512 and 10240."
  }
}

variable "timeout_seconds" {
  description = "Lambda timeout in seconds."
  type        = number
  default     = 900

  validation {
    condition     = var.timeout_seconds >= 30 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be between 30 and 900."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions of the orchestrator function (the migrate function is always 1: migrations run one at a time)."
  type        = number
  default     = 2

  validation {
    condition     = var.reserved_concurrency >= 1 && var.reserved_concurrency <= 100
    error_message = "reserved_concurrency must be between 1 and 100."
  }
}

variable "log_retention_days" {
  description = "Retention of the module's log groups (functions, state machines) in days (a CloudWatch value of at least 365)."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention value of at least 365 days."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of the function."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "network" {
  description = "Where the orchestrator and migrate functions run (itc_vpc outputs): the VPC (its CIDR for HTTPS to the interface endpoints), the private subnets, and the prefix list of the S3 gateway endpoint."
  type = object({
    vpc_id            = string
    vpc_cidr_block    = string
    subnet_ids        = list(string)
    s3_prefix_list_id = string
  })

  validation {
    condition     = can(cidrhost(var.network.vpc_cidr_block, 0))
    error_message = "network.vpc_cidr_block must be a valid IPv4 CIDR."
  }
}

variable "kms_key_arn" {
  description = "ARN of the orchestration key (kms_key module): the functions' log groups, queues and environment, the state machines' data and logs, the schedule and the events DLQ. Its policy must allow CloudWatch Logs (allow_cloudwatch_logs) and EventBridge (`events`: kms:Decrypt, kms:GenerateDataKey)."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "landing" {
  description = "The landing bucket (landing_bucket outputs): name (ITC_LANDING_BUCKET), ARN and the KMS key encrypting its objects; the function reads manifests (refresh, quality)."
  type = object({
    bucket_name = string
    bucket_arn  = string
    kms_key_arn = string
  })
}

variable "database" {
  description = "The warehouse (itc_data_warehouse outputs): host, port and database name (ITC_DB_HOST/PORT/NAME), DBI resource id (rds-db:connect as the refresher), the client security group the functions join, and for the migrate function the master user, its RDS-managed secret (ITC_DB_SECRET_ARN) and the warehouse key encrypting that secret."
  type = object({
    host                     = string
    port                     = optional(number, 5432)
    name                     = string
    resource_id              = string
    client_security_group_id = string
    master_username          = string
    master_user_secret_arn   = string
    kms_key_arn              = string
  })
}

variable "db_statement_timeout_ms" {
  description = "Statement timeout of the orchestrator's sessions (ITC_DB_STATEMENT_TIMEOUT_MS)."
  type        = number
  default     = 600000
}

variable "db_refresher_user" {
  description = "Database login role of refresh/quality runs, authenticated with IAM (ITC_DB_USER of the orchestrator function)."
  type        = string
  default     = "itc_refresher"
}

variable "business_timezone" {
  description = "Billing time zone (ITC_BUSINESS_TZ)."
  type        = string
  default     = "America/New_York"
}

variable "demand_extract_function_arn" {
  description = "ARN of the demand extract Lambda (demand_pipeline's extract_function_arn: the ingest state machine invokes it)."
  type        = string
}

variable "demand_extract_function_timeout_seconds" {
  description = "Timeout of the demand extract Lambda (its module's extract_function_timeout_seconds output): the TimeoutSeconds of the state machine task invoking it."
  type        = number

  validation {
    condition     = var.demand_extract_function_timeout_seconds >= 30 && var.demand_extract_function_timeout_seconds <= 900
    error_message = "demand_extract_function_timeout_seconds must be between 30 and 900 (a Lambda timeout)."
  }
}

variable "demand_scan_max_concurrency" {
  description = "How many parts of a segmented demand scan run at once: the MaxConcurrency of the ingest state machine's Distributed Map (ScanDemandParts), so the Exchange tables' read capacity and the account's Lambda concurrency bound it, not the number of parts."
  type        = number
  default     = 10

  validation {
    condition     = var.demand_scan_max_concurrency >= 1 && var.demand_scan_max_concurrency <= 1000 && floor(var.demand_scan_max_concurrency) == var.demand_scan_max_concurrency
    error_message = "demand_scan_max_concurrency must be a whole number from 1 to 1000."
  }
}

variable "demand_load_function_arn" {
  description = "ARN of the demand load Lambda (demand_pipeline's load_function_arn: the load state machine invokes it)."
  type        = string
}

variable "demand_load_function_timeout_seconds" {
  description = "Timeout of the demand load Lambda (its module's load_function_timeout_seconds output): the TimeoutSeconds of the state machine task invoking it."
  type        = number

  validation {
    condition     = var.demand_load_function_timeout_seconds >= 30 && var.demand_load_function_timeout_seconds <= 900
    error_message = "demand_load_function_timeout_seconds must be between 30 and 900 (a Lambda timeout)."
  }
}

variable "verifyplus_extract_function_arn" {
  description = "ARN of the Verify+ extract Lambda (verifyplus_pipeline's extract_function_arn: the ingest state machine invokes it)."
  type        = string
}

variable "verifyplus_extract_function_timeout_seconds" {
  description = "Timeout of the Verify+ extract Lambda (its module's extract_function_timeout_seconds output): the TimeoutSeconds of the state machine task invoking it."
  type        = number

  validation {
    condition     = var.verifyplus_extract_function_timeout_seconds >= 30 && var.verifyplus_extract_function_timeout_seconds <= 900
    error_message = "verifyplus_extract_function_timeout_seconds must be between 30 and 900 (a Lambda timeout)."
  }
}

variable "verifyplus_load_function_arn" {
  description = "ARN of the Verify+ load Lambda (verifyplus_pipeline's load_function_arn: the load state machine invokes it)."
  type        = string
}

variable "verifyplus_load_function_timeout_seconds" {
  description = "Timeout of the Verify+ load Lambda (its module's load_function_timeout_seconds output): the TimeoutSeconds of the state machine task invoking it."
  type        = number

  validation {
    condition     = var.verifyplus_load_function_timeout_seconds >= 30 && var.verifyplus_load_function_timeout_seconds <= 900
    error_message = "verifyplus_load_function_timeout_seconds must be between 30 and 900 (a Lambda timeout)."
  }
}

variable "alert_topic_arn" {
  description = "ARN of the SNS alert topic the state machines publish failures to."
  type        = string
}

variable "alert_topic_kms_key_arn" {
  description = "ARN of the KMS key encrypting the alert topic (the state machines need it to publish)."
  type        = string
}

variable "ingest_schedule_expression" {
  description = "EventBridge Scheduler expression starting the ingest state machine, in ingest_schedule_timezone."
  type        = string
  default     = "cron(0 5 * * ? *)"

  validation {
    condition     = can(regex("^(cron|rate)\\(.+\\)$", var.ingest_schedule_expression))
    error_message = "ingest_schedule_expression must be a cron(...) or rate(...) expression."
  }
}

variable "ingest_schedule_timezone" {
  description = "IANA time zone of the ingest schedule."
  type        = string
  default     = "America/New_York"
}

variable "ingest_schedule_enabled" {
  description = "Whether the daily ingest schedule is enabled."
  type        = bool
  default     = true
}

variable "run_migrations_on_apply" {
  description = "Invoke the migrate function during `terraform apply` whenever its code changes (see README)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags merged into every resource of the module."
  type        = map(string)
  default     = {}
}
