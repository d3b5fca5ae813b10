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

variable "writer_role_arns" {
  description = "IAM role ARNs of the extract steps: the only principals (with break_glass_role_arn) that may put objects into the landing bucket; they get kms:GenerateDataKey/Decrypt on the landing key through S3."
  type        = list(string)

  validation {
    condition     = length(var.writer_role_arns) > 0 && alltrue([for a in var.writer_role_arns : can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/.+$", a))])
    error_message = "writer_role_arns must list at least one IAM role ARN (arn:<partition>:iam::<account>:role/<name>)."
  }
}

variable "reader_role_arns" {
  description = "IAM role ARNs of the load steps: they get kms:Decrypt on the landing key through S3 (their S3 read is in their own role policy)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.reader_role_arns : can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/.+$", a))])
    error_message = "reader_role_arns must be IAM role ARNs (arn:<partition>:iam::<account>:role/<name>)."
  }
}

variable "export_writer_role_arns" {
  description = "IAM role ARNs, usually in the Exchange account, that start DynamoDB exports of Exchange tables into this bucket (the demand pipeline's extract_modes = export, with exchange_role_arn): DynamoDB writes the export as that role, so this bucket's policy allows it s3:PutObject, s3:AbortMultipartUpload and s3:PutObjectAcl under exports/ only, and the landing key allows it kms:GenerateDataKey/Decrypt through S3. Empty (the default) when no table is exported cross-account."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.export_writer_role_arns : can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/.+$", a))])
    error_message = "export_writer_role_arns must be IAM role ARNs (arn:<partition>:iam::<account>:role/<name>)."
  }
}

variable "break_glass_role_arn" {
  description = "Optional IAM role ARN that may also put objects (a hand-dropped snapshot, an emergency re-land) and read them; null (the default) means none."
  type        = string
  default     = null

  validation {
    condition     = var.break_glass_role_arn == null || can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/.+$", var.break_glass_role_arn))
    error_message = "break_glass_role_arn must be null or an IAM role ARN."
  }
}

variable "admin_role_arns" {
  description = "IAM role ARNs (the deploy/admin roles) that alone may delete landing object versions, bypass governance retention and change any configuration of the landing, trail and access-log buckets (every s3:PutBucket*, s3:Put*Configuration and s3:DeleteBucket* action: policy, lifecycle, versioning, Object Lock, encryption, replication, CORS, inventory, tagging, ...). Wildcards are allowed (ArnLike), e.g. an SSO role `arn:aws:iam::<account>:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_*`."
  type        = list(string)

  validation {
    condition     = length(var.admin_role_arns) > 0 && alltrue([for a in var.admin_role_arns : can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/.+$", a))])
    error_message = "admin_role_arns must list at least one IAM role ARN (arn:<partition>:iam::<account>:role/<name>)."
  }
}

variable "auditor_role_arn" {
  description = "IAM role ARN of the auditors: the only principal the trail and access-log buckets let read their logs (s3:GetObject*), and the only user of the trail key (kms:Decrypt through S3); null: nobody reads them until one is named (the account root can still replace the bucket policy)."
  type        = string
  default     = null

  validation {
    condition     = var.auditor_role_arn == null || can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", var.auditor_role_arn))
    error_message = "auditor_role_arn must be null or an IAM role ARN without wildcards."
  }
}

variable "audited_function_arns" {
  description = "ARNs of Lambda functions whose invocations the module's trail records as data events (AWS::Lambda::Function, Invoke: who invoked which function, when); empty: none. Unused with organization_trail_arn (the organisation trail's selectors decide)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.audited_function_arns : can(regex("^arn:[a-z-]+:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+$", a))])
    error_message = "audited_function_arns must be Lambda function ARNs (unqualified)."
  }
}

variable "replay_window_days" {
  description = "The replay window: days a landed snapshot stays replayable and therefore locked (Object Lock GOVERNANCE default retention). retention_days must not be shorter."
  type        = number
  default     = 730

  validation {
    condition     = var.replay_window_days >= 1 && var.replay_window_days <= 3653 && floor(var.replay_window_days) == var.replay_window_days
    error_message = "replay_window_days must be a whole number of days between 1 and 3653."
  }
}

variable "organization_trail_arn" {
  description = "ARN of an organisation (or account) CloudTrail trail that already records S3 data events (read and write) for this bucket; null (the default) creates a trail in this module that does."
  type        = string
  default     = null

  validation {
    condition     = var.organization_trail_arn == null || can(regex("^arn:[a-z-]+:cloudtrail:[a-z0-9-]+:[0-9]{12}:trail/.+$", var.organization_trail_arn))
    error_message = "organization_trail_arn must be null or a CloudTrail trail ARN."
  }
}

variable "trail_log_retention_days" {
  description = "Days the module's CloudTrail data-event logs are kept and locked (Object Lock COMPLIANCE default retention: nobody, root included, can delete or shorten it); replaced versions are kept as long. Six years (2192) by default, the HIPAA documentation retention; unused with organization_trail_arn."
  type        = number
  default     = 2192

  validation {
    condition     = var.trail_log_retention_days >= 2192 && var.trail_log_retention_days <= 3653 && floor(var.trail_log_retention_days) == var.trail_log_retention_days
    error_message = "trail_log_retention_days must be a whole number of days between 2192 (six years) and 3653."
  }
}

variable "retention_days" {
  description = "Days a landed snapshot (PHI) is kept before it expires (lifecycle); at least replay_window_days, during which it is locked."
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
  description = "Days the landing bucket's S3 server access logs, and their replaced versions, are kept (audit trail; six years by default)."
  type        = number
  default     = 2192

  validation {
    condition     = var.access_log_retention_days >= 2192
    error_message = "access_log_retention_days must be at least 2192 (six years)."
  }
}

variable "tags" {
  description = "Tags merged into every resource of the module."
  type        = map(string)
  default     = {}
}
