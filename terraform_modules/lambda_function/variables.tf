variable "name" {
  description = "Function name; also the name of its role, security group, log group (`/aws/lambda/<name>`), queue (`<name>-dlq`) and layer (`<name>-deps`)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,56}[a-z0-9]$", var.name))
    error_message = "name must be 4-58 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "description" {
  description = "Description of the function."
  type        = string
}

variable "handler" {
  description = "Handler of the function, `<package>.main.handler`."
  type        = string
}

variable "package_path" {
  description = "Path of the code zip built by `make package`, pinned by its sha256."
  type        = string
}

variable "layer_package_path" {
  description = "Path of the dependency layer zip built by `make package`; not used (null) with shared_resources."
  type        = string
  default     = null
}

variable "layer_description" {
  description = "Description of the layer version; null describes it as the dependencies of this function."
  type        = string
  default     = null
}

variable "environment_variables" {
  description = "Environment of the function (names per docs/CONTRACTS.md); never a secret value, only ARNs of secrets."
  type        = map(string)
}

variable "memory_size_mb" {
  description = "Lambda memory in MB."
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
  description = "Reserved concurrent executions (caps the load the function puts on its sources and the warehouse)."
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

variable "kms_key_arn" {
  description = "Customer-managed key encrypting the log group, the dead-letter queue and the environment; it must allow CloudWatch Logs of this account (kms_key module, allow_cloudwatch_logs)."
  type        = string
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

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids must name at least one private subnet."
  }
}

variable "additional_security_group_ids" {
  description = "Extra security groups for the function, e.g. the warehouse client group."
  type        = list(string)
  default     = []
}

variable "security_group_description" {
  description = "Description of the function's security group: what it may reach (changing it replaces the group); null says HTTPS to the VPC endpoints."
  type        = string
  default     = null
}

variable "gateway_prefix_list_ids" {
  description = "Prefix lists of the gateway endpoints the function reaches over HTTPS, by service (e.g. { s3 = pl-... })."
  type        = map(string)
  default     = {}
}

variable "https_egress_cidr_blocks" {
  description = "Extra CIDRs the function may reach over HTTPS (port 443 only) through the NAT gateway."
  type        = list(string)
  default     = []
}

variable "landing_prefix_access" {
  description = "Access to one prefix of the landing bucket, `s3:ListBucket` under `<prefix>/` and: `read` (a load) Get of `<prefix>/*` objects and kms:Decrypt of the bucket key; `write` (an extract) Put of `<prefix>/*` objects, HEAD of its `run=*/_manifest.json` and the bucket key to encrypt. null grants none."
  type = object({
    bucket_arn  = string
    prefix      = string
    kms_key_arn = string
    access      = string
  })
  default = null

  validation {
    condition     = var.landing_prefix_access == null || can(regex("^[a-z0-9_-]+$", var.landing_prefix_access.prefix))
    error_message = "landing_prefix_access.prefix must be one path segment (lowercase letters, digits, '-', '_'), without wildcards."
  }

  validation {
    condition     = var.landing_prefix_access == null || contains(["read", "write"], try(var.landing_prefix_access.access, ""))
    error_message = "landing_prefix_access.access must be read (a load) or write (an extract)."
  }
}

variable "warehouse_iam_user" {
  description = "Warehouse login the function connects as with IAM authentication (`rds-db:connect` on that user only); null grants none."
  type = object({
    db_resource_id = string
    db_user        = string
  })
  default = null
}

variable "additional_policy_json" {
  description = "IAM policy document (JSON) with the function's own scoped permissions, merged into its role's inline policy beside the base statements (OwnLogGroup, OwnKey, DeadLetterQueue); statement ids must not repeat those."
  type        = string
  default     = null
}

variable "shared_resources" {
  description = "Layer version, security group and dead-letter queue of another function running the same code (its outputs) to use instead of creating this function's own; null creates them. With share_security_group = false the function still gets its own security group."
  type = object({
    layer_version_arn     = string
    security_group_id     = string
    dead_letter_queue_arn = string
  })
  default = null
}

variable "share_security_group" {
  description = "Whether a function given shared_resources also uses their security group (true) or gets its own (false: e.g. a load function that must not have its extract's egress)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags merged into every resource of the module."
  type        = map(string)
  default     = {}
}
