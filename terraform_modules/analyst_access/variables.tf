variable "name_prefix" {
  description = "Prefix of every resource name (e.g. `itc-beta`)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name_prefix))
    error_message = "name_prefix must be 2-31 lower-case letters, digits or '-', starting with a letter."
  }
}

variable "route" {
  description = "How analysts reach the warehouse: `ssm` (Session Manager port forwarding through a private instance with no inbound rule; the default) or `client_vpn` (AWS Client VPN, mutual TLS or SAML)."
  type        = string
  default     = "ssm"

  validation {
    condition     = contains(["ssm", "client_vpn"], var.route)
    error_message = "route must be \"ssm\" or \"client_vpn\"."
  }
}

variable "vpc_id" {
  description = "VPC of the warehouse."
  type        = string
}

variable "vpc_cidr_block" {
  description = "CIDR of the VPC (the Client VPN authorization rule and its routes; unused by `ssm`)."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr_block))
    error_message = "vpc_cidr_block must be an IPv4 CIDR such as 10.40.0.0/16."
  }
}

variable "subnet_ids" {
  description = "Private subnets: the instance goes into the first one; Client VPN associates with the first one."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "subnet_ids needs at least one private subnet."
  }
}

variable "db_security_group_id" {
  description = "Security group of the warehouse: the route's only egress is PostgreSQL to it."
  type        = string
}

variable "db_address" {
  description = "Host name of the warehouse (the RDS endpoint): the only host the port-forwarding document reaches."
  type        = string
}

variable "db_port" {
  description = "PostgreSQL port of the warehouse."
  type        = number
  default     = 5432

  validation {
    condition     = var.db_port >= 1024 && var.db_port <= 65535 && floor(var.db_port) == var.db_port
    error_message = "db_port must be a whole port number between 1024 and 65535."
  }
}

variable "endpoints_security_group_id" {
  description = "Security group of the interface VPC endpoints (ssm, ssmmessages, ec2messages, logs, kms): the instance's only other egress is HTTPS to it. Required by `ssm`."
  type        = string
  default     = null
}

variable "instance_type" {
  description = "Instance type of the port-forwarding instance (arm64 Graviton; the smallest is enough: it relays one TCP stream per analyst)."
  type        = string
  default     = "t4g.nano"

  validation {
    condition     = can(regex("^[a-z][0-9]+g[a-z]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must be a Graviton (arm64) type such as t4g.nano: the AMI is arm64."
  }
}

variable "ami_ssm_parameter_name" {
  description = "Public SSM parameter holding the current Amazon Linux arm64 AMI id (patched images without a pinned id)."
  type        = string
  default     = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"

  validation {
    condition     = startswith(var.ami_ssm_parameter_name, "/aws/service/ami-amazon-linux-latest/") && endswith(var.ami_ssm_parameter_name, "arm64")
    error_message = "ami_ssm_parameter_name must be an Amazon Linux arm64 parameter under /aws/service/ami-amazon-linux-latest/."
  }
}

variable "root_volume_size_gb" {
  description = "Size of the instance's encrypted root volume (GiB); at least the AMI's snapshot size."
  type        = number
  default     = 8

  validation {
    condition     = var.root_volume_size_gb >= 8 && var.root_volume_size_gb <= 64
    error_message = "root_volume_size_gb must be between 8 and 64."
  }
}

variable "session_log_retention_days" {
  description = "Retention of the session and connection log groups in days (a CloudWatch value; audit logs are kept six years by default)."
  type        = number
  default     = 2192

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.session_log_retention_days)
    error_message = "session_log_retention_days must be a CloudWatch retention value of at least 365 days (365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "manage_session_preferences" {
  description = "Create the region's Session Manager preferences document `SSM-SessionManagerRunShell` (logging to the KMS log group, encryption enforced, KMS session encryption, timeouts). It exists once per account and region: set false when another stack owns it (then it must log the same way)."
  type        = bool
  default     = true
}

variable "idle_session_timeout_minutes" {
  description = "Session Manager ends a session idle this long (minutes)."
  type        = number
  default     = 20

  validation {
    condition     = var.idle_session_timeout_minutes >= 1 && var.idle_session_timeout_minutes <= 60
    error_message = "idle_session_timeout_minutes must be between 1 and 60."
  }
}

variable "max_session_duration_minutes" {
  description = "Longest session (minutes) before Session Manager ends it; a BI tool reconnects through a new one."
  type        = number
  default     = 480

  validation {
    condition     = var.max_session_duration_minutes >= 1 && var.max_session_duration_minutes <= 1440
    error_message = "max_session_duration_minutes must be between 1 and 1440."
  }
}

variable "client_vpn_cidr_block" {
  description = "Client VPN only: the range client addresses come from (a /12 to /22 that overlaps no VPC range)."
  type        = string
  default     = "172.20.0.0/22"

  validation {
    condition     = can(cidrnetmask(var.client_vpn_cidr_block)) && try(tonumber(split("/", var.client_vpn_cidr_block)[1]) >= 12 && tonumber(split("/", var.client_vpn_cidr_block)[1]) <= 22, false)
    error_message = "client_vpn_cidr_block must be an IPv4 CIDR from /12 to /22 (AWS Client VPN's limits)."
  }
}

variable "client_vpn_server_certificate_arn" {
  description = "Client VPN only: ACM certificate ARN of the VPN server."
  type        = string
  default     = null

  validation {
    condition     = var.client_vpn_server_certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$", var.client_vpn_server_certificate_arn))
    error_message = "client_vpn_server_certificate_arn must be an ACM certificate ARN."
  }
}

variable "client_vpn_root_certificate_chain_arn" {
  description = "Client VPN with mutual TLS: ACM ARN of the CA chain that issued the analysts' client certificates."
  type        = string
  default     = null

  validation {
    condition     = var.client_vpn_root_certificate_chain_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$", var.client_vpn_root_certificate_chain_arn))
    error_message = "client_vpn_root_certificate_chain_arn must be an ACM certificate ARN."
  }
}

variable "client_vpn_saml_provider_arn" {
  description = "Client VPN with SAML: ARN of the IAM SAML identity provider of the company's IdP."
  type        = string
  default     = null

  validation {
    condition     = var.client_vpn_saml_provider_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:saml-provider/[A-Za-z0-9._-]+$", var.client_vpn_saml_provider_arn))
    error_message = "client_vpn_saml_provider_arn must be an IAM SAML provider ARN (arn:aws:iam::<account>:saml-provider/<name>)."
  }
}

variable "client_vpn_access_group_id" {
  description = "Client VPN with SAML: the IdP group whose members may reach the warehouse (null: every authenticated user)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags merged into every resource of the module."
  type        = map(string)
  default     = {}
}
