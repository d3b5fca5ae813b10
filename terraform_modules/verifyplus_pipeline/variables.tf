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
  description = "Path of the code zip built by `make package` (dist/verifyplus_pipeline.zip); deployed twice, as the extract and the load function."
  type        = string
}

variable "layer_package_path" {
  description = "Path of the dependency layer zip built by `make package` (dist/verifyplus_pipeline-layer.zip)."
  type        = string
}

variable "allowed_rds_ca_kinds" {
  description = "RDS CA bundle kinds the layer may carry (dist/manifest.json's record, checked by the lambda_function module at plan time): aws-rds-global (AWS's global bundle) by default; rehearsal-stand-in for moto and the rehearsal only."
  type        = list(string)
  default     = ["aws-rds-global"]
  nullable    = false
}

variable "memory_size_mb" {
  description = "Memory of each function in MB."
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
  description = "Reserved concurrent executions of each function (caps load on Quickbase and the warehouse)."
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
  description = "Where the functions run (itc_vpc outputs): the VPC (its CIDR for HTTPS to the interface endpoints), the private subnets, and the prefix list of the S3 gateway endpoint."
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

variable "https_egress_cidr_blocks" {
  description = "CIDRs the extract function may reach over HTTPS through the NAT gateway (the load has none): Quickbase publishes no fixed ranges, so the default is any address on port 443 only."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "landing" {
  description = "The landing bucket (landing_bucket outputs): name (ITC_LANDING_BUCKET), ARN and the KMS key encrypting its objects; the extract writes verifyplus/, the load reads it."
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
  description = "Database login of the load function, authenticated with IAM (ITC_DB_USER): the per-source loader login, DML on raw.verifyplus and its own ops rows only."
  type        = string
  default     = "itc_loader_verifyplus"
}

variable "manifest_mac_key_arn" {
  description = "ARN of the KMS HMAC key signing this source's (verifyplus) snapshot manifests (ITC_MANIFEST_MAC_KEY_ID; one key per source): the extract may GenerateMac, the load may VerifyMac; null passes none (the functions then refuse to run until it is set)."
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

variable "qb_base_url" {
  description = "Quickbase REST API base URL (ITC_QB_BASE_URL), without the /v1 the code adds to each path."
  type        = string
  default     = "https://api.quickbase.com"

  validation {
    condition     = can(regex("^https://", var.qb_base_url)) && !can(regex("/v1/?$", var.qb_base_url))
    error_message = "qb_base_url must be an https:// URL without /v1 (the code calls <base>/v1/fields, /v1/reports/...)."
  }
}

variable "qb_realm" {
  description = "Quickbase realm host name, sent as QB-Realm-Hostname (ITC_QB_REALM)."
  type        = string
}

variable "qb_table_id" {
  description = "Quickbase table ID of the Verify+ requests (ITC_QB_TABLE_ID)."
  type        = string
}

variable "qb_report_id" {
  description = "Quickbase report ID to run (ITC_QB_REPORT_ID)."
  type        = string
}

variable "qb_token_secret_arn" {
  description = "ARN of an existing Secrets Manager secret holding the Quickbase user token (ITC_QB_TOKEN_SECRET_ARN), encrypted with qb_token_kms_key_arn; null (default): the module creates the secret, without a value, under a customer-managed key of its own (quickbase_secret.tf). The token never enters state."
  type        = string
  default     = null

  validation {
    condition     = var.qb_token_secret_arn == null || can(regex("^arn:[a-z-]+:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.qb_token_secret_arn))
    error_message = "qb_token_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "qb_token_kms_key_arn" {
  description = "ARN of the customer-managed KMS key encrypting the existing secret qb_token_secret_arn (required with it: a secret on the AWS-managed key is refused); null when the module creates the secret."
  type        = string
  default     = null
}

variable "qb_page_size" {
  description = "Records per Quickbase report page (ITC_QB_PAGE_SIZE)."
  type        = number
  default     = 1000
}

variable "qb_timeout_seconds" {
  description = "HTTP timeout towards Quickbase in seconds (ITC_QB_TIMEOUT_S)."
  type        = number
  default     = 30
}

variable "token_admin_role_arns" {
  description = "IAM role ARNs that put the Quickbase token into the module's secret (put-secret-value): with the extract function's role, the only principals the token key's policy lets use it (through Secrets Manager). Empty: nobody can put the token; name the deploy/admin role."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.token_admin_role_arns : can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", a))])
    error_message = "token_admin_role_arns must be IAM role ARNs without wildcards (a key policy names exact principals)."
  }
}

variable "tags" {
  description = "Tags merged into every resource of the module."
  type        = map(string)
  default     = {}
}
