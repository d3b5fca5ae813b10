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

variable "vpc_id" {
  description = "VPC of the function's security group."
  type        = string
}

variable "vpc_cidr_block" {
  description = "CIDR of the VPC (HTTPS egress to the interface endpoints)."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr_block, 0))
    error_message = "vpc_cidr_block must be a valid IPv4 CIDR."
  }
}

variable "subnet_ids" {
  description = "Private subnets the function runs in."
  type        = list(string)
}

variable "additional_security_group_ids" {
  description = "Extra security groups for the function, e.g. the warehouse client group."
  type        = list(string)
  default     = []
}

variable "s3_prefix_list_id" {
  description = "Prefix list of the S3 gateway endpoint."
  type        = string
}

variable "db_host" {
  description = "Warehouse host name (ITC_DB_HOST)."
  type        = string
}

variable "db_port" {
  description = "Warehouse port (ITC_DB_PORT)."
  type        = number
  default     = 5432
}

variable "db_name" {
  description = "Warehouse database name (ITC_DB_NAME)."
  type        = string
}

variable "db_resource_id" {
  description = "DBI resource ID of the warehouse, for the rds-db:connect permission."
  type        = string
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

variable "db_master_username" {
  description = "Master (owner) user of the warehouse; the migrate function connects as it through the RDS-managed secret."
  type        = string
}

variable "db_master_user_secret_arn" {
  description = "ARN of the RDS-managed master user secret (ITC_DB_SECRET_ARN of the migrate function only)."
  type        = string
}

variable "db_kms_key_arn" {
  description = "ARN of the warehouse KMS key that encrypts the master user secret."
  type        = string
}

variable "business_timezone" {
  description = "Billing time zone (ITC_BUSINESS_TZ)."
  type        = string
  default     = "America/New_York"
}

variable "demand_function_arn" {
  description = "ARN of the demand pipeline Lambda (ingest and load state machines)."
  type        = string
}

variable "verifyplus_function_arn" {
  description = "ARN of the Verify+ pipeline Lambda (ingest and load state machines)."
  type        = string
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

variable "landing_bucket_name" {
  description = "Name of the landing bucket; null derives `<name_prefix>-landing-<account>-<region>`."
  type        = string
  default     = null

  validation {
    condition     = var.landing_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.landing_bucket_name))
    error_message = "landing_bucket_name must be a valid S3 bucket name."
  }
}

variable "landing_retention_days" {
  description = "Days a landed snapshot (PHI) is kept before it expires; snapshots are the replayable bronze layer."
  type        = number
  default     = 730

  validation {
    condition     = var.landing_retention_days >= 90 && var.landing_retention_days <= 3653
    error_message = "landing_retention_days must be between 90 and 3653."
  }
}

variable "landing_noncurrent_retention_days" {
  description = "Days a replaced or deleted object version is kept."
  type        = number
  default     = 30

  validation {
    condition     = var.landing_noncurrent_retention_days >= 1
    error_message = "landing_noncurrent_retention_days must be at least 1."
  }
}

variable "access_log_retention_days" {
  description = "Days the landing bucket's S3 server access logs are kept (audit trail)."
  type        = number
  default     = 2192

  validation {
    condition     = var.access_log_retention_days >= 365
    error_message = "access_log_retention_days must be at least 365."
  }
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
