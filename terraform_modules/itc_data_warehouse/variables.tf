variable "name_prefix" {
  description = "Prefix for every resource name, e.g. `itc-beta`."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "vpc_id" {
  description = "ID of the VPC the database lives in."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnet IDs for the DB subnet group (at least two AZs)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids needs at least two private subnets in different AZs."
  }
}

variable "analyst_security_group_ids" {
  description = "Security groups of the analysts' route (the analyst_access module's `security_group_id`: its Session Manager instance or Client VPN endpoint), keyed by a fixed name such as `route`. PostgreSQL is admitted from these groups only: there is no CIDR rule."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for id in values(var.analyst_security_group_ids) : can(regex("^sg-[0-9a-f]{8,17}$", id))])
    error_message = "analyst_security_group_ids values must be security group ids (sg-...): analysts are admitted from their route's security group, never from a CIDR."
  }
}

variable "engine_version" {
  description = "PostgreSQL engine version (major 16)."
  type        = string
  default     = "16.8"

  validation {
    condition     = can(regex("^16(\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must be a PostgreSQL 16 version such as 16.8."
  }
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.medium"
}

variable "allocated_storage_gb" {
  description = "Initial allocated storage in GiB."
  type        = number
  default     = 50

  validation {
    condition     = var.allocated_storage_gb >= 20 && var.allocated_storage_gb <= 65536
    error_message = "allocated_storage_gb must be between 20 and 65536."
  }
}

variable "max_allocated_storage_gb" {
  description = "Upper limit for storage autoscaling in GiB (must be at least allocated_storage_gb)."
  type        = number
  default     = 500
}

variable "multi_az" {
  description = "Run a synchronous standby in a second AZ. Recommended for prod; beta may turn it off to save cost."
  type        = bool
  default     = true
}

variable "database_name" {
  description = "Name of the warehouse database."
  type        = string
  default     = "itc"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be a lowercase PostgreSQL identifier."
  }
}

variable "master_username" {
  description = "Master (owner) user name; its password is generated and rotated by RDS in Secrets Manager."
  type        = string
  default     = "itc_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.master_username)) && !contains(["postgres", "admin", "rdsadmin"], var.master_username)
    error_message = "master_username must be a lowercase identifier and not a reserved name."
  }
}

variable "backup_retention_days" {
  description = "Automated backup (and PITR) retention in days."
  type        = number
  default     = 14

  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be between 7 and 35."
  }
}

variable "backup_window" {
  description = "Daily UTC backup window (hh24:mi-hh24:mi)."
  type        = string
  default     = "07:00-08:00"
}

variable "maintenance_window" {
  description = "Weekly UTC maintenance window (ddd:hh24:mi-ddd:hh24:mi)."
  type        = string
  default     = "sun:08:30-sun:09:30"
}

variable "deletion_protection" {
  description = "Protect the instance from deletion. Turn off only to tear an environment down on purpose."
  type        = bool
  default     = true
}

variable "performance_insights_retention_days" {
  description = "Performance Insights retention (7 is free; otherwise a multiple of 31 up to 731)."
  type        = number
  default     = 7

  validation {
    condition     = var.performance_insights_retention_days == 7 || (var.performance_insights_retention_days % 31 == 0 && var.performance_insights_retention_days <= 731) || var.performance_insights_retention_days == 731
    error_message = "performance_insights_retention_days must be 7, a multiple of 31, or 731."
  }
}

variable "monitoring_interval_seconds" {
  description = "Enhanced monitoring interval in seconds (1, 5, 10, 15, 30 or 60)."
  type        = number
  default     = 60

  validation {
    condition     = contains([1, 5, 10, 15, 30, 60], var.monitoring_interval_seconds)
    error_message = "monitoring_interval_seconds must be 1, 5, 10, 15, 30 or 60."
  }
}

variable "log_retention_days" {
  description = "Retention of the exported PostgreSQL/pgAudit log groups in days (a CloudWatch value of at least 365)."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention value of at least 365 days."
  }
}

variable "audit_log_retention_days" {
  description = "Retention of the postgresql log group (the pgAudit statement log) in days: six years (2192) by default, like the CloudTrail data events; at least 2192."
  type        = number
  default     = 2192

  validation {
    condition     = contains([2192, 2557, 2922, 3288, 3653], var.audit_log_retention_days)
    error_message = "audit_log_retention_days must be a CloudWatch retention value of at least 2192 days (six years)."
  }
}

variable "key_admin_role_arns" {
  description = "IAM role ARNs that create and change the instance (the deploy/admin roles): the warehouse key's policy lets them use it through RDS (grants for RDS resources only) and through Secrets Manager (the RDS-managed master secret). Empty: the key policy leaves that to nobody, and creating the instance fails."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.key_admin_role_arns : can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", a))])
    error_message = "key_admin_role_arns must be IAM role ARNs without wildcards (a key policy names exact principals)."
  }
}

variable "secret_reader_role_arns" {
  description = "IAM role ARNs that read the RDS-managed master secret (the migrate function's role): the warehouse key's policy lets them kms:Decrypt through Secrets Manager only."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.secret_reader_role_arns : can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", a))])
    error_message = "secret_reader_role_arns must be IAM role ARNs without wildcards."
  }
}

variable "pgaudit_log_classes" {
  description = "Value of the pgaudit.log parameter (statement classes audited)."
  type        = string
  default     = "ddl,role,write"
}

variable "log_min_duration_statement_ms" {
  description = "Log statements slower than this many milliseconds (-1 disables)."
  type        = number
  default     = 1000
}

variable "tags" {
  description = "Tags merged into every resource of the module."
  type        = map(string)
  default     = {}
}
