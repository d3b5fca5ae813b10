variable "aws_region" {
  description = "AWS region of the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as us-east-1."
  }
}

variable "allowed_account_ids" {
  description = "The only AWS account IDs this environment may be applied to (guards against the wrong credentials)."
  type        = list(string)

  validation {
    condition     = length(var.allowed_account_ids) > 0 && alltrue([for a in var.allowed_account_ids : can(regex("^[0-9]{12}$", a))])
    error_message = "allowed_account_ids must list at least one 12-digit account ID."
  }
}

variable "environment" {
  description = "Environment name (ITC_ENV)."
  type        = string
  default     = "beta"

  validation {
    condition     = contains(["dev", "beta", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, beta, staging, prod."
  }
}

variable "owner" {
  description = "Team owning the environment (Owner tag)."
  type        = string
  default     = "data-platform"
}

variable "tags" {
  description = "Extra tags merged into the default tags of every resource."
  type        = map(string)
  default     = {}
}

variable "dist_dir" {
  description = "Directory holding the zips built by `make package` (<lambda>.zip, <lambda>-layer.zip) and their manifest.json."
  type        = string
  default     = "../../dist"
}

variable "allowed_rds_ca_kinds" {
  description = "RDS CA bundle kinds the layers may carry (dist/manifest.json's rds_ca_bundle record, checked at plan time): only aws-rds-global (AWS's global bundle, built with ITC_DEPLOYMENT_BUILD=1 ITC_RDS_CA_BUNDLE=...) for AWS; local-moto.tfvars adds rehearsal-stand-in."
  type        = list(string)
  default     = ["aws-rds-global"]
}

# --- network -----------------------------------------------------------------------------------
variable "vpc_cidr_block" {
  description = "CIDR of the environment's VPC."
  type        = string
  default     = "10.40.0.0/16"
}

variable "availability_zones" {
  description = "Availability zones (at least two)."
  type        = list(string)
}

variable "public_subnet_cidrs" {
  description = "Public subnet CIDRs (NAT gateways), one per AZ."
  type        = list(string)
  default     = ["10.40.0.0/24", "10.40.1.0/24"]
}

variable "private_subnet_cidrs" {
  description = "Private subnet CIDRs (Lambdas, RDS, endpoints), one per AZ."
  type        = list(string)
  default     = ["10.40.10.0/24", "10.40.11.0/24"]
}

variable "single_nat_gateway" {
  description = "One NAT gateway for the whole VPC (cheaper; beta) instead of one per AZ."
  type        = bool
  default     = true
}

# --- warehouse ---------------------------------------------------------------------------------
variable "db_instance_class" {
  description = "RDS instance class of the warehouse."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_multi_az" {
  description = "Multi-AZ warehouse."
  type        = bool
  default     = true
}

variable "db_deletion_protection" {
  description = "Deletion protection of the warehouse."
  type        = bool
  default     = true
}

variable "run_migrations_on_apply" {
  description = "Apply the warehouse SQL scripts during `terraform apply` (orchestrator migrate mode)."
  type        = bool
  default     = true
}

# --- sources -----------------------------------------------------------------------------------
variable "exchange_env" {
  description = "Exchange environment whose DynamoDB tables are read (exchange-{env}-*)."
  type        = string
}

variable "exchange_region" {
  description = "Region of the Exchange tables; null means aws_region."
  type        = string
  default     = null
}

variable "exchange_role_arn" {
  description = "Read-only role in the Exchange account that the demand pipeline assumes."
  type        = string
  default     = null
}

variable "demand_extract_modes" {
  description = "Per Exchange table, \"scan\" (default) or \"export\" (DynamoDB ExportTableToPointInTime; the Exchange account enables PITR and lets its role export into the landing bucket: demand pipeline README \"Extract by DynamoDB export\"). Keys: documents, documents_metadata, templates, documents_audit."
  type        = map(string)
  default     = {}
}

variable "exchange_external_id" {
  description = "External ID of the Exchange role's trust policy."
  type        = string
  default     = null
}

variable "qb_realm" {
  description = "Quickbase realm host name."
  type        = string
}

variable "qb_api_host" {
  description = "Host name of the Quickbase REST API; with qb_realm the only names outside AWS the VPC may resolve (DNS Firewall)."
  type        = string
  default     = "api.quickbase.com"
}

variable "qb_table_id" {
  description = "Quickbase table ID of the Verify+ requests."
  type        = string
}

variable "qb_report_id" {
  description = "Quickbase report ID to run."
  type        = string
}

variable "qb_token_secret_arn" {
  description = "ARN of an existing Secrets Manager secret holding the Quickbase user token, with qb_token_kms_key_arn; null (default): the verifyplus_pipeline module creates the secret under a customer-managed key and you put the token in it (README step 2)."
  type        = string
  default     = null
}

variable "qb_token_kms_key_arn" {
  description = "Customer-managed KMS key of the existing secret qb_token_secret_arn (required with it)."
  type        = string
  default     = null
}

# --- landing bucket ----------------------------------------------------------------------------
variable "admin_role_arns" {
  description = "Exact ARNs of the deploy/admin roles: they alone may change any configuration of the landing, trail and access-log buckets (policy, lifecycle, versioning, Object Lock, replication, CORS, inventory, tagging, ...) and delete landing object versions, and the warehouse and Quickbase-token key policies name them; empty (default): the role applying this configuration."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.admin_role_arns : can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", a))])
    error_message = "admin_role_arns must be IAM role ARNs (arn:<partition>:iam::<account>:role/<path/name>) without wildcards: key policies name exact principals."
  }
}

variable "break_glass_principal_arns" {
  description = "IAM principals (users or roles, exact ARNs) that may assume the break-glass role `<prefix>-break-glass` with MFA: invoke a load function by hand and sign a force approval (`itc approve-force`). Empty (default): no break-glass role is created, nobody can sign a force approval, and no load can be forced."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.break_glass_principal_arns : can(regex("^arn:[a-z-]+:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$", a))])
    error_message = "break_glass_principal_arns must be IAM role or user ARNs without wildcards."
  }
}

