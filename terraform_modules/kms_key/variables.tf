variable "name" {
  description = "Name of the key: its alias is `alias/<name>` and its Name tag `<name>`."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]{1,250}$", var.name)) && !startswith(var.name, "aws/")
    error_message = "name must be letters, digits, '/', '_' or '-' (at most 250), and must not start with aws/."
  }
}

variable "description" {
  description = "Description of the key: what it encrypts."
  type        = string
}

variable "deletion_window_in_days" {
  description = "Waiting period before a scheduled deletion of the key takes effect."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}

variable "key_spec" {
  description = "SYMMETRIC_DEFAULT (encryption, rotated yearly) or an HMAC spec (HMAC_256, ...: GenerateMac/VerifyMac only, no automatic rotation; e.g. the manifest-signing key)."
  type        = string
  default     = "SYMMETRIC_DEFAULT"

  validation {
    condition     = contains(["SYMMETRIC_DEFAULT", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512"], var.key_spec)
    error_message = "key_spec must be SYMMETRIC_DEFAULT or HMAC_224/256/384/512."
  }
}

variable "allow_cloudwatch_logs" {
  description = "Let CloudWatch Logs of this region use the key for the log groups of this account."
  type        = bool
  default     = false
}

variable "service_principals" {
  description = "Further AWS services (the principal `<service>.<dns suffix>`, e.g. `events`, `cloudwatch`) allowed the given actions, for this account only (aws:SourceAccount); `sid` names the statement."
  type = list(object({
    sid     = string
    service = string
    actions = list(string)
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.service_principals : can(regex("^[a-z0-9-]+$", s.service)) && length(s.actions) > 0 && !contains(s.actions, "kms:*")])
    error_message = "Each service_principals entry needs a service name such as `events` and explicit actions (never kms:*)."
  }
}

variable "principal_grants" {
  description = "IAM principals of this account (role ARNs) allowed the listed actions, each entry one statement named `sid`; `via_service` (e.g. `s3`) limits them to calls that service makes for them (kms:ViaService = `<service>.<region>.<dns suffix>`); `grant_for_aws_resource` (with via_service) allows kms:CreateGrant for that service's resources only (kms:GrantIsForAWSResource), e.g. RDS storage. When any is given, the account root keeps administration only: the key is usable by these principals (and the service principals) alone."
  type = list(object({
    sid                    = string
    principal_arns         = list(string)
    actions                = list(string)
    via_service            = optional(string)
    grant_for_aws_resource = optional(bool, false)
  }))
  default = []

  validation {
    condition     = alltrue([for g in var.principal_grants : length(g.principal_arns) > 0 && length(g.actions) > 0 && !contains(g.actions, "kms:*") && (!contains(g.actions, "kms:CreateGrant") || (g.grant_for_aws_resource && g.via_service != null)) && (g.via_service == null || can(regex("^[a-z0-9-]+$", g.via_service)))])
    error_message = "Each principal_grants entry needs at least one principal, explicit actions (never kms:*; kms:CreateGrant only with via_service and grant_for_aws_resource) and, if given, a service name such as `s3` as via_service."
  }
}

variable "tags" {
  description = "Tags merged into every resource of the module."
  type        = map(string)
  default     = {}
}
