variable "name_prefix" {
  description = "Prefix for every resource name, e.g. `itc-beta`."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && try(cidrsubnet(var.cidr_block, 0, 0) == var.cidr_block, false)
    error_message = "cidr_block must be a valid, canonical IPv4 CIDR such as 10.40.0.0/16."
  }
}

variable "availability_zones" {
  description = "Availability zones to spread the subnets over (at least two, for RDS subnet groups and Multi-AZ)."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2
    error_message = "At least two availability zones are required."
  }
}

variable "public_subnet_cidrs" {
  description = "CIDR blocks of the public subnets (NAT gateways only), one per availability zone."
  type        = list(string)

  validation {
    condition     = alltrue([for c in var.public_subnet_cidrs : can(cidrhost(c, 0))])
    error_message = "Every public_subnet_cidrs entry must be a valid IPv4 CIDR."
  }
}

variable "private_subnet_cidrs" {
  description = "CIDR blocks of the private subnets (Lambdas, RDS, VPC endpoints), one per availability zone."
  type        = list(string)

  validation {
    condition     = alltrue([for c in var.private_subnet_cidrs : can(cidrhost(c, 0))])
    error_message = "Every private_subnet_cidrs entry must be a valid IPv4 CIDR."
  }
}

variable "single_nat_gateway" {
  description = "Use one NAT gateway for all private subnets (cheaper, not AZ-resilient). False creates one NAT gateway per AZ."
  type        = bool
  default     = false
}

variable "interface_endpoint_services" {
  description = "AWS services reached through interface VPC endpoints from the private subnets (short names such as `secretsmanager`)."
  type        = set(string)
  default     = ["secretsmanager", "sts", "logs", "kms", "rds"]
}

variable "session_manager_endpoints" {
  description = "Add the Session Manager interface endpoints (ssm, ssmmessages, ec2messages) that a private instance needs to be reached by Session Manager port forwarding (the analyst_access module's default route)."
  type        = bool
  default     = false
}

variable "flow_log_retention_days" {
  description = "Retention of the VPC flow log group in days (a CloudWatch-supported value, at least 365 for audit)."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be a CloudWatch retention value of at least 365 days (365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "flow_log_traffic_type" {
  description = "Which traffic the flow log records: ACCEPT, REJECT or ALL."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ACCEPT", "REJECT", "ALL"], var.flow_log_traffic_type)
    error_message = "flow_log_traffic_type must be ACCEPT, REJECT or ALL."
  }
}

variable "tags" {
  description = "Tags merged into every resource of the module."
  type        = map(string)
  default     = {}
}

variable "exchange_account_id" {
  description = "AWS account of the Exchange DynamoDB tables the demand extract reads (through the Exchange role): the DynamoDB gateway endpoint and the STS endpoint also allow that account's resources. null: the tables are in this account."
  type        = string
  default     = null

  validation {
    condition     = var.exchange_account_id == null || can(regex("^[0-9]{12}$", var.exchange_account_id))
    error_message = "exchange_account_id must be null or a 12-digit AWS account id."
  }
}

variable "quickbase_domains" {
  description = "Host names the VPC may resolve outside AWS: the Quickbase API (`api.quickbase.com`) and the realm host name (e.g. `yourcompany.quickbase.com`). Exact names, no wildcards; every other name outside this region's AWS service domains is blocked by the DNS Firewall."
  type        = list(string)
  default     = ["api.quickbase.com"]

  validation {
    condition     = length(var.quickbase_domains) > 0 && alltrue([for d in var.quickbase_domains : can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,}$", d))])
    error_message = "quickbase_domains must list exact lowercase host names such as api.quickbase.com (no wildcards, no trailing dot)."
  }
}

variable "additional_aws_regions" {
  description = "Other regions whose AWS service names the VPC may resolve (e.g. the Exchange tables' region when it differs); this region's are always allowed."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for r in var.additional_aws_regions : can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", r))])
    error_message = "additional_aws_regions must be region names such as us-west-2."
  }
}