variable "auditor_principal_arns" {
  description = "IAM principals (users or roles, exact ARNs) that may assume the auditor role `<prefix>-auditor` with MFA, the only reader of the trail, the S3 access logs and the pgAudit logs. Empty (default): any principal of this account whose own IAM policy allows sts:AssumeRole on the auditor role (with MFA)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.auditor_principal_arns : can(regex("^arn:[a-z-]+:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$", a))])
    error_message = "auditor_principal_arns must be IAM role or user ARNs without wildcards."
  }
}

variable "audit_log_retention_days" {
  description = "Retention of the audit logs in days: the pgAudit log group and any Session Manager log group (the trail bucket locks its files as long, landing_bucket trail_log_retention_days). Six years (2192) by default."
  type        = number
  default     = 2192

  validation {
    condition     = contains([2192, 2557, 2922, 3288, 3653], var.audit_log_retention_days)
    error_message = "audit_log_retention_days must be a CloudWatch retention value of at least 2192 days (six years)."
  }
}

variable "landing_break_glass_role_arn" {
  description = "Optional role that may also put objects into the landing bucket (a snapshot dropped in by hand); null: none."
  type        = string
  default     = null
}

variable "landing_replay_window_days" {
  description = "Replay window: days a landed snapshot stays replayable and locked (Object Lock GOVERNANCE)."
  type        = number
  default     = 730
}

variable "landing_retention_days" {
  description = "Days a landed snapshot is kept (lifecycle expiry); at least landing_replay_window_days."
  type        = number
  default     = 730
}

variable "landing_organization_trail_arn" {
  description = "ARN of an organisation trail that already records the landing bucket's S3 data events; null: the landing_bucket module creates its own trail."
  type        = string
  default     = null
}

# --- schedule and alerts -----------------------------------------------------------------------
variable "ingest_schedule_expression" {
  description = "When the daily ingest starts, in America/New_York."
  type        = string
  default     = "cron(0 5 * * ? *)"
}

variable "ingest_schedule_enabled" {
  description = "Whether the daily ingest schedule is enabled."
  type        = bool
  default     = true
}

variable "alert_emails" {
  description = "E-mail addresses subscribed to the alert topic."
  type        = list(string)
  default     = []
}

variable "log_retention_days" {
  description = "Retention of every log group in days (CloudWatch value, at least 365)."
  type        = number
  default     = 365
}
