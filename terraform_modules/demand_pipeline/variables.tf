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
  description = "Path of the code zip built by `make package` (dist/demand_pipeline.zip); deployed twice, as the extract and the load function."
  type        = string
}

variable "layer_package_path" {
  description = "Path of the dependency layer zip built by `make package` (dist/demand_pipeline-layer.zip)."
  type        = string
}

variable "allowed_rds_ca_kinds" {
  description = "RDS CA bundle kinds the layer may carry (dist/manifest.json's record, checked by the lambda_function module at plan time): aws-rds-global (AWS's global bundle) by default; rehearsal-stand-in for moto and the rehearsal only."
  type        = list(string)
  default     = ["aws-rds-global"]
  nullable    = false
}

variable "memory_size_mb" {
  description = "Memory of each function in MB (a 1M-demand snapshot loads within 512 MB)."
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
  description = "Reserved concurrent executions of each function (caps load on the source and the warehouse)."
  type        = number
  default     = 2

  validation {
    condition     = var.reserved_concurrency >= 1 && var.reserved_concurrency <= 100
    error_message = "reserved_concurrency must be between 1 and 100."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's log group in days (a CloudWatch value of at least 365)."
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
  description = "Where the functions run (itc_vpc outputs): the VPC (its CIDR for HTTPS to the interface endpoints), the private subnets, and the prefix lists of the S3 and DynamoDB gateway endpoints."
  type = object({
    vpc_id                  = string
    vpc_cidr_block          = string
    subnet_ids              = list(string)
    s3_prefix_list_id       = string
    dynamodb_prefix_list_id = string
  })

  validation {
    condition     = can(cidrhost(var.network.vpc_cidr_block, 0))
    error_message = "network.vpc_cidr_block must be a valid IPv4 CIDR."
  }
}

variable "https_egress_cidr_blocks" {
  description = "Extra CIDRs the extract function may reach over HTTPS through the NAT gateway (e.g. when the Exchange tables are in another region)."
  type        = list(string)
  default     = []
}

variable "landing" {
  description = "The landing bucket (landing_bucket outputs): name (ITC_LANDING_BUCKET), ARN and the KMS key encrypting its objects; the extract writes demand/, the load reads it."
  type = object({
    bucket_name = string
    bucket_arn  = string
    kms_key_arn = string
  })
}

variable "database" {
  description = "The warehouse (itc_data_warehouse outputs): host, port and database name (ITC_DB_HOST/PORT/NAME), DBI resource id (rds-db:connect as db_user) and the client security group the load function joins (the extract does not)."
  type = object({
    host                     = string
    port                     = optional(number, 5432)
    name                     = string
    resource_id              = string
    client_security_group_id = string
  })
}

variable "db_user" {
  description = "Database login of the load function, authenticated with IAM (ITC_DB_USER): the per-source loader login, DML on the demand raw tables and its own ops rows only."
  type        = string
  default     = "itc_loader_demand"
}

variable "manifest_mac_key_arn" {
  description = "ARN of the KMS HMAC key signing this source's (demand) snapshot manifests (ITC_MANIFEST_MAC_KEY_ID; one key per source): the extract may GenerateMac, the load may VerifyMac; null passes none (the functions then refuse to run until it is set)."
  type        = string
  default     = null

  validation {
    condition     = var.manifest_mac_key_arn == null || can(regex("^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.manifest_mac_key_arn))
    error_message = "manifest_mac_key_arn must be a KMS key ARN."
  }
}

variable "force_approval_key_arn" {
  description = "ARN of the KMS HMAC key of force approvals (ITC_FORCE_APPROVAL_KEY_ID, load function only): the load may VerifyMac an approval that only the break-glass role can sign; null passes none (a forced load is then refused)."
  type        = string
  default     = null

  validation {
    condition     = var.force_approval_key_arn == null || can(regex("^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.force_approval_key_arn))
    error_message = "force_approval_key_arn must be a KMS key ARN."
  }
}

variable "db_statement_timeout_ms" {
  description = "Statement timeout of the loader's sessions (ITC_DB_STATEMENT_TIMEOUT_MS)."
  type        = number
  default     = 600000
}

variable "exchange_env" {
  description = "Exchange environment: tables are exchange-{env}-documents, -documents-metadata, -templates, -documents-audit."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9-]+$", var.exchange_env))
    error_message = "exchange_env must be lowercase letters, digits and hyphens."
  }
}

variable "exchange_region" {
  description = "Region of the Exchange DynamoDB tables (ITC_EXCHANGE_REGION); null means this region."
  type        = string
  default     = null
}

variable "exchange_role_arn" {
  description = "Role in the Exchange account that the pipeline assumes to scan the tables; null when the tables are in this account."
  type        = string
  default     = null

  validation {
    condition     = var.exchange_role_arn == null || can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/.+$", var.exchange_role_arn))
    error_message = "exchange_role_arn must be an IAM role ARN."
  }
}

variable "exchange_external_id" {
  description = "External ID required by the Exchange role's trust policy (ITC_EXCHANGE_EXTERNAL_ID); not a secret."
  type        = string
  default     = null
}

variable "scan_segments" {
  description = "DynamoDB parallel scan segments (ITC_SCAN_SEGMENTS)."
  type        = number
  default     = 4
}

variable "scan_page_limit" {
  description = "DynamoDB scan page size (ITC_SCAN_PAGE_LIMIT)."
  type        = number
  default     = 1000
}

variable "scan_part_items" {
  description = "Items per part of the segmented scan (ITC_SCAN_PART_ITEMS): a scan-mode table with more items (DescribeTable ItemCount) is scanned in parts, one Lambda each, by the ingest state machine's Distributed Map (docs/adr/0013-segmented-scan-extract.md)."
  type        = number
  default     = 1000000

  validation {
    condition     = var.scan_part_items >= 1000 && floor(var.scan_part_items) == var.scan_part_items
    error_message = "scan_part_items must be a whole number of at least 1000."
  }
}

variable "extract_modes" {
  description = "How each Exchange table is extracted (ITC_EXTRACT_MODE): \"scan\" (a parallel scan in the Lambda, the default for every table not named) or \"export\" (DynamoDB ExportTableToPointInTime into the landing bucket's exports/ prefix; the table needs point-in-time recovery, see the pipeline README \"Extract by DynamoDB export\"). Keys: documents, documents_metadata, templates, documents_audit."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for t, m in var.extract_modes : contains(["documents", "documents_metadata", "templates", "documents_audit"], t) && contains(["scan", "export"], m)])
    error_message = "extract_modes keys must be documents, documents_metadata, templates or documents_audit, and each value scan or export."
  }
}

variable "tags" {
  description = "Tags merged into every resource of the module."
  type        = map(string)
  default     = {}
}
