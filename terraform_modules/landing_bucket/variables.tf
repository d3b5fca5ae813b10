variable "name_prefix" {
  description = "Prefix for every resource name, e.g. `itc-beta`; the default bucket name is `<name_prefix>-landing-<account>-<region>`."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "bucket_name" {
  description = "Name of the landing bucket; null derives `<name_prefix>-landing-<account>-<region>`."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key encrypting the landing objects (SSE-KMS, bucket key); uploads under any other key are denied."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "retention_days" {
  description = "Days a landed snapshot (PHI) is kept before it expires; snapshots are the replayable bronze layer."
  type        = number
  default     = 730

  validation {
    condition     = var.retention_days >= 90 && var.retention_days <= 3653
    error_message = "retention_days must be between 90 and 3653."
  }
}

variable "noncurrent_retention_days" {
  description = "Days a replaced or deleted object version is kept."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_retention_days >= 1
    error_message = "noncurrent_retention_days must be at least 1."
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

variable "tags" {
  description = "Tags merged into every resource of the module."
  type        = map(string)
  default     = {}
}
